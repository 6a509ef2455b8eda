// cohere2 (command-r7b): command-r's block (LayerNorm, parallel attention + FFN, logit scale, output
// tied to token_embd) with sliding-window attention on three layers of every four (pattern from the
// file, default 4) and RoPE only on those; global layers use no positional encoding. llama.cpp's
// graph rotates with the global base and scale on every windowed layer (rope.freq_base_swa is read
// but not used), and so do we.
#include "model/arch/arch.h"

namespace capibara::model {

namespace {
Status configure(const ArchKeys& k, ModelConfig& c) {
  CAPIBARA_RETURN_IF_ERROR(configure_command_r_block(k, c));
  c.rope_global = false;
  c.rope_base_swa = c.rope_base;
  c.rope_scale_swa = c.rope_scale;
  CAPIBARA_RETURN_IF_ERROR(k.f32("logit_scale", &c.logit_scale, true));
  CAPIBARA_RETURN_IF_ERROR(k.u32("attention.sliding_window", &c.sliding_window, true));
  bool found = false;
  CAPIBARA_RETURN_IF_ERROR(k.layer_pattern("attention.sliding_window_pattern", c.n_layer, &c.swa_layers, &found));
  if (!found) {
    c.swa_layers.assign(static_cast<size_t>(c.n_layer), false);
    for (int64_t il = 0; il < c.n_layer; ++il) c.swa_layers[il] = il % 4 < 3;
  }
  return Status::ok();
}
}  // namespace

const ArchSpec kCohere2Spec{"cohere2", configure, command_r_tensors()};

}  // namespace capibara::model
