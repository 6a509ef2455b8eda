// The decode loop's grammar hook, kept in one place so it can be re-applied on any decode loop:
//   token = cs.sample(sampler, logits, budget)   // penalties -> the sampler's pick -> grammar check; only
//                                        // when the grammar rejects it: mask (kernel op) and pick again
//   cs.accept(token)                     // after the stop-token check
//   cs.forced(n)                         // tokens the grammar dictates: evaluate them with the
//                                        // sampled one, no model call of their own
//   cs.complete()                        // nothing but end of generation can follow: stop
#pragma once
#include <memory>
#include <vector>

#include "common/status.h"
#include "grammar/matcher.h"
#include "model/sampler.h"

namespace capibara::grammar {

class ConstrainedSampler {
 public:
  explicit ConstrainedSampler(std::shared_ptr<const CompiledGrammar> g) : m_(std::move(g)) {}

  // The next token under the grammar (logits are penalised and possibly masked in place), when
  // at most `budget` tokens (this one included) may still be generated: once the budget gets as
  // short as the shortest completion, only tokens that move towards the grammar's end are allowed,
  // so a bounded output closes (its JSON, say) before the token limit.
  // GRAMMAR_DEAD_END when no token of the vocabulary may follow.
  Result<int32_t> sample(model::Sampler& s, float* logits, int64_t n_vocab, int64_t budget);
  Status accept(int32_t token) { return m_.accept(token); }
  // Forced continuation (at most `max` tokens), already accepted by the grammar.
  std::vector<int32_t> forced(size_t max);
  bool complete() const { return m_.complete(); }
  // Full masks computed so far (the sampler's pick was rejected).
  int64_t masks_computed() const { return masks_; }

 private:
  Matcher m_;
  int64_t masks_ = 0;
};

}  // namespace capibara::grammar
