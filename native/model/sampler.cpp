#include "model/sampler.h"

#include <algorithm>
#include <cmath>

namespace capibara::model {

Sampler::Sampler(const SamplerParams& p, int64_t n_vocab)
    : p_(p), n_vocab_(n_vocab), rng_(p.seed), count_(static_cast<size_t>(n_vocab), 0) {
  cand_.reserve(static_cast<size_t>(n_vocab));
  weight_.reserve(static_cast<size_t>(n_vocab));
}

void Sampler::accept(int32_t token) {
  if (p_.repeat_last_n <= 0 || token < 0 || token >= n_vocab_) return;
  recent_.push_back(token);
  ++count_[token];
  if (static_cast<int64_t>(recent_.size()) > p_.repeat_last_n) {
    --count_[recent_.front()];
    recent_.pop_front();
  }
}

// llama.cpp's penalties: each distinct recent token's logit is divided (positive) or multiplied
// (negative) by repeat_penalty, then lowered by count * frequency_penalty + presence_penalty.
void Sampler::apply_penalties(float* logits) const {
  if (recent_.empty() || (p_.repeat_penalty == 1.0f && p_.frequency_penalty == 0.0f && p_.presence_penalty == 0.0f))
    return;
  for (size_t i = 0; i < recent_.size(); ++i) {
    const int32_t tok = recent_[i];
    // Apply once per distinct token: at its first occurrence in the window.
    if (std::find(recent_.begin(), recent_.begin() + static_cast<std::ptrdiff_t>(i), tok) != recent_.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    float& l = logits[tok];
    l = l > 0.0f ? l / p_.repeat_penalty : l * p_.repeat_penalty;
    l -= static_cast<float>(count_[tok]) * p_.frequency_penalty + p_.presence_penalty;
  }
}

int32_t Sampler::pick(float* logits) {
  if (p_.temperature <= 0.0f) return static_cast<int32_t>(std::max_element(logits, logits + n_vocab_) - logits);

  cand_.clear();
  for (int64_t i = 0; i < n_vocab_; ++i) cand_.emplace_back(logits[i], static_cast<int32_t>(i));
  const auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first; };
  size_t n = cand_.size();
  if (p_.top_k > 0 && static_cast<size_t>(p_.top_k) < n) {
    std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
    n = static_cast<size_t>(p_.top_k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  // Probabilities of the sorted candidates (at temperature 1, as llama.cpp's top-p/min-p see them).
  weight_.resize(n);
  const float mx = cand_[0].first;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += weight_[i] = std::exp(cand_[i].first - mx);
  if (p_.top_p < 1.0f) {
    double acc = 0.0;
    for (size_t i = 0; i < n; ++i) {
      acc += weight_[i] / sum;
      if (acc >= p_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  if (p_.min_p > 0.0f) {
    // prob[0] is the largest (exp(0) = 1): keep candidates with p >= min_p * p_max.
    size_t keep = 1;
    while (keep < n && weight_[keep] >= p_.min_p) ++keep;
    n = keep;
  }
  // Draw from softmax(logit / temperature) over the survivors (inverse CDF on one uniform).
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) total += weight_[i] = std::exp((cand_[i].first - mx) / p_.temperature);
  double u = std::uniform_real_distribution<double>(0.0, total)(rng_);
  for (size_t i = 0; i < n; ++i) {
    u -= weight_[i];
    if (u < 0.0) return cand_[i].second;
  }
  return cand_[n - 1].second;
}

}  // namespace capibara::model
