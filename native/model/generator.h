// One sequence's generation rules, independent of how its forward passes are batched: after each
// evaluation of its latest position the scheduler hands the logits here, and next() samples the
// token and applies the stop rules (end-of-generation ids, max tokens, context full). It also keeps
// the sequence's timings. The sampling step is the one place logits become a token; with a grammar
// it is constrained there (check, mask when rejected) and the grammar's forced tokens follow it.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "grammar/constrained.h"
#include "model/sampler.h"

namespace capibara::model {

struct GenerateParams {
  SamplerParams sampler;
  int64_t max_tokens = 256;
  std::unordered_set<int32_t> stop_tokens;  // end generation (not emitted)
  std::shared_ptr<const grammar::CompiledGrammar> grammar;  // null: unconstrained
  grammar::Trigger trigger;                                  // empty text: the grammar applies from the start
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
  // tokens to emit: the sampled one, then any the grammar forces (evaluated together as one span).
  // When done() is set afterwards they are not evaluated; error() is set for StopReason::Error.
  const std::vector<int32_t>& next(float* logits, int64_t n_past, int64_t n_ctx);
  // Ends the sequence for an outside reason (abort, error) unless it already ended.
  void finish(StopReason r);

  bool done() const { return reason_ != StopReason::None; }
  StopReason reason() const { return reason_; }
  const Status& error() const { return error_; }
  const GenerateStats& stats() const { return stats_; }

 private:
  static double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
  void end(StopReason r);
  const std::vector<int32_t>& fail(const Status& st);

  GenerateParams p_;
  int64_t n_vocab_;
  Sampler sampler_;
  std::unique_ptr<grammar::ConstrainedSampler> constrained_;
  std::vector<int32_t> step_;
  StopReason reason_ = StopReason::None;
  Status error_;
  GenerateStats stats_;
  Clock::time_point submitted_, started_, first_logits_;
  bool has_logits_ = false;
};

}  // namespace capibara::model
