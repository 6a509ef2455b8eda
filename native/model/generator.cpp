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
    : p_(std::move(params)), sampler_(p_.sampler, n_vocab), submitted_(Clock::now()), started_(submitted_) {
  stats_.prompt_tokens = static_cast<int64_t>(prompt.size());
  for (int32_t t : prompt) sampler_.accept(t);
}

void Generator::started(int64_t cached_prompt_tokens) {
  started_ = Clock::now();
  stats_.queue_ms = ms(submitted_, started_);
  stats_.cached_prompt_tokens = cached_prompt_tokens;
}

int32_t Generator::next(float* logits, int64_t n_past, int64_t n_ctx) {
  if (done()) return -1;
  if (!has_logits_) {
    has_logits_ = true;
    first_logits_ = Clock::now();
    stats_.prefill_ms = ms(started_, first_logits_);
  }
  if (stats_.generated >= p_.max_tokens) {
    end(StopReason::MaxTokens);
    return -1;
  }
  // logits -> [token mask] -> sample
  const int32_t tok = sampler_.sample(logits);
  sampler_.accept(tok);
  if (p_.stop_tokens.count(tok)) {
    end(StopReason::Eos);
    return -1;
  }
  ++stats_.generated;
  // The token is emitted; whether it can still be evaluated decides the next step.
  if (stats_.generated >= p_.max_tokens) end(StopReason::MaxTokens);
  else if (n_past >= n_ctx) end(StopReason::ContextFull);
  return tok;
}

void Generator::finish(StopReason r) {
  if (!done()) end(r);
}

void Generator::end(StopReason r) {
  reason_ = r;
  stats_.decode_ms = has_logits_ ? ms(first_logits_, Clock::now()) : 0.0;
}

}  // namespace capibara::model
