#include "model/weights.h"

#include <cstdio>

#include "gguf/reader.h"
#include "kernels/kernels.h"

namespace capibara::model {

namespace {

// What a tensor is used for decides which types it may have.
enum class Use { Vector, Matrix, Embedding };

std::string shape_str(const int64_t* ne, int n) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

std::string layer_name(int64_t il, const char* suffix) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "blk.%lld.%s", static_cast<long long>(il), suffix);
  return buf;
}

class Binder {
 public:
  explicit Binder(const gguf::GgufFile& f, Weights& w) : file_(f), w_(w) {}

  bool has(const std::string& name) const { return file_.tensor(name) != nullptr; }

  // Binds `name` into *out after checking shape {ne0, ne1} and type; an absent optional tensor
  // leaves *out empty.
  Status bind(const std::string& name, int64_t ne0, int64_t ne1, Use use, bool required, Tensor* out) {
    const gguf::TensorInfo* t = file_.tensor(name);
    if (!t) {
      if (required) return {ErrorCode::GGUF_MISSING_TENSOR, "tensor '" + name + "' is missing from the file"};
      return Status::ok();
    }
    const int64_t want[4] = {ne0, ne1, 1, 1};
    for (int i = 0; i < 4; ++i) {
      if (t->ne[i] != want[i])
        return {ErrorCode::GGUF_BAD_TENSOR_SHAPE, "tensor '" + name + "' has shape " + shape_str(t->ne, 4) +
                                                      ", expected " + shape_str(want, ne1 == 1 ? 1 : 2)};
    }
    const TypeKernels& k = kernels().type(t->type);
    const char* tname = ggml_type_traits(t->type).name;
    if (use == Use::Vector && t->type != GgmlType::F32)
      return {ErrorCode::UNSUPPORTED_QUANT, "tensor '" + name + "' must be f32, not " + tname};
    if (use == Use::Matrix && (!k.gemm || (!k.from_float && k.vec_dot_type != GgmlType::F32)))
      return {ErrorCode::UNSUPPORTED_QUANT, "tensor '" + name + "' has type " + tname + ", which has no matmul kernel"};
    if (use == Use::Embedding && !k.to_float)
      return {ErrorCode::UNSUPPORTED_QUANT, "tensor '" + name + "' has type " + tname + ", which cannot be dequantised"};
    out->data = t->data;
    out->type = t->type;
    for (int i = 0; i < 4; ++i) out->ne[i] = t->ne[i];
    w_.all.emplace_back(name, *out);
    return Status::ok();
  }

 private:
  const gguf::GgufFile& file_;
  Weights& w_;
};

Status bind_slot(Binder& b, const ModelConfig& c, SlotUse use, Weights& w) {
  const bool req = use.need == Need::Required;
  const int64_t E = c.n_embd, V = c.n_vocab, Q = c.q_dim(), KV = c.kv_dim(), F = c.n_ff;
  switch (use.slot) {
    case Slot::TokenEmbd: return b.bind("token_embd.weight", E, V, Use::Embedding, req, &w.token_embd);
    case Slot::OutputNorm: return b.bind("output_norm.weight", E, 1, Use::Vector, req, &w.output_norm);
    case Slot::Output: return b.bind("output.weight", E, V, Use::Matrix, req, &w.output);
    case Slot::RopeFreqs: return b.bind("rope_freqs.weight", c.n_rot / 2, 1, Use::Vector, req, &w.rope_freqs);
    case Slot::RopeFactorsLong: return b.bind("rope_factors_long.weight", c.n_rot / 2, 1, Use::Vector, req, &w.rope_long);
    case Slot::RopeFactorsShort: return b.bind("rope_factors_short.weight", c.n_rot / 2, 1, Use::Vector, req, &w.rope_short);
    default: break;
  }
  for (int64_t il = 0; il < c.n_layer; ++il) {
    LayerWeights& l = w.layers[il];
    auto n = [il](const char* s) { return layer_name(il, s); };
    switch (use.slot) {
      case Slot::AttnNorm: CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_norm.weight"), E, 1, Use::Vector, req, &l.attn_norm)); break;
      case Slot::Qkv:
        if (b.has(n("attn_qkv.weight"))) {
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_qkv.weight"), E, Q + 2 * KV, Use::Matrix, true, &l.wqkv));
        } else {
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_q.weight"), E, Q, Use::Matrix, req, &l.wq));
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_k.weight"), E, KV, Use::Matrix, req, &l.wk));
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_v.weight"), E, KV, Use::Matrix, req, &l.wv));
        }
        break;
      case Slot::QkvBias:
        if (l.wqkv && b.has(n("attn_qkv.bias"))) {
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_qkv.bias"), Q + 2 * KV, 1, Use::Vector, true, &l.bqkv));
        } else {
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_q.bias"), Q, 1, Use::Vector, req, &l.bq));
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_k.bias"), KV, 1, Use::Vector, req, &l.bk));
          CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_v.bias"), KV, 1, Use::Vector, req, &l.bv));
        }
        break;
      case Slot::AttnOut: CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_output.weight"), Q, E, Use::Matrix, req, &l.wo)); break;
      case Slot::AttnOutBias: CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_output.bias"), E, 1, Use::Vector, req, &l.bo)); break;
      case Slot::QkNorm:
        CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_q_norm.weight"), c.head_dim, 1, Use::Vector, req, &l.q_norm));
        CAPIBARA_RETURN_IF_ERROR(b.bind(n("attn_k_norm.weight"), c.head_dim, 1, Use::Vector, req, &l.k_norm));
        break;
      case Slot::AttnPostNorm: CAPIBARA_RETURN_IF_ERROR(b.bind(n("post_attention_norm.weight"), E, 1, Use::Vector, req, &l.attn_post_norm)); break;
      case Slot::FfnNorm: CAPIBARA_RETURN_IF_ERROR(b.bind(n("ffn_norm.weight"), E, 1, Use::Vector, req, &l.ffn_norm)); break;
      case Slot::FfnGateUp:
        CAPIBARA_RETURN_IF_ERROR(b.bind(n("ffn_gate.weight"), E, F, Use::Matrix, req, &l.ffn_gate));
        CAPIBARA_RETURN_IF_ERROR(b.bind(n("ffn_up.weight"), E, F, Use::Matrix, req, &l.ffn_up));
        break;
      case Slot::FfnUpFused: CAPIBARA_RETURN_IF_ERROR(b.bind(n("ffn_up.weight"), E, 2 * F, Use::Matrix, req, &l.ffn_up)); break;
      case Slot::FfnDown: CAPIBARA_RETURN_IF_ERROR(b.bind(n("ffn_down.weight"), F, E, Use::Matrix, req, &l.ffn_down)); break;
      case Slot::FfnPostNorm: CAPIBARA_RETURN_IF_ERROR(b.bind(n("post_ffw_norm.weight"), E, 1, Use::Vector, req, &l.ffn_post_norm)); break;
      default: return {ErrorCode::INTERNAL, "unhandled tensor slot"};
    }
  }
  return Status::ok();
}

}  // namespace

Result<Weights> load_weights(const gguf::GgufFile& file, const ModelConfig& cfg, const std::vector<SlotUse>& uses) {
  Weights w;
  w.layers.resize(static_cast<size_t>(cfg.n_layer));
  Binder b(file, w);
  for (const SlotUse& u : uses) CAPIBARA_RETURN_IF_ERROR(bind_slot(b, cfg, u, w));
  // Tied (or never separate, as in command-r): the output projection is the embedding matrix.
  if (!w.output) {
    const TypeKernels& k = kernels().type(w.token_embd.type);
    if (!k.gemm)
      return Status(ErrorCode::UNSUPPORTED_QUANT, std::string("token_embd.weight (tied output) has type ") +
                                                      ggml_type_traits(w.token_embd.type).name + ", which has no matmul kernel");
    w.output = w.token_embd;
  }
  return w;
}

}  // namespace capibara::model
