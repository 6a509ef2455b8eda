// Shared helpers for native kernel tests: seeded random inputs and error measures.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace capitest {

inline std::vector<float> random_floats(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

// Normalised mean squared error, as ggml's test-backend-ops reports it.
inline double nmse(const float* ref, const float* got, int64_t n) {
  double err = 0.0, norm = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    err += (static_cast<double>(ref[i]) - got[i]) * (static_cast<double>(ref[i]) - got[i]);
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  return norm > 0 ? err / norm : err;
}

inline double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// Sizes that exercise SIMD bodies and scalar tails.
inline const std::vector<int64_t>& odd_sizes() {
  static const std::vector<int64_t> s = {1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 255, 1024, 4097};
  return s;
}

}  // namespace capitest
