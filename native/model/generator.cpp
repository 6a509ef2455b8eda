#include "model/generator.h"

namespace capibara::model {

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::Eos: return "eos";
    case StopReason::MaxTokens: return "maxTokens";
    case StopReason::ContextFull: return "contextFull";
    case StopReason::Aborted: return "aborted";
    case StopReason::Error: return "error";
    case StopReason::None: break;
  }
  return "none";
}

Generator::Generator(GenerateParams params, int64_t n_vocab, const std::vector<int32_t>& prompt)
    : p_(std::move(params)), n_vocab_(n_vocab), sampler_(p_.sampler, n_vocab), submitted_(Clock::now()), started_(submitted_) {
  stats_.prompt_tokens = static_cast<int64_t>(prompt.size());
  for (int32_t t : prompt)
    if (t >= 0) sampler_.accept(t);  // image positions are negative placeholders
  if (p_.grammar) constrained_ = std::make_unique<grammar::ConstrainedSampler>(p_.grammar, p_.trigger);
}

void Generator::started(int64_t cached_prompt_tokens) {
  started_ = Clock::now();
  stats_.queue_ms = ms(submitted_, started_);
  stats_.cached_prompt_tokens = cached_prompt_tokens;
}

const std::vector<int32_t>& Generator::next(float* logits, int64_t n_past, int64_t n_ctx) {
  step_.clear();
  if (done()) return step_;
  if (!has_logits_) {
    has_logits_ = true;
    first_logits_ = Clock::now();
    stats_.prefill_ms = ms(started_, first_logits_);
  }
  if (stats_.generated >= p_.max_tokens) {
    end(StopReason::MaxTokens);
    return step_;
  }
  // logits -> [token mask] -> sample
  int32_t tok;
  if (constrained_) {
    Result<int32_t> r = constrained_->sample(sampler_, logits, n_vocab_,
                                             p_.max_tokens - stats_.generated);
    if (!r) return fail(r.status());
    tok = r.value();
  } else {
    tok = sampler_.sample(logits);
  }
  sampler_.accept(tok);
  if (p_.stop_tokens.count(tok)) {
    end(StopReason::Eos);
    return step_;
  }
  step_.push_back(tok);
  if (constrained_) {  // the grammar's forced continuation rides along with the sampled token
    const Status st = constrained_->accept(tok);
    if (!st) return fail(st);
    for (int32_t f : constrained_->forced(static_cast<size_t>(p_.max_tokens - stats_.generated - 1))) {
      sampler_.accept(f);
      step_.push_back(f);
    }
  }
  stats_.generated += static_cast<int64_t>(step_.size());
  // The tokens are emitted; whether they can still be evaluated decides the next step.
  if (constrained_ && constrained_->complete()) end(StopReason::Eos);  // only end of generation can follow
  else if (stats_.generated >= p_.max_tokens) end(StopReason::MaxTokens);
  else if (n_past + static_cast<int64_t>(step_.size()) > n_ctx) end(StopReason::ContextFull);
  return step_;
}

const std::vector<int32_t>& Generator::fail(const Status& st) {
  step_.clear();
  error_ = st;
  end(StopReason::Error);
  return step_;
}

void Generator::finish(StopReason r) {
  if (!done()) end(r);
}

void Generator::end(StopReason r) {
  reason_ = r;
  stats_.decode_ms = has_logits_ ? ms(first_logits_, Clock::now()) : 0.0;
}

}  // namespace capibara::model
