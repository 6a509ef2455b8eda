#include "model/forward.h"

#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace capibara::model {

Forward::Forward(const Model& m, Arena arena, int64_t n_batch, int64_t n_out)
    : model_(m), arena_(std::move(arena)), n_batch_(n_batch), n_out_(n_out) {}

Result<std::unique_ptr<Forward>> Forward::create(const Model& model, int64_t n_batch, int64_t n_out, int64_t n_ctx,
                                                 KvType kv_type, int n_threads) {
  const ModelConfig& c = model.config();
  if (n_batch < 1 || n_out < 1) return Status(ErrorCode::INVALID_ARGUMENT, "n_batch and n_out must be at least 1");
  const int64_t B = n_batch, E = c.n_embd, S = c.q_dim() + 2 * c.kv_dim();
  size_t bytes = Arena::bytes_for<float>(B * E) * 4 + Arena::bytes_for<float>(B * S) +
                       Arena::bytes_for<float>(B * c.q_dim()) + Arena::bytes_for<float>(B * 3 * c.n_ff) +
                       Arena::bytes_for<float>(n_out * E);
  const int64_t tmp_stride = kv_type == KvType::Q8_0 ? (2 * n_ctx + 2) * c.head_dim : 0;
  bytes += Arena::bytes_for<uint16_t>(static_cast<size_t>(tmp_stride * n_threads));
  auto arena = Arena::create(bytes);
  if (!arena) return arena.status();
  std::unique_ptr<Forward> f(new Forward(model, arena.take(), B, n_out));
  Arena& a = f->arena_;
  f->x_ = a.take<float>(B * E);
  f->buf_.h = a.take<float>(B * E);
  f->buf_.out = a.take<float>(B * E);
  f->buf_.out2 = a.take<float>(B * E);
  f->buf_.qkv = a.take<float>(B * S);
  f->buf_.att = a.take<float>(B * c.q_dim());
  f->buf_.ff = a.take<float>(B * 2 * c.n_ff);
  f->buf_.act = a.take<float>(B * c.n_ff);
  f->last_ = a.take<float>(n_out * E);
  if (tmp_stride > 0) {
    f->buf_.kv_tmp = a.take<uint16_t>(static_cast<size_t>(tmp_stride * n_threads));
    f->buf_.kv_tmp_stride = tmp_stride;
    if (!f->buf_.kv_tmp) return Status(ErrorCode::INTERNAL, "activation arena sized too small");
  }
  if (!f->last_) return Status(ErrorCode::INTERNAL, "activation arena sized too small");
  // LongRoPE: long factors when the context exceeds the original one. llama.cpp decides on its
  // per-sequence context padded up to a multiple of 256 cells, so the same rule is used here.
  const Weights& w = model.weights();
  const int64_t n_ctx_padded = (n_ctx + 255) / 256 * 256;
  if (w.rope_freqs) f->rope_factors_ = w.rope_freqs.f32();
  else if (w.rope_long && n_ctx_padded > c.n_ctx_orig) f->rope_factors_ = w.rope_long.f32();
  else if (w.rope_short) f->rope_factors_ = w.rope_short.f32();
  return f;
}

void Forward::embed(const int32_t* tokens, const SeqSpan* spans, size_t n_spans) {
  const ModelConfig& c = model_.config();
  const Tensor& te = model_.weights().token_embd;
  const TypeKernels& et = kernels().type(te.type);
  const int64_t E = c.n_embd;
  const size_t erow = te.row_bytes();
  for (size_t s = 0; s < n_spans; ++s) {
    const SeqSpan& sp = spans[s];
    if (sp.embd) {  // image rows are used as given, not scaled like token embeddings
      std::memcpy(x_ + sp.row0 * E, sp.embd, static_cast<size_t>(sp.n * E) * sizeof(float));
      continue;
    }
    for (int64_t t = sp.row0; t < sp.row0 + sp.n; ++t) {
      const void* row = static_cast<const uint8_t*>(te.data) + static_cast<size_t>(tokens[t]) * erow;
      float* dst = x_ + t * E;
      if (te.type == GgmlType::F32) std::memcpy(dst, row, E * sizeof(float));
      else et.to_float(row, dst, E);
      if (c.embed_scale != 1.0f)
        for (int64_t i = 0; i < E; ++i) dst[i] *= c.embed_scale;  // gemma
    }
  }
}

Status Forward::run(const Exec& ex, const int32_t* tokens, SeqSpan* spans, size_t n_spans, const int64_t* out_rows,
                    int64_t n_out, float* logits, const TapFn* tap, const std::atomic<bool>* abort) {
  const ModelConfig& c = model_.config();
  const Weights& w = model_.weights();
  const int64_t E = c.n_embd;
  int64_t n = 0;
  for (size_t s = 0; s < n_spans; ++s) {
    spans[s].row0 = n;
    n += spans[s].n;
  }
  if (n < 1 || n > n_batch_ || n_out > n_out_)
    return {ErrorCode::INTERNAL, "batch of " + std::to_string(n) + " rows / " + std::to_string(n_out) + " outputs exceeds the arena"};
  const bool tapping = tap && *tap;
  embed(tokens, spans, n_spans);
  if (tapping) (*tap)("inp_embd", -1, x_, n, E);
  BlockArgs a;
  a.cfg = &c;
  a.spans = spans;
  a.n_spans = n_spans;
  a.n_tok = n;
  a.rope_factors = rope_factors_;
  a.ex = ex;
  a.tap = tap;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    if (abort && abort->load(std::memory_order_relaxed)) return {ErrorCode::ABORTED, "evaluation aborted"};
    a.il = il;
    a.w = &w.layers[il];
    CAPIBARA_RETURN_IF_ERROR(run_block(a, x_, buf_));
  }
  if (n_out == 0) return Status::ok();
  for (int64_t i = 0; i < n_out; ++i) norm_rows(c, w.output_norm, x_ + out_rows[i] * E, last_ + i * E, 1, E);
  if (tapping) (*tap)("result_norm", -1, last_, n_out, E);
  CAPIBARA_RETURN_IF_ERROR(linear(ex, w.output, last_, n_out, logits));
  const int64_t V = c.n_vocab;
  if (c.logit_scale != 1.0f || c.final_softcap > 0.0f)
    for (int64_t i = 0; i < n_out * V; ++i) {
      float v = logits[i] * c.logit_scale;
      if (c.final_softcap > 0.0f) v = c.final_softcap * std::tanh(v / c.final_softcap);
      logits[i] = v;
    }
  if (tapping) (*tap)("result_output", -1, logits, n_out, V);
  return Status::ok();
}

}  // namespace capibara::model
