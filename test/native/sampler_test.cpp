// Sampler: greedy, penalties (llama.cpp's formulas), top-k / top-p / min-p truncation, seeded draws.
#include <map>
#include <vector>

#include "harness.h"
#include "model/sampler.h"

using capibara::model::Sampler;
using capibara::model::SamplerParams;

namespace {
SamplerParams greedy() {
  SamplerParams p;
  p.temperature = 0.0f;
  return p;
}
}  // namespace

CAPI_TEST(sampler_greedy_picks_first_max) {
  Sampler s(greedy(), 5);
  std::vector<float> l = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  CHECK(s.sample(l.data()) == 1);
}

CAPI_TEST(sampler_penalties_follow_llama_cpp) {
  SamplerParams p = greedy();
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  p.repeat_last_n = 3;
  Sampler s(p, 4);
  for (int32_t t : {0, 1, 1, 2}) s.accept(t);  // window of 3: {1, 1, 2}
  std::vector<float> l = {4.0f, 4.0f, -1.0f, 0.0f};
  s.sample(l.data());
  CHECK(l[0] == 4.0f);                           // left the window
  CHECK(l[1] == 4.0f / 2 - 2 * 0.5f - 0.25f);    // positive: divided; seen twice
  CHECK(l[2] == -1.0f * 2 - 1 * 0.5f - 0.25f);   // negative: multiplied; seen once
  CHECK(l[3] == 0.0f);
}

CAPI_TEST(sampler_truncation_and_seeds) {
  std::vector<float> base = {3.0f, 2.9f, 0.0f, -5.0f, 2.95f};
  auto draws = [&](SamplerParams p) {
    Sampler s(p, 5);
    std::map<int32_t, int> seen;
    for (int i = 0; i < 400; ++i) {
      std::vector<float> l = base;
      ++seen[s.sample(l.data())];
    }
    return seen;
  };
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.top_k = 1;
  CHECK(draws(p).size() == 1 && draws(p).count(0) == 1);  // top-k 1 is greedy
  p.top_k = 0;
  p.min_p = 0.5f;  // keeps p >= 0.5 p_max: tokens 0, 4, 1
  auto m = draws(p);
  CHECK(m.size() == 3 && m.count(2) == 0 && m.count(3) == 0);
  p.min_p = 0.0f;
  p.top_p = 0.3f;  // the top token alone holds more than 30% of the mass
  CHECK(draws(p).size() == 1);
  p.top_p = 1.0f;
  p.seed = 7;
  CHECK(draws(p) == draws(p));  // same seed, same draws
}
