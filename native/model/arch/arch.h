// ArchSpec: everything that differs between architectures, as data plus one configure hook.
// Each arch/<name>.cpp defines one spec; registry.cpp maps GGUF architecture strings to specs.
// Nothing else in the runner switches on the architecture.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/config.h"
#include "model/metadata.h"
#include "model/weights.h"

namespace capibara::model {

struct ArchSpec {
  const char* name;  // GGUF general.architecture; an API, spelled exactly as llama.cpp does
  // Sets the enum choices and reads the arch-specific keys; the common keys (sizes, heads, RoPE
  // base/scaling, context) are already in cfg.
  Status (*configure)(const ArchKeys& keys, ModelConfig& cfg);
  std::vector<SlotUse> tensors;
};

// The spec for a GGUF architecture string, or nullptr.
const ArchSpec* find_arch(std::string_view name);
// Every supported architecture string, in registry order.
std::vector<std::string> architectures();

// Reads the keys every architecture shares (llama.cpp's load_hparams), then calls spec.configure.
Status read_config(const ArchKeys& keys, const ArchSpec& spec, ModelConfig& cfg);

// command-r's block, shared by command-r and cohere2 (command_r.cpp): LayerNorm, SwiGLU, adjacent
// RoPE, parallel attention + FFN, and its tensor slots (output always tied to token_embd).
Status configure_command_r_block(const ArchKeys& keys, ModelConfig& cfg);
std::vector<SlotUse> command_r_tensors();

// The specs (one per arch/*.cpp).
extern const ArchSpec kLlamaSpec;
extern const ArchSpec kQwen2Spec;
extern const ArchSpec kPhi3Spec;
extern const ArchSpec kGemma3Spec;
extern const ArchSpec kCommandRSpec;
extern const ArchSpec kCohere2Spec;

}  // namespace capibara::model
