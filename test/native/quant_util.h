// Helpers for the quantisation/matmul tests.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace capitest {

// Largest |a[i] - b[i]|. Written with std::max rather than fmax: GCC 12 for aarch64 ICEs vectorising
// an fmax reduction at -O3 (vect_transform_reduction) in these tests.
inline double max_err(const float* a, const float* b, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

}  // namespace capitest
