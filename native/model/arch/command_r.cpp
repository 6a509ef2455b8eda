// command-r (command-r, aya-expanse; GGUF arch "command-r"): LayerNorm without bias, attention and
// FFN (SwiGLU) computed in parallel from the same normed input and both added to the residual,
// adjacent-pair RoPE, logits multiplied by logit_scale, output always tied to token_embd (llama.cpp
// ignores any output.weight). The 64+-layer variant with per-head Q/K LayerNorm (command-r-plus)
// is not supported; "cohere2" has its own spec (cohere2.cpp).
#include "model/arch/arch.h"

namespace capibara::model {

Status configure_command_r_block(const ArchKeys& k, ModelConfig& c) {
  c.norm = NormKind::LayerNorm;
  c.act = Activation::SwiGLU;
  c.rope = RopeStyle::Adjacent;
  c.residual = Residual::Parallel;
  return k.f32("attention.layer_norm_epsilon", &c.norm_eps, true);
}

std::vector<SlotUse> command_r_tensors() {
  return {
      {Slot::TokenEmbd, Need::Required},
      {Slot::OutputNorm, Need::Required},
      {Slot::AttnNorm, Need::Required},
      {Slot::Qkv, Need::Required},
      {Slot::QkvBias, Need::Optional},
      {Slot::AttnOut, Need::Required},
      {Slot::FfnGateUp, Need::Required},
      {Slot::FfnDown, Need::Required},
  };
}

namespace {
Status configure(const ArchKeys& k, ModelConfig& c) {
  if (c.n_layer >= 64)
    return {ErrorCode::UNSUPPORTED_ARCH, "command-r with 64 or more layers (per-head Q/K LayerNorm) is not supported"};
  CAPIBARA_RETURN_IF_ERROR(configure_command_r_block(k, c));
  float scale = 0.0f;
  CAPIBARA_RETURN_IF_ERROR(k.f32("logit_scale", &scale, false));
  c.logit_scale = scale == 0.0f ? 1.0f : scale;
  return Status::ok();
}
}  // namespace

const ArchSpec kCommandRSpec{"command-r", configure, command_r_tensors()};

}  // namespace capibara::model
