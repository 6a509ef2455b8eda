// AVX-512 vector maths for this folder's kernels: the 16-lane exp and tanh of avx2/vmath.h (same
// algorithms and error bounds) and a tail mask.
#pragma once
#include <immintrin.h>

#include <cmath>
#include <cstdint>

namespace capibara::avx512 {

// First min(rem, 16) lanes.
inline __mmask16 lanes(int64_t rem) {
  return rem >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rem) - 1u);
}

// Cephes-style expf: x = n ln2 + r, e^r by a degree-6 polynomial, 2^n by scalef. Relative 1.2e-7 on
// [-87.3, 88.7]; inf above (like expf), 0 below -87.3 (so -inf -> 0).
inline __m512 exp_ps(__m512 in) {
  const __m512 x = _mm512_min_ps(_mm512_max_ps(in, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.72283935546875f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512 y = _mm512_scalef_ps(p, n);  // p * 2^n without building exponent bits (n may be 128)
  const __m512 big = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(in, _mm512_set1_ps(88.72283935546875f), _CMP_GT_OQ), y,
                                        _mm512_set1_ps(INFINITY));
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(in, _mm512_set1_ps(-87.33654f), _CMP_GE_OQ), big);
}

// tanh: 1 - 2 / (e^(2|x|) + 1) with the sign of x, and an odd Taylor polynomial below |x| = 0.125
// where that form cancels.
inline __m512 tanh_ps(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 e = exp_ps(_mm512_add_ps(ax, ax));
  const __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_fmadd_ps(x2, _mm512_set1_ps(-17.0f / 315.0f), _mm512_set1_ps(2.0f / 15.0f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-1.0f / 3.0f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(1.0f));
  const __m512 r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.125f), _CMP_LT_OQ), big, _mm512_mul_ps(ax, p));
  return _mm512_or_ps(r, _mm512_and_ps(x, _mm512_set1_ps(-0.0f)));
}

}  // namespace capibara::avx512
