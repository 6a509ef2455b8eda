// AVX-512 norms: 16-wide float sums with masked tail loads instead of a scalar tail.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/vmath.h"

namespace capibara::avx512 {

namespace {

// sum((x - c)^2), four accumulators to hide the FMA latency.
float sum_sq(const float* x, int64_t n, float c) {
  const __m512 vc = _mm512_set1_ps(c);
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int u = 0; u < 4; ++u) {
      const __m512 a = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * u), vc);
      acc[u] = _mm512_fmadd_ps(a, a, acc[u]);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512 a = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), vc);
    acc[0] = _mm512_fmadd_ps(a, a, acc[0]);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

// y = (x - mean) * inv * w, w optional; full vectors, then one masked tail.
void scale_row(float* y, const float* x, const float* w, int64_t n, float mean, float inv) {
  const __m512 vmean = _mm512_set1_ps(mean), vinv = _mm512_set1_ps(inv);
  auto step = [&](int64_t i, __mmask16 m) {
    __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmean), vinv);
    if (w) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i));
    _mm512_mask_storeu_ps(y + i, m, v);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) step(i, static_cast<__mmask16>(0xFFFF));
  if (i < n) step(i, lanes(n - i));
}

}  // namespace

void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  const float inv = 1.0f / std::sqrt(sum_sq(x, n, 0.0f) / static_cast<float>(n) + eps);
  scale_row(y, x, w, n, 0.0f, inv);
}

void layernorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(lanes(n - i), x + i));
  const float mean = _mm512_reduce_add_ps(acc) / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(sum_sq(x, n, mean) / static_cast<float>(n) + eps);
  scale_row(y, x, w, n, mean, inv);
}

}  // namespace capibara::avx512
