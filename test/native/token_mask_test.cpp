// apply_token_mask: every ISA table present gives exactly the reference result (bitwise), on odd
// sizes, random masks, all-set / all-clear masks and a vocabulary-sized row.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/kernels.h"
#include "test_util.h"

using namespace capibara;

namespace {

std::vector<uint32_t> random_mask(int64_t n, uint32_t seed, double density) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution on(density);
  std::vector<uint32_t> m(static_cast<size_t>((n + 31) / 32 + 1), 0);
  for (int64_t i = 0; i < n; ++i)
    if (on(rng)) m[i >> 5] |= 1u << (i & 31);
  m.back() = 0xA5A5A5A5u;  // bits past n must not matter
  return m;
}

void check_all(const std::vector<float>& x, const std::vector<uint32_t>& mask, const std::string& ctx) {
  const int64_t n = static_cast<int64_t>(x.size());
  for (int i = 0; i < kIsaCount; ++i) {
    const Kernels* k = kernels_for(static_cast<Isa>(i));
    if (!k) continue;
    CHECK(k->apply_token_mask != nullptr);
    std::vector<float> y = x;
    y.push_back(42.0f);  // a sentinel past the end stays untouched
    k->apply_token_mask(y.data(), mask.data(), n);
    bool same = y[n] == 42.0f;
    for (int64_t j = 0; j < n; ++j) {
      const bool allowed = (mask[j >> 5] >> (j & 31)) & 1u;
      same &= allowed ? y[j] == x[j] : (std::isinf(y[j]) && y[j] < 0);
    }
    if (!same) capitest::fail(__FILE__, __LINE__, std::string(isa_name(k->isa)) + " " + ctx);
  }
}

}  // namespace

CAPI_TEST(token_mask_matches_definition_on_every_isa) {
  for (int64_t n : capitest::odd_sizes()) {
    const auto x = capitest::random_floats(n, 3 + static_cast<uint32_t>(n), -10.0f, 10.0f);
    check_all(x, random_mask(n, 7 + static_cast<uint32_t>(n), 0.5), "random n=" + std::to_string(n));
    check_all(x, random_mask(n, 9, 0.02), "sparse n=" + std::to_string(n));
    check_all(x, std::vector<uint32_t>(static_cast<size_t>((n + 31) / 32 + 1), 0xFFFFFFFFu), "all set n=" + std::to_string(n));
    check_all(x, std::vector<uint32_t>(static_cast<size_t>((n + 31) / 32 + 1), 0u), "all clear n=" + std::to_string(n));
  }
  const int64_t vocab = 151936;
  check_all(capitest::random_floats(vocab, 1, -20.0f, 20.0f), random_mask(vocab, 2, 0.001), "qwen2-sized");
}
