// AVX-512 gated activations and softmax: avx2/act.cpp's maths 16 lanes wide, masked tails.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/vmath.h"

namespace capibara::avx512 {

namespace {

constexpr int64_t kSumBlock = 256;

inline __m512 silu_mul(__m512 g, __m512 u) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), g)))), u);
}

// 0.5 v (1 + tanh z) = v / (1 + e^(-2z)), z = sqrt(2/pi) (v + 0.044715 v^3)
inline __m512 gelu_mul(__m512 g, __m512 u) {
  const __m512 inner = _mm512_mul_ps(g, _mm512_fmadd_ps(_mm512_mul_ps(g, g), _mm512_set1_ps(0.044715f), _mm512_set1_ps(1.0f)));
  const __m512 e = exp_ps(_mm512_mul_ps(inner, _mm512_set1_ps(-1.5957691216057308f)));
  return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), u);
}

template <__m512 (*Op)(__m512, __m512)>
void gated(float* y, const float* g, const float* u, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Op(_mm512_loadu_ps(g + i), _mm512_loadu_ps(u + i)));
  if (i < n) {
    const __mmask16 m = lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, Op(_mm512_maskz_loadu_ps(m, g + i), _mm512_maskz_loadu_ps(m, u + i)));
  }
}

// Unary gelu through the gated loop: the second operand is ignored.
inline __m512 gelu_only(__m512 g, __m512) { return gelu_mul(g, _mm512_set1_ps(1.0f)); }

}  // namespace

void swiglu(float* y, const float* g, const float* u, int64_t n) { gated<silu_mul>(y, g, u, n); }

void geglu(float* y, const float* g, const float* u, int64_t n) { gated<gelu_mul>(y, g, u, n); }

void gelu(float* y, const float* x, int64_t n) { gated<gelu_only>(y, x, x, n); }

void softmax(float* x, int64_t n) {
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (int64_t i = 0; i < n; i += 16) vmax = _mm512_mask_max_ps(vmax, lanes(n - i), vmax, _mm512_maskz_loadu_ps(lanes(n - i), x + i));
  const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  // Float lane sums are flushed into a double every kSumBlock elements (long rows stay accurate).
  double sum = 0.0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t i = b0; i < std::min(n, b0 + kSumBlock); i += 16) {
      const __mmask16 m = lanes(n - i);
      const __m512 e = _mm512_maskz_mov_ps(m, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), max)));
      vsum = _mm512_add_ps(vsum, e);
      _mm512_mask_storeu_ps(x + i, m, e);
    }
    sum += _mm512_reduce_add_ps(vsum);
  }
  const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / sum));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

}  // namespace capibara::avx512
