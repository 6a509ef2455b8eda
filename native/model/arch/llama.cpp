// llama (mistral-7b-instruct and other llama-family files): pre-norm RMSNorm, RoPE over whole
// heads rotating adjacent pairs (the converter permutes Q/K for it), GQA, SwiGLU; the output
// matrix falls back to token_embd when the file has none.
#include "model/arch/arch.h"

namespace capibara::model {

namespace {
Status configure(const ArchKeys& k, ModelConfig& c) {
  c.norm = NormKind::RmsNorm;
  c.act = Activation::SwiGLU;
  c.rope = RopeStyle::Adjacent;
  if (c.n_rot != c.head_dim)
    return {ErrorCode::GGUF_BAD_METADATA, k.key("rope.dimension_count") + " must equal the head size for llama"};
  return k.f32("attention.layer_norm_rms_epsilon", &c.norm_eps, true);
}
}  // namespace

const ArchSpec kLlamaSpec{
    "llama",
    configure,
    {
        {Slot::TokenEmbd, Need::Required},
        {Slot::OutputNorm, Need::Required},
        {Slot::Output, Need::Tied},
        {Slot::RopeFreqs, Need::Optional},
        {Slot::AttnNorm, Need::Required},
        {Slot::Qkv, Need::Required},
        {Slot::QkvBias, Need::Optional},
        {Slot::AttnOut, Need::Required},
        {Slot::AttnOutBias, Need::Optional},
        {Slot::FfnNorm, Need::Required},
        {Slot::FfnGateUp, Need::Required},
        {Slot::FfnDown, Need::Required},
    },
};

}  // namespace capibara::model
