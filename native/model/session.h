// A session: one sequence over a shared Model with its own KV cache, forward buffers and share of
// the process's CPU budget, for direct evaluation (logits, layer traces, golden tests). Generation
// for users goes through the Scheduler, which batches many sequences. Not thread-safe: one caller
// thread at a time.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "common/status.h"
#include "model/block.h"
#include "model/forward.h"
#include "model/kv_pool.h"
#include "model/model.h"
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
  // (checked between layers; the tokens evaluated so far are dropped from the cache, and every
  // token when a sliding-window layer had already released keys the earlier ones need).
  Status eval(const int32_t* tokens, int64_t n, float* logits);
  // Appends n rows of input embeddings [n][n_embd] (an image's projected tokens: used as given, not
  // scaled like token embeddings). bidirectional: the rows attend to each other both ways (causal
  // towards everything before them), as llama.cpp does for one gemma3 image.
  // INVALID_ARGUMENT when bidirectional and n > n_batch (the span must be one batch); CONTEXT_FULL
  // and ABORTED as for eval.
  Status eval_embd(const float* rows, int64_t n, bool bidirectional, float* logits);
  int64_t n_batch() const { return fwd_->n_batch(); }
  // Forgets every token (n_past() = 0).
  void clear();
  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return n_ctx_; }

  // Flag polled between layers; nullptr disables.
  void set_abort_flag(const std::atomic<bool>* flag) { abort_ = flag; }
  // Per-layer debug taps (see block.h); an empty function disables.
  void set_tap(TapFn tap) { tap_ = std::move(tap); }

 private:
  Session(const Model& m, int64_t n_ctx, int n_threads);
  // Runs n rows (tokens, or embedding rows when embd is set) in batches at n_past_..; on failure
  // the cache drops them all.
  Status run(const int32_t* tokens, const float* embd, int64_t n, bool bidirectional, float* logits);

  const Model& model_;
  int64_t n_ctx_;
  std::unique_ptr<KvPool> pool_kv_;
  std::unique_ptr<KvCache> kv_;
  std::unique_ptr<Forward> fwd_;
  ThreadPool pool_;
  QuantScratch scratch_;
  Exec ex_;
  int64_t n_past_ = 0;
  const std::atomic<bool>* abort_ = nullptr;
  TapFn tap_;
};

// Reserves the matmul activation scratch for batches of up to n_batch rows.
Status reserve_scratch(const ModelConfig& c, int64_t n_batch, QuantScratch& scratch);

}  // namespace capibara::model
