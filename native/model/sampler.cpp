#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace capibara::model {

Sampler::Sampler(const SamplerParams& p, int64_t n_vocab) : p_(p), n_vocab_(n_vocab), rng_(p.seed) {
  cand_.reserve(static_cast<size_t>(n_vocab));
}

void Sampler::accept(int32_t token) {
  if (p_.repeat_last_n <= 0) return;
  recent_.push_back(token);
  while (static_cast<int64_t>(recent_.size()) > p_.repeat_last_n) recent_.pop_front();
}

void Sampler::apply_penalties(float* logits) const {
  if (recent_.empty() || (p_.repeat_penalty == 1.0f && p_.frequency_penalty == 0.0f && p_.presence_penalty == 0.0f))
    return;
  std::unordered_map<int32_t, int> count;
  for (int32_t t : recent_) ++count[t];
  for (const auto& [tok, n] : count) {
    if (tok < 0 || tok >= n_vocab_) continue;
    float& l = logits[tok];
    l = l > 0.0f ? l / p_.repeat_penalty : l * p_.repeat_penalty;
    l -= static_cast<float>(n) * p_.frequency_penalty + p_.presence_penalty;
  }
}

int32_t Sampler::sample(float* logits) {
  apply_penalties(logits);
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
  std::vector<float> prob(n);
  const float mx = cand_[0].first;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += prob[i] = std::exp(cand_[i].first - mx);
  if (p_.top_p < 1.0f) {
    double acc = 0.0;
    for (size_t i = 0; i < n; ++i) {
      acc += prob[i] / sum;
      if (acc >= p_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  if (p_.min_p > 0.0f) {
    // prob[0] is the largest (exp(0) = 1): keep candidates with p >= min_p * p_max.
    size_t keep = 1;
    while (keep < n && prob[keep] >= p_.min_p) ++keep;
    n = keep;
  }
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = std::exp((cand_[i].first - mx) / p_.temperature);
  std::discrete_distribution<size_t> dist(w.begin(), w.end());
  return cand_[dist(rng_)].second;
}

}  // namespace capibara::model
