// AVX2/FMA gated activations and softmax with the polynomial exp of vmath.h; tails use masked
// loads/stores so every element goes through the same maths. geglu uses the identity
// 0.5 v (1 + tanh z) = v / (1 + e^(-2z)), which does not cancel for negative v.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"

namespace capibara::avx2 {

namespace {

constexpr int64_t kSumBlock = 256;

inline __m256 silu_mul(__m256 g, __m256 u) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g)))), u);
}

inline __m256 gelu_mul(__m256 g, __m256 u) {
  // -2z = -2 sqrt(2/pi) (g + 0.044715 g^3)
  const __m256 g2 = _mm256_mul_ps(g, g);
  const __m256 inner = _mm256_mul_ps(g, _mm256_fmadd_ps(g2, _mm256_set1_ps(0.044715f), _mm256_set1_ps(1.0f)));
  const __m256 e = exp_ps(_mm256_mul_ps(inner, _mm256_set1_ps(-1.5957691216057308f)));
  return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

template <__m256 (*Op)(__m256, __m256)>
void gated(float* y, const float* g, const float* u, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Op(_mm256_loadu_ps(g + i), _mm256_loadu_ps(u + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, Op(_mm256_maskload_ps(g + i, m), _mm256_maskload_ps(u + i, m)));
  }
}

// Unary gelu through the gated loop: the second operand is ignored.
inline __m256 gelu_only(__m256 g, __m256) { return gelu_mul(g, _mm256_set1_ps(1.0f)); }

}  // namespace

void swiglu(float* y, const float* g, const float* u, int64_t n) { gated<silu_mul>(y, g, u, n); }

void geglu(float* y, const float* g, const float* u, int64_t n) { gated<gelu_mul>(y, g, u, n); }

void gelu(float* y, const float* x, int64_t n) { gated<gelu_only>(y, x, x, n); }

void softmax(float* x, int64_t n) {
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  const int64_t body = n - n % 8;
  const __m256i m = tail_mask(n - body);
  __m256 vmax = ninf;
  for (int64_t i = 0; i < body; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(ninf, _mm256_maskload_ps(x + body, m), _mm256_castsi256_ps(m)));
  const __m256 max = _mm256_set1_ps(hmax(vmax));
  // Float lane sums are flushed into a double every kSumBlock elements, so long rows (a vocabulary)
  // keep the normalisation accurate.
  double sum = 0.0;
  for (int64_t b0 = 0; b0 < body; b0 += kSumBlock) {
    __m256 vsum = _mm256_setzero_ps();
    for (int64_t i = b0; i < std::min(body, b0 + kSumBlock); i += 8) {
      const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), max));
      vsum = _mm256_add_ps(vsum, e);
      _mm256_storeu_ps(x + i, e);
    }
    sum += hsum(vsum);
  }
  const __m256 et = _mm256_and_ps(exp_ps(_mm256_sub_ps(_mm256_maskload_ps(x + body, m), max)), _mm256_castsi256_ps(m));
  sum += hsum(et);
  _mm256_maskstore_ps(x + body, m, et);
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
  for (int64_t i = 0; i < body; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  _mm256_maskstore_ps(x + body, m, _mm256_mul_ps(_mm256_maskload_ps(x + body, m), inv));
}

}  // namespace capibara::avx2
