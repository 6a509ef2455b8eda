#include "model/session.h"

#include <algorithm>
#include <string>

namespace capibara::model {

Status reserve_scratch(const ModelConfig& c, int64_t n_batch, QuantScratch& scratch) {
  // Quantised activations: at most 4 bytes per input element (F32), for the widest matmul input.
  const int64_t widest = std::max({c.n_embd, c.q_dim(), c.n_ff});
  if (!scratch.reserve(static_cast<size_t>(n_batch * widest) * sizeof(float)))
    return Status(ErrorCode::OOM, "could not allocate the matmul scratch");
  return Status::ok();
}

Session::Session(const Model& m, int64_t n_ctx, int n_threads)
    : model_(m), n_ctx_(n_ctx), pool_(n_threads < 1 ? 1 : n_threads) {
  ex_.pool = &pool_;
  ex_.scratch = &scratch_;
}

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& opts) {
  const ModelConfig& c = model.config();
  int64_t n_ctx = opts.n_ctx > 0 ? opts.n_ctx : std::min<int64_t>(c.n_ctx_train, 4096);
  if (opts.n_batch < 1) return Status(ErrorCode::INVALID_ARGUMENT, "n_batch must be at least 1");
  std::unique_ptr<Session> s(new Session(model, n_ctx, opts.n_threads));
  auto kv = KvPool::create(c, kv_pool_blocks(c, n_ctx, 1, opts.n_batch));
  if (!kv) return kv.status();
  s->pool_kv_ = kv.take();
  s->kv_ = std::make_unique<KvCache>(*s->pool_kv_, c, opts.n_batch);
  auto fwd = Forward::create(model, opts.n_batch, 1, n_ctx);
  if (!fwd) return fwd.status();
  s->fwd_ = fwd.take();
  CAPIBARA_RETURN_IF_ERROR(reserve_scratch(c, opts.n_batch, s->scratch_));
  return s;
}

void Session::clear() {
  n_past_ = 0;
  kv_->reset();
}

Status Session::eval(const int32_t* tokens, int64_t n, float* logits) {
  if (n <= 0) return {ErrorCode::INVALID_ARGUMENT, "eval needs at least one token"};
  if (n_past_ + n > n_ctx_)
    return {ErrorCode::CONTEXT_FULL, "context is full: " + std::to_string(n_past_) + " + " + std::to_string(n) +
                                         " tokens exceed the context size " + std::to_string(n_ctx_)};
  const int64_t n_vocab = model_.config().n_vocab;
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= n_vocab)
      return {ErrorCode::INVALID_ARGUMENT, "token id " + std::to_string(tokens[i]) + " is outside the vocabulary (size " +
                                               std::to_string(n_vocab) + ")"};
  return run(tokens, nullptr, n, false, logits);
}

Status Session::eval_embd(const float* rows, int64_t n, bool bidirectional, float* logits) {
  if (n <= 0) return {ErrorCode::INVALID_ARGUMENT, "eval_embd needs at least one row"};
  if (n_past_ + n > n_ctx_)
    return {ErrorCode::CONTEXT_FULL, "context is full: " + std::to_string(n_past_) + " + " + std::to_string(n) +
                                         " embeddings exceed the context size " + std::to_string(n_ctx_)};
  if (bidirectional && n > fwd_->n_batch())
    return {ErrorCode::INVALID_ARGUMENT, "a bidirectional span of " + std::to_string(n) +
                                             " rows exceeds the session's batch size " + std::to_string(fwd_->n_batch())};
  return run(nullptr, rows, n, bidirectional, logits);
}

Status Session::run(const int32_t* tokens, const float* embd, int64_t n, bool bidirectional, float* logits) {
  const int64_t start = n_past_, E = model_.config().n_embd;
  const CpuSlot cpu;  // one slot of the process's CPU budget for the whole evaluation
  for (int64_t i = 0; i < n; i += fwd_->n_batch()) {
    const int64_t m = std::min(fwd_->n_batch(), n - i);
    const bool last = i + m == n && logits;
    // Sized for one sequence of n_ctx, so the pool never runs out.
    if (!kv_->prepare(n_past_, m)) return {ErrorCode::INTERNAL, "the session's KV pool is exhausted"};
    SeqSpan span;
    span.kv = kv_.get();
    span.pos0 = n_past_;
    span.n = m;
    if (embd) span.embd = embd + i * E;
    if (bidirectional) span.kv_end = n_past_ + m;
    const int64_t out_row = m - 1;
    Status st = fwd_->run(ex_, embd ? nullptr : tokens + i, &span, 1, &out_row, last ? 1 : 0, last ? logits : nullptr,
                          &tap_, abort_);
    if (!st) {
      n_past_ = start;
      if (kv_->usable_prefix(start) != start) clear();
      return st;
    }
    n_past_ += m;
  }
  return Status::ok();
}

}  // namespace capibara::model
