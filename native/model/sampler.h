// Token sampling over one logits vector, in llama.cpp's default order: penalties (repetition,
// frequency, presence over the last repeat_last_n tokens), then temperature 0 = greedy argmax, else
// top-k -> top-p -> min-p -> softmax(logits / temperature) -> draw with a seeded RNG.
#pragma once
#include <cstdint>
#include <deque>
#include <random>
#include <utility>
#include <vector>

namespace capibara::model {

struct SamplerParams {
  float temperature = 0.8f;
  int32_t top_k = 40;          // <= 0: off
  float top_p = 0.95f;         // >= 1: off
  float min_p = 0.05f;         // <= 0: off
  float repeat_penalty = 1.0f; // 1: off
  int32_t repeat_last_n = 64;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
};

class Sampler {
 public:
  Sampler(const SamplerParams& p, int64_t n_vocab);
  // Picks the next token; logits (n_vocab) are modified in place by the penalties.
  int32_t sample(float* logits) {
    apply_penalties(logits);
    return pick(logits);
  }
  // The two halves of sample(), for constrained decoding (native/grammar/constrained.h): penalise
  // once, then pick again after masking without penalising twice.
  void apply_penalties(float* logits) const;
  int32_t pick(float* logits);
  // Records a token (prompt or generated) for the penalties.
  void accept(int32_t token);

 private:
  SamplerParams p_;
  int64_t n_vocab_;
  std::mt19937_64 rng_;
  std::deque<int32_t> recent_;  // last repeat_last_n tokens
  // Scratch reused across calls (no allocation per token once warmed up).
  std::vector<std::pair<float, int32_t>> cand_;
  std::vector<double> weight_;
  std::vector<int32_t> count_;  // occurrences per token id in recent_
};

}  // namespace capibara::model
