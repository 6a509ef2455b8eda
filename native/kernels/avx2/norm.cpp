// AVX2/FMA norms: 8-wide float sums (two accumulators), then a scaled multiply; float instead of the
// reference's double sums.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"

namespace capibara::avx2 {

namespace {

// y = (x - mean) * inv * w, w optional; scalar tail.
void scale_row(float* y, const float* x, const float* w, int64_t n, float mean, float inv) {
  const __m256 vmean = _mm256_set1_ps(mean), vinv = _mm256_set1_ps(inv);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), vinv);
    if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
    _mm256_storeu_ps(y + i, v);
  }
  for (; i < n; ++i) y[i] = (x[i] - mean) * inv * (w ? w[i] : 1.0f);
}

// sum((x - c)^2)
float sum_sq(const float* x, int64_t n, float c) {
  const __m256 vc = _mm256_set1_ps(c);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(x + i), vc), b = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vc);
    acc0 = _mm256_fmadd_ps(a, a, acc0);
    acc1 = _mm256_fmadd_ps(b, b, acc1);
  }
  float ss = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) ss += (x[i] - c) * (x[i] - c);
  return ss;
}

}  // namespace

void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  const float inv = 1.0f / std::sqrt(sum_sq(x, n, 0.0f) / static_cast<float>(n) + eps);
  scale_row(y, x, w, n, 0.0f, inv);
}

void layernorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(x + i));
    acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(x + i + 8));
  }
  float sum = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(sum_sq(x, n, mean) / static_cast<float>(n) + eps);
  scale_row(y, x, w, n, mean, inv);
}

}  // namespace capibara::avx2
