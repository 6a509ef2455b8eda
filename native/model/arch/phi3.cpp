// phi3 (phi-3, phi-4-mini): fused attn_qkv and fused ffn_up (gate rows then up rows), NeoX RoPE
// over the first rope.dimension_count dims of each head (partial rotary), LongRoPE frequency
// factors (rope_factors_long when the context exceeds rope.scaling.original_context_length, else
// rope_factors_short) with rope.scaling.attn_factor on cos/sin, output tied when absent. The
// sliding_window key is ignored, as llama.cpp does (its phi3 SWA is disabled).
#include "model/arch/arch.h"

namespace capibara::model {

namespace {
Status configure(const ArchKeys& k, ModelConfig& c) {
  c.norm = NormKind::RmsNorm;
  c.act = Activation::SwiGLU;
  c.rope = RopeStyle::NeoX;
  return k.f32("attention.layer_norm_rms_epsilon", &c.norm_eps, true);
}
}  // namespace

const ArchSpec kPhi3Spec{
    "phi3",
    configure,
    {
        {Slot::TokenEmbd, Need::Required},
        {Slot::OutputNorm, Need::Required},
        {Slot::Output, Need::Tied},
        {Slot::RopeFactorsLong, Need::Optional},
        {Slot::RopeFactorsShort, Need::Optional},
        {Slot::AttnNorm, Need::Required},
        {Slot::Qkv, Need::Required},
        {Slot::AttnOut, Need::Required},
        {Slot::FfnNorm, Need::Required},
        {Slot::FfnUpFused, Need::Required},
        {Slot::FfnDown, Need::Required},
    },
};

}  // namespace capibara::model
