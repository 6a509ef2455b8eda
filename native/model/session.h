// A session: one sequence's KV cache, activation arena and threads over a shared Model.
// eval() appends tokens (batched prefill when several, single-token decode otherwise) and returns
// the logits after the last one. Not thread-safe: one caller thread at a time.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/block.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "runtime/arena.h"
#include "runtime/thread_pool.h"

namespace capibara::model {

struct SessionOptions {
  int64_t n_ctx = 0;      // 0: the file's context length capped at 4096
  int64_t n_batch = 64;   // tokens per prefill step (bounds the arena)
  int n_threads = 1;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(const Model& model, const SessionOptions& opts);
  ~Session();

  // Appends `n` tokens at positions n_past()..; when logits is non-null writes the n_vocab logits
  // after the last one. CONTEXT_FULL when n_past() + n > n_ctx() (nothing is evaluated);
  // INVALID_ARGUMENT for a token id outside the vocabulary; ABORTED when the abort flag is set
  // (checked between layers; the tokens evaluated so far are dropped from the cache).
  Status eval(const int32_t* tokens, int64_t n, float* logits);
  // Appends n rows of input embeddings [n][n_embd] (an image's projected tokens: used as given, not
  // scaled like token embeddings) as one batch. bidirectional: the rows attend to each other both
  // ways (causal towards everything before them), as llama.cpp does for one gemma3 image.
  // INVALID_ARGUMENT when bidirectional and n > n_batch (the span must be one batch); CONTEXT_FULL
  // and ABORTED as for eval.
  Status eval_embd(const float* rows, int64_t n, bool bidirectional, float* logits);
  int64_t n_batch() const { return n_batch_; }
  // Forgets every token (n_past() = 0).
  void clear() { n_past_ = 0; }
  // Drops tokens after position n (n <= n_past()).
  void truncate(int64_t n) { n_past_ = std::min(n_past_, n); }
  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return kv_.n_ctx(); }
  const Model& model() const { return model_; }

  // Flag polled between layers; nullptr disables.
  void set_abort_flag(const std::atomic<bool>* flag) { abort_ = flag; }
  // Per-layer debug taps (see block.h); an empty function disables.
  void set_tap(TapFn tap) { tap_ = std::move(tap); }

 private:
  Session(const Model& m, KvCache kv, Arena arena, int64_t n_batch, int n_threads);
  Status eval_batch(const int32_t* tokens, int64_t n, float* logits);
  // Runs the layers and the head over x_'s n rows at n_past_.. (kv_end as in BlockArgs).
  Status forward(int64_t n, int64_t kv_end, float* logits);

  const Model& model_;
  KvCache kv_;
  Arena arena_;
  int64_t n_batch_;
  ThreadPool pool_;
  QuantScratch scratch_;
  Exec ex_;
  BlockBuffers buf_;
  float* x_ = nullptr;     // [n_batch][n_embd] residual stream
  float* last_ = nullptr;  // [n_embd] normed last row
  const float* rope_factors_ = nullptr;
  int64_t n_past_ = 0;
  const std::atomic<bool>* abort_ = nullptr;
  TapFn tap_;
};

}  // namespace capibara::model
