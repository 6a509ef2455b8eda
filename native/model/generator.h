// One sequence's generation rules, independent of how its forward passes are batched: after each
// evaluation of its latest position the scheduler hands the logits here, and next() samples the
// token and applies the stop rules (end-of-generation ids, max tokens, context full). It also keeps
// the sequence's timings. The sampling step is the one place logits become a token.
#pragma once
#include <chrono>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "model/sampler.h"

namespace capibara::model {

struct GenerateParams {
  SamplerParams sampler;
  int64_t max_tokens = 256;
  std::unordered_set<int32_t> stop_tokens;  // end generation (not emitted)
};

enum class StopReason { None, Eos, MaxTokens, ContextFull, Aborted, Error };
const char* stop_reason_name(StopReason r);

struct GenerateStats {
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // prompt tokens whose KV came from the prompt cache
  int64_t generated = 0;
  double queue_ms = 0;    // submitted -> first prompt chunk scheduled
  double prefill_ms = 0;  // first prompt chunk -> first logits
  double decode_ms = 0;   // first logits -> end
};

class Generator {
 public:
  using Clock = std::chrono::steady_clock;

  Generator(GenerateParams params, int64_t n_vocab, const std::vector<int32_t>& prompt);

  // The prompt's first chunk is being evaluated (ends the queue time).
  void started(int64_t cached_prompt_tokens);
  // Logits after the sequence's latest position, at n_past positions of an n_ctx context. Returns the
  // token to emit and evaluate next, or -1 with reason() set when the sequence is finished.
  int32_t next(float* logits, int64_t n_past, int64_t n_ctx);
  // Ends the sequence for an outside reason (abort, error) unless it already ended.
  void finish(StopReason r);

  bool done() const { return reason_ != StopReason::None; }
  StopReason reason() const { return reason_; }
  const GenerateStats& stats() const { return stats_; }

 private:
  static double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
  void end(StopReason r);

  GenerateParams p_;
  Sampler sampler_;
  StopReason reason_ = StopReason::None;
  GenerateStats stats_;
  Clock::time_point submitted_, started_, first_logits_;
  bool has_logits_ = false;
};

}  // namespace capibara::model
