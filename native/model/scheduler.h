// The scheduler of one loaded model: every generation on the model is a sequence submitted here, and
// one thread runs steps over all of them, the only caller of the forward pass for generation.
//
// A step is one batch: the next token of every decoding sequence whose consumer keeps up, then prompt
// chunks of admitted sequences (short prompts first, then admission order) up to the token
// budget, and while any sequence decodes at most prefill_while_decoding prompt tokens (or one short
// prompt whole: one whose uncached part was at most short_prompt at admission), so a long prompt is
// spread over steps and never freezes the streams that decode. Matmuls run once per step over the
// batch; attention runs per sequence over its own cache; sampling, stop rules, abort and back-pressure
// are per sequence (Generator, SeqSink). A decode row is a span of the sampled token plus any tokens
// a grammar forced. An image in a prompt is one span of its embedding rows, bidirectional within
// itself and never split across steps. At most n_seq sequences are admitted; later ones wait in one
// FIFO queue.
//
// KV: one pool of blocks (kv_pool.h) shared by every sequence. A new prompt reuses the KV of the
// longest prefix it shares with any cache, running or finished (an earlier turn of the same chat, a
// system prompt shared by many requests) by sharing its blocks; only a partly filled last block is
// ever copied. A finished sequence's cache stays for the prompt cache until the pool needs its
// blocks: finished caches are evicted least recently used first.
// Exhaustion: a queued sequence is admitted only while the pool has blocks for its whole prompt
// beside what running sequences hold and still need for theirs; otherwise it waits in the queue
// (FIFO) until blocks free up. A running sequence that then grows past the free blocks (nothing
// left to evict) ends alone with CONTEXT_FULL; the others are not disturbed. A prompt that needs more
// blocks than the whole pool holds is CONTEXT_FULL at submit.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "model/forward.h"
#include "model/generator.h"
#include "model/kv_pool.h"
#include "model/model.h"
#include "runtime/thread_pool.h"

namespace capibara::model {

// Where a sequence's output goes. Called on the scheduler thread; must not block.
class SeqSink {
 public:
  virtual ~SeqSink() = default;
  virtual void token(int32_t token) = 0;
  // False while the consumer is too far behind: the sequence sits out steps until wake().
  virtual bool ready() = 0;
  // The last call. error is set when reason is StopReason::Error.
  virtual void done(StopReason reason, const GenerateStats& stats, const Status& error) = 0;
};

// An image in a prompt: n positions from pos filled with the given input embeddings [n][n_embd],
// evaluated as one bidirectional span in a single step. key (the image bytes' hash, at least one
// word) names the positions for the prompt cache, so a resent image reuses its KV.
struct PromptImage {
  int64_t pos = 0;
  int64_t n = 0;
  std::vector<float> rows;
  std::vector<int32_t> key;
};

struct SchedulerOptions {
  int64_t n_seq = 1;          // sequences generating at once
  int64_t n_ctx = 0;          // positions per sequence (0: the file's, at most 4096)
  int64_t token_budget = 256; // most tokens in one step (decode rows + prompt chunks)
  // Most prompt tokens in a step while other sequences decode: bounds their inter-token gap. A
  // prompt whose uncached part is at most short_prompt tokens is still taken whole, so short requests that
  // arrive together each get their first token within a step.
  int64_t prefill_while_decoding = 12;
  int64_t short_prompt = 64;
  int64_t max_image = 0;      // most positions of one image (its span must fit a step beside the decode rows)
  int n_threads = 1;          // most threads of the process's CPU budget a step uses
  bool prompt_cache = true;
  int64_t cache_seqs = 0;     // extra sequences' worth of pool kept for the prompt cache
  int64_t kv_tokens = 0;      // positions of the pool in all (0: (n_seq + cache_seqs) * n_ctx)
  KvType kv_type = KvType::F16;
};

struct SchedulerStats {
  int64_t queued = 0;             // waiting for admission
  int64_t active = 0;             // admitted, not finished
  int64_t last_batch_tokens = 0;  // rows of the last step
  int64_t last_batch_seqs = 0;    // sequences in the last step
  int64_t steps = 0;
  int64_t kv_used = 0;            // positions held by active sequences
  int64_t kv_cached = 0;          // positions held by finished sequences' caches (prompt cache)
  int64_t kv_capacity = 0;        // positions of the pool (kv_tokens or its default)
  int64_t kv_blocks_used = 0;     // pool blocks held by active sequences
  int64_t kv_blocks_cached = 0;   // pool blocks held only by finished sequences' caches
  int64_t kv_blocks_total = 0;
  int64_t cached_prompt_tokens = 0;  // total prompt tokens served from the cache
  size_t kv_bytes = 0;
  size_t buffer_bytes = 0;        // activations, matmul scratch and logits of a step
};

class Scheduler {
 public:
  // INVALID_ARGUMENT for out-of-range options; OOM when the pool or buffers cannot be allocated.
  static Result<std::unique_ptr<Scheduler>> create(std::shared_ptr<const Model> model, const SchedulerOptions& opts);
  // Ends every sequence (aborted) and joins the thread.
  ~Scheduler();

  // Queues a sequence and returns its id. prompt holds every position; those of images (ascending,
  // not overlapping) are placeholders. INVALID_ARGUMENT for an empty prompt, a token outside the
  // vocabulary or a malformed image; CONTEXT_FULL when the prompt does not fit the context or the
  // whole KV pool.
  Result<uint64_t> submit(std::vector<int32_t> prompt, GenerateParams params, std::shared_ptr<SeqSink> sink,
                          std::vector<PromptImage> images = {});
  // Ends a sequence (queued or running) with StopReason::Aborted; others are not disturbed.
  void abort(uint64_t id);
  // A sink became ready again.
  void wake();

  SchedulerStats stats() const;

 private:
  struct Seq;
  // The KV of a token prefix: a running sequence's, or a finished one's kept for the prompt cache.
  struct Cache {
    Cache(KvPool& pool, const ModelConfig& c, int64_t chunk) : kv(pool, c, chunk) {}
    KvCache kv;
    std::vector<int32_t> tokens;  // the positions whose K/V it holds
    Seq* seq = nullptr;           // running sequence, or null when finished
    uint64_t last_used = 0;
  };

  Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& opts);
  void loop();
  // Called with mu_ held. Moves s to running_, or leaves it when the pool lacks blocks for its prompt.
  bool admit(std::unique_ptr<Seq>& s);
  void finish(Seq& s, StopReason r, const Status& err = Status::ok());
  // Pool blocks held by running sequences (and `extra`), counted once each.
  int64_t running_blocks(const KvCache* extra);
  // Frees the least recently used finished cache; false when there is none (the pool's reclaim).
  bool evict_one();
  // Gets s's cache ready for n positions from pos0; on exhaustion ends s with CONTEXT_FULL.
  bool prepare(Seq& s, int64_t pos0, int64_t n);
  bool step();  // false when there was nothing to run

  std::shared_ptr<const Model> model_;
  SchedulerOptions opts_;
  int64_t chunk_ = 0;  // most rows of a step
  std::unique_ptr<KvPool> pool_;
  std::list<Cache> caches_;        // stable addresses; after pool_, so they release first
  std::vector<uint32_t> marks_;    // per block, for running_blocks
  uint32_t epoch_ = 0;
  bool admit_blocked_ = false;     // the queue's head waits for blocks (until a sequence ends)
  std::unique_ptr<Forward> fwd_;
  ThreadPool threads_;
  QuantScratch scratch_;
  Exec ex_;
  std::vector<std::unique_ptr<Seq>> running_;  // admission order
  std::vector<float> logits_;                  // [n_seq][n_vocab]
  uint64_t clock_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Seq>> queue_;
  std::vector<uint64_t> aborts_;
  bool stop_ = false;
  bool woken_ = false;
  SchedulerStats stats_;
  uint64_t next_id_ = 1;
  std::thread thread_;
};

}  // namespace capibara::model
