// GGUF architecture string -> ArchSpec, and the hyper-parameters all architectures share.
#include <cmath>
#include <string>

#include "model/arch/arch.h"

namespace capibara::model {

namespace {
// One line per architecture.
const ArchSpec* const kSpecs[] = {
    &kLlamaSpec,
    &kQwen2Spec,
    &kPhi3Spec,
    &kGemma3Spec,
    &kCommandRSpec,
    &kCohere2Spec,
};
}  // namespace

const ArchSpec* find_arch(std::string_view name) {
  for (const ArchSpec* s : kSpecs)
    if (name == s->name) return s;
  return nullptr;
}

std::vector<std::string> architectures() {
  std::vector<std::string> out;
  for (const ArchSpec* s : kSpecs) out.emplace_back(s->name);
  return out;
}

Status read_config(const ArchKeys& k, const ArchSpec& spec, ModelConfig& c) {
  CAPIBARA_RETURN_IF_ERROR(k.u32("context_length", &c.n_ctx_train, true));
  CAPIBARA_RETURN_IF_ERROR(k.u32("embedding_length", &c.n_embd, true));
  CAPIBARA_RETURN_IF_ERROR(k.u32("block_count", &c.n_layer, true));
  CAPIBARA_RETURN_IF_ERROR(k.u32("feed_forward_length", &c.n_ff, true));
  CAPIBARA_RETURN_IF_ERROR(k.u32("attention.head_count", &c.n_head, true));
  if (c.n_embd <= 0 || c.n_layer <= 0 || c.n_head <= 0 || c.n_ff <= 0 || c.n_ctx_train <= 0)
    return {ErrorCode::GGUF_BAD_METADATA, "model sizes must be positive (" + k.key("embedding_length") + ", ...)"};
  int64_t n_expert = 0;
  CAPIBARA_RETURN_IF_ERROR(k.u32("expert_count", &n_expert, false));
  if (n_expert > 0)
    return {ErrorCode::UNSUPPORTED_ARCH, c.arch + " with " + std::to_string(n_expert) +
                                             " experts (mixture of experts) is not supported"};
  c.n_head_kv = c.n_head;
  CAPIBARA_RETURN_IF_ERROR(k.u32("attention.head_count_kv", &c.n_head_kv, false));
  if (c.n_head_kv <= 0 || c.n_head % c.n_head_kv != 0)
    return {ErrorCode::GGUF_BAD_METADATA, k.key("attention.head_count_kv") + " must divide the head count"};
  c.head_dim = c.n_embd / c.n_head;
  CAPIBARA_RETURN_IF_ERROR(k.u32("attention.key_length", &c.head_dim, false));
  int64_t v_dim = c.head_dim;
  CAPIBARA_RETURN_IF_ERROR(k.u32("attention.value_length", &v_dim, false));
  if (v_dim != c.head_dim || c.head_dim <= 0 || c.head_dim % 2 != 0)
    return {ErrorCode::GGUF_BAD_METADATA, k.key("attention.key_length") + " must be even and equal value_length"};
  c.n_rot = c.head_dim;
  CAPIBARA_RETURN_IF_ERROR(k.u32("rope.dimension_count", &c.n_rot, false));
  if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0)
    return {ErrorCode::GGUF_BAD_METADATA, k.key("rope.dimension_count") + " must be even and at most the head size"};

  CAPIBARA_RETURN_IF_ERROR(k.f32("rope.freq_base", &c.rope_base, false));
  std::string scaling = "linear";
  CAPIBARA_RETURN_IF_ERROR(k.str("rope.scaling.type", &scaling, false));
  if (scaling != "none" && scaling != "linear" && scaling != "longrope")
    return {ErrorCode::UNSUPPORTED_ARCH, k.key("rope.scaling.type") + " '" + scaling + "' is not supported"};
  float factor = 0.0f;
  CAPIBARA_RETURN_IF_ERROR(k.f32("rope.scaling.factor", &factor, false));
  c.rope_scale = (factor == 0.0f || scaling == "none") ? 1.0f : 1.0f / factor;
  CAPIBARA_RETURN_IF_ERROR(k.f32("rope.scaling.attn_factor", &c.rope_attn_factor, false));
  c.n_ctx_orig = c.n_ctx_train;
  CAPIBARA_RETURN_IF_ERROR(k.u32("rope.scaling.original_context_length", &c.n_ctx_orig, false));
  c.attn_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  return spec.configure(k, c);
}

}  // namespace capibara::model
