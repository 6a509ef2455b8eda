// The forward pass over one batch: embeddings of the batch's tokens, every layer (matmuls once over
// all rows, attention per sequence span), then the output head on the rows whose logits are wanted.
// Owns the activation arena for up to n_batch rows; the caller owns caches, threads and positions.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

#include "common/status.h"
#include "model/block.h"
#include "model/model.h"
#include "runtime/arena.h"

namespace capibara::model {

class Forward {
 public:
  // n_batch: most rows per call; n_out: most logit rows per call. n_ctx picks LongRoPE factors and,
  // with a Q8_0 cache, sizes the per-thread dequantisation buffers for n_threads.
  static Result<std::unique_ptr<Forward>> create(const Model& model, int64_t n_batch, int64_t n_out, int64_t n_ctx,
                                                 KvType kv_type = KvType::F16, int n_threads = 1);

  // tokens: the spans' tokens one span after another (ids already checked against the vocabulary;
  // rows of an embedding span are ignored); spans' row0 are filled here. out_rows[i] (ascending) are batch rows whose logits are written to
  // logits + i * n_vocab. ABORTED when `abort` is set (checked between layers; caches then hold
  // partial rows for the positions of this batch, which callers drop).
  Status run(const Exec& ex, const int32_t* tokens, SeqSpan* spans, size_t n_spans, const int64_t* out_rows,
             int64_t n_out, float* logits, const TapFn* tap = nullptr, const std::atomic<bool>* abort = nullptr);

  int64_t n_batch() const { return n_batch_; }
  int64_t n_out() const { return n_out_; }
  size_t bytes() const { return arena_.size(); }  // the activation arena

 private:
  Forward(const Model& m, Arena arena, int64_t n_batch, int64_t n_out);
  // Input rows of the batch: token embeddings, or a span's given embedding rows.
  void embed(const int32_t* tokens, const SeqSpan* spans, size_t n_spans);

  const Model& model_;
  Arena arena_;
  int64_t n_batch_, n_out_;
  BlockBuffers buf_;
  float* x_ = nullptr;     // [n_batch][n_embd] residual stream
  float* last_ = nullptr;  // [n_out][n_embd] normed rows of the output head
  const float* rope_factors_ = nullptr;
};

}  // namespace capibara::model
