// qwen2 (qwen2.5, qwen2.5-coder): llama's block with Q/K/V biases and NeoX RoPE (pairs i, i + d/2).
#include "model/arch/arch.h"

namespace capibara::model {

namespace {
Status configure(const ArchKeys& k, ModelConfig& c) {
  c.norm = NormKind::RmsNorm;
  c.act = Activation::SwiGLU;
  c.rope = RopeStyle::NeoX;
  if (c.n_rot != c.head_dim)
    return {ErrorCode::GGUF_BAD_METADATA, k.key("rope.dimension_count") + " must equal the head size for qwen2"};
  return k.f32("attention.layer_norm_rms_epsilon", &c.norm_eps, true);
}
}  // namespace

const ArchSpec kQwen2Spec{
    "qwen2",
    configure,
    {
        {Slot::TokenEmbd, Need::Required},
        {Slot::OutputNorm, Need::Required},
        {Slot::Output, Need::Tied},
        {Slot::AttnNorm, Need::Required},
        {Slot::Qkv, Need::Required},
        {Slot::QkvBias, Need::Optional},
        {Slot::AttnOut, Need::Required},
        {Slot::FfnNorm, Need::Required},
        {Slot::FfnGateUp, Need::Required},
        {Slot::FfnDown, Need::Required},
    },
};

}  // namespace capibara::model
