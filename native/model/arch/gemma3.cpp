// gemma3: token embeddings scaled by sqrt(n_embd); RMSNorm before and after both attention and FFN
// (the converter already folded gemma's 1 + w into the weights); per-head RMSNorm of Q and K; NeoX
// RoPE; GeGLU (tanh GELU); sliding-window layers (pattern: every 6th layer global unless the file
// says otherwise) with their own RoPE base (rope.freq_base_swa, default 10000, unscaled); optional
// final logit soft-capping. Query scale follows llama.cpp: 1/sqrt(n_embd / n_head) for the 62-layer
// 27B, else 1/sqrt(head size).
#include <cmath>

#include "model/arch/arch.h"

namespace capibara::model {

namespace {
Status configure(const ArchKeys& k, ModelConfig& c) {
  c.norm = NormKind::RmsNorm;
  c.act = Activation::GeGLU;
  c.rope = RopeStyle::NeoX;
  c.embed_scale = std::sqrt(static_cast<float>(c.n_embd));
  CAPIBARA_RETURN_IF_ERROR(k.f32("attention.layer_norm_rms_epsilon", &c.norm_eps, true));
  CAPIBARA_RETURN_IF_ERROR(k.f32("final_logit_softcapping", &c.final_softcap, false));
  CAPIBARA_RETURN_IF_ERROR(k.u32("attention.sliding_window", &c.sliding_window, false));
  if (c.sliding_window > 0) {
    bool found = false;
    CAPIBARA_RETURN_IF_ERROR(k.layer_pattern("attention.sliding_window_pattern", c.n_layer, &c.swa_layers, &found));
    if (!found) {
      c.swa_layers.assign(static_cast<size_t>(c.n_layer), false);
      for (int64_t il = 0; il < c.n_layer; ++il) c.swa_layers[il] = il % 6 < 5;
    }
    c.rope_base_swa = 10000.0f;
    c.rope_scale_swa = 1.0f;
    CAPIBARA_RETURN_IF_ERROR(k.f32("rope.freq_base_swa", &c.rope_base_swa, false));
  }
  const float d = c.n_layer == 62 ? static_cast<float>(c.n_embd / c.n_head) : static_cast<float>(c.head_dim);
  c.attn_scale = 1.0f / std::sqrt(d);
  return Status::ok();
}
}  // namespace

const ArchSpec kGemma3Spec{
    "gemma3",
    configure,
    {
        {Slot::TokenEmbd, Need::Required},
        {Slot::OutputNorm, Need::Required},
        {Slot::Output, Need::Tied},
        {Slot::AttnNorm, Need::Required},
        {Slot::Qkv, Need::Required},
        {Slot::QkNorm, Need::Required},
        {Slot::AttnOut, Need::Required},
        {Slot::AttnPostNorm, Need::Required},
        {Slot::FfnNorm, Need::Required},
        {Slot::FfnGateUp, Need::Required},
        {Slot::FfnDown, Need::Required},
        {Slot::FfnPostNorm, Need::Required},
    },
};

}  // namespace capibara::model
