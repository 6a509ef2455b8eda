#include "model/session.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/kernels.h"

namespace capibara::model {

Session::Session(const Model& m, KvCache kv, Arena arena, int64_t n_batch, int n_threads)
    : model_(m), kv_(std::move(kv)), arena_(std::move(arena)), n_batch_(n_batch), pool_(n_threads < 1 ? 1 : n_threads) {
  ex_.pool = &pool_;
  ex_.scratch = &scratch_;
}

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& opts) {
  const ModelConfig& c = model.config();
  int64_t n_ctx = opts.n_ctx > 0 ? opts.n_ctx : std::min<int64_t>(c.n_ctx_train, 4096);
  n_ctx = std::min(n_ctx, c.n_ctx_train);
  if (opts.n_batch < 1) return Status(ErrorCode::INVALID_ARGUMENT, "n_batch must be at least 1");
  const int64_t B = opts.n_batch, E = c.n_embd, S = c.q_dim() + 2 * c.kv_dim();
  auto kv = KvCache::create(c.n_layer, n_ctx, c.kv_dim());
  if (!kv) return kv.status();
  const size_t bytes = Arena::bytes_for<float>(B * E) * 4 + Arena::bytes_for<float>(B * S) +
                       Arena::bytes_for<float>(B * c.q_dim()) + Arena::bytes_for<float>(B * 3 * c.n_ff) +
                       Arena::bytes_for<float>(E);
  auto arena = Arena::create(bytes);
  if (!arena) return arena.status();
  std::unique_ptr<Session> s(new Session(model, kv.take(), arena.take(), B, opts.n_threads));
  // Quantised activations: at most 4 bytes per input element (F32), for the widest matmul input.
  const int64_t widest = std::max({E, c.q_dim(), c.n_ff});
  if (!s->scratch_.reserve(static_cast<size_t>(B * widest) * sizeof(float)))
    return Status(ErrorCode::OOM, "could not allocate the matmul scratch");
  Arena& a = s->arena_;
  s->x_ = a.take<float>(B * E);
  s->buf_.h = a.take<float>(B * E);
  s->buf_.out = a.take<float>(B * E);
  s->buf_.out2 = a.take<float>(B * E);
  s->buf_.qkv = a.take<float>(B * S);
  s->buf_.att = a.take<float>(B * c.q_dim());
  s->buf_.ff = a.take<float>(B * 2 * c.n_ff);
  s->buf_.act = a.take<float>(B * c.n_ff);
  s->last_ = a.take<float>(E);
  if (!s->last_) return Status(ErrorCode::INTERNAL, "activation arena sized too small");
  // LongRoPE: long factors when this session's context exceeds the original one. llama.cpp decides
  // on its per-sequence context padded up to a multiple of 256 cells, so the same rule is used here.
  const Weights& w = model.weights();
  const int64_t n_ctx_padded = (n_ctx + 255) / 256 * 256;
  if (w.rope_freqs) s->rope_factors_ = w.rope_freqs.f32();
  else if (w.rope_long && n_ctx_padded > c.n_ctx_orig) s->rope_factors_ = w.rope_long.f32();
  else if (w.rope_short) s->rope_factors_ = w.rope_short.f32();
  return s;
}

Status Session::eval(const int32_t* tokens, int64_t n, float* logits) {
  if (n <= 0) return {ErrorCode::INVALID_ARGUMENT, "eval needs at least one token"};
  if (n_past_ + n > n_ctx())
    return {ErrorCode::CONTEXT_FULL, "context is full: " + std::to_string(n_past_) + " + " + std::to_string(n) +
                                         " tokens exceed the context size " + std::to_string(n_ctx())};
  const int64_t n_vocab = model_.config().n_vocab;
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= n_vocab)
      return {ErrorCode::INVALID_ARGUMENT, "token id " + std::to_string(tokens[i]) + " is outside the vocabulary (size " +
                                               std::to_string(n_vocab) + ")"};
  const int64_t start = n_past_;
  for (int64_t i = 0; i < n; i += n_batch_) {
    const int64_t m = std::min(n_batch_, n - i);
    Status st = eval_batch(tokens + i, m, i + m == n ? logits : nullptr);
    if (!st) {
      n_past_ = start;
      return st;
    }
  }
  return Status::ok();
}

Status Session::eval_batch(const int32_t* tokens, int64_t n, float* logits) {
  const ModelConfig& c = model_.config();
  const Weights& w = model_.weights();
  const Kernels& k = kernels();
  const int64_t E = c.n_embd;
  // Embedding rows (dequantised), scaled for gemma.
  const TypeKernels& et = k.type(w.token_embd.type);
  const size_t erow = w.token_embd.row_bytes();
  for (int64_t t = 0; t < n; ++t) {
    const void* row = static_cast<const uint8_t*>(w.token_embd.data) + static_cast<size_t>(tokens[t]) * erow;
    float* dst = x_ + t * E;
    if (w.token_embd.type == GgmlType::F32) std::memcpy(dst, row, E * sizeof(float));
    else et.to_float(row, dst, E);
    if (c.embed_scale != 1.0f)
      for (int64_t i = 0; i < E; ++i) dst[i] *= c.embed_scale;
  }
  return forward(n, 0, logits);
}

Status Session::eval_embd(const float* rows, int64_t n, bool bidirectional, float* logits) {
  if (n <= 0) return {ErrorCode::INVALID_ARGUMENT, "eval_embd needs at least one row"};
  if (n_past_ + n > n_ctx())
    return {ErrorCode::CONTEXT_FULL, "context is full: " + std::to_string(n_past_) + " + " + std::to_string(n) +
                                         " embeddings exceed the context size " + std::to_string(n_ctx())};
  if (bidirectional && n > n_batch_)
    return {ErrorCode::INVALID_ARGUMENT, "a bidirectional span of " + std::to_string(n) +
                                             " rows exceeds the session's batch size " + std::to_string(n_batch_)};
  const int64_t E = model_.config().n_embd, start = n_past_;
  for (int64_t i = 0; i < n; i += n_batch_) {
    const int64_t m = std::min(n_batch_, n - i);
    std::memcpy(x_, rows + i * E, static_cast<size_t>(m * E) * sizeof(float));
    Status st = forward(m, bidirectional ? n_past_ + m : 0, i + m == n ? logits : nullptr);
    if (!st) {
      n_past_ = start;
      return st;
    }
  }
  return Status::ok();
}

Status Session::forward(int64_t n, int64_t kv_end, float* logits) {
  const ModelConfig& c = model_.config();
  const Weights& w = model_.weights();
  const int64_t E = c.n_embd;
  if (tap_) tap_("inp_embd", -1, x_, n, E);
  BlockArgs a;
  a.cfg = &c;
  a.kv = &kv_;
  a.pos0 = n_past_;
  a.n_tok = n;
  a.kv_end = kv_end;
  a.rope_factors = rope_factors_;
  a.ex = ex_;
  a.tap = &tap_;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    if (abort_ && abort_->load(std::memory_order_relaxed)) return {ErrorCode::ABORTED, "evaluation aborted"};
    a.il = il;
    a.w = &w.layers[il];
    CAPIBARA_RETURN_IF_ERROR(run_block(a, x_, buf_));
  }
  n_past_ += n;
  if (!logits) return Status::ok();
  // Output head on the last token only.
  norm_rows(c, w.output_norm, x_ + (n - 1) * E, last_, 1, E);
  if (tap_) tap_("result_norm", -1, last_, 1, E);
  CAPIBARA_RETURN_IF_ERROR(linear(ex_, w.output, last_, 1, logits));
  for (int64_t i = 0; i < c.n_vocab; ++i) {
    float v = logits[i] * c.logit_scale;
    if (c.final_softcap > 0.0f) v = c.final_softcap * std::tanh(v / c.final_softcap);
    logits[i] = v;
  }
  if (tap_) tap_("result_output", -1, logits, 1, c.n_vocab);
  return Status::ok();
}

}  // namespace capibara::model
