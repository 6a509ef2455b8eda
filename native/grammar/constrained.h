// The decode loop's grammar hook, kept in one place so it can be re-applied on any decode loop:
//   token = cs.sample(sampler, logits, budget)   // penalties -> the sampler's pick -> grammar check; only
//                                        // when the grammar rejects it: mask (kernel op) and pick again
//   cs.accept(token)                     // after the stop-token check
//   cs.forced(n)                         // tokens the grammar dictates: evaluate them with the
//                                        // sampled one, no model call of their own
//   cs.complete()                        // nothing but end of generation can follow: stop
// A lazy sampler (a Trigger given) samples freely until the trigger text appears in the output (or
// one of its tokens is sampled); the grammar then reads the output from the trigger on (tool calls:
// free text until the family's tool-call start, then the call constrained by its schema).
#pragma once
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "grammar/matcher.h"
#include "model/sampler.h"

namespace capibara::grammar {

// What starts a lazy grammar: `text` in the output, or a token of `tokens` (whose text is `text`,
// e.g. a control token with no bytes of its own).
struct Trigger {
  std::string text;
  std::unordered_set<int32_t> tokens;
};

class ConstrainedSampler {
 public:
  explicit ConstrainedSampler(std::shared_ptr<const CompiledGrammar> g, Trigger trigger = {})
      : m_(std::move(g)), trigger_(std::move(trigger)), active_(trigger_.text.empty()) {}

  // The next token under the grammar (logits are penalised and possibly masked in place), when
  // at most `budget` tokens (this one included) may still be generated: once the budget gets as
  // short as the shortest completion, only tokens that move towards the grammar's end are allowed,
  // so a bounded output closes (its JSON, say) before the token limit.
  // GRAMMAR_DEAD_END when no token of the vocabulary may follow.
  Result<int32_t> sample(model::Sampler& s, float* logits, int64_t n_vocab, int64_t budget);
  Status accept(int32_t token);
  // Forced continuation (at most `max` tokens), already accepted by the grammar.
  std::vector<int32_t> forced(size_t max);
  bool complete() const { return active_ && m_.complete(); }
  // Full masks computed so far (the sampler's pick was rejected).
  int64_t masks_computed() const { return masks_; }

 private:
  Matcher m_;
  Trigger trigger_;
  bool active_;        // the grammar applies (always without a trigger)
  std::string tail_;   // recent output while waiting for the trigger (shorter than it)
  int64_t masks_ = 0;
};

}  // namespace capibara::grammar
