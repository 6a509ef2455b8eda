#include "grammar/constrained.h"

#include <algorithm>

#include "kernels/kernels.h"

namespace capibara::grammar {

Result<int32_t> ConstrainedSampler::sample(model::Sampler& s, float* logits, int64_t n_vocab, int64_t budget) {
  if (!active_) return s.sample(logits);
  s.apply_penalties(logits);
  const int64_t words = (n_vocab + 31) / 32;
  const auto empty = [words](const uint32_t* m) { return std::all_of(m, m + words, [](uint32_t w) { return w == 0; }); };
  const uint32_t* mask = nullptr;
  // One token of slack: the closing walk needs at most distance() tokens, plus end of generation.
  if (budget <= static_cast<int64_t>(m_.distance()) + 1) {
    mask = m_.closing_mask();
    if (empty(mask)) mask = nullptr;  // no single token moves closer: fall back to the plain mask
  }
  if (!mask) {
    const int32_t first = s.pick(logits);
    if (m_.allows(first)) return first;  // the common case: no mask at all (llama.cpp's trick)
    mask = m_.mask();
  }
  ++masks_;
  if (empty(mask))
    return Status(ErrorCode::GRAMMAR_DEAD_END, "grammar: no token of the vocabulary can continue the text generated so far");
  kernels().apply_token_mask(logits, mask, n_vocab);
  const int32_t tok = s.pick(logits);
  if ((mask[tok >> 5] >> (tok & 31)) & 1u) return tok;
  // A draw over probabilities that rounding left at the masked tail: take the best allowed token.
  return static_cast<int32_t>(std::max_element(logits, logits + n_vocab) - logits);
}

Status ConstrainedSampler::accept(int32_t token) {
  if (active_) return m_.accept(token);
  if (trigger_.tokens.count(token)) {
    active_ = true;
    return m_.accept_text(trigger_.text);
  }
  tail_ += m_.piece(token);
  const size_t at = tail_.find(trigger_.text);
  if (at != std::string::npos) {
    active_ = true;
    return m_.accept_text(std::string_view(tail_).substr(at));
  }
  if (tail_.size() >= trigger_.text.size()) tail_.erase(0, tail_.size() - (trigger_.text.size() - 1));
  return Status::ok();
}

std::vector<int32_t> ConstrainedSampler::forced(size_t max) {
  if (!active_) return {};
  std::vector<int32_t> out = m_.forced(max);
  for (size_t i = 0; i < out.size(); ++i)
    if (!m_.accept(out[i])) {  // cannot happen for text the grammar forced; keep what was accepted
      out.resize(i);
      break;
    }
  return out;
}

}  // namespace capibara::grammar
