// AVX2/FMA vector maths shared by this folder's kernels: exp, tanh, sin/cos and a horizontal sum.
// Maximum errors vs double-precision libm, measured by a dense sweep of 2e7 points per function:
//   exp:   relative 1.2e-7 on [-87.3, 88]; 0 below (expf's denormals are < 1.2e-38, and -inf -> 0
//          keeps masked logits at probability 0); (88, 88.72] gives e^88,
//          above is inf like expf;
//   tanh:  absolute 1e-7 (odd Taylor polynomial below |x| = 0.125, 1 - 2/(1 + e^2x) above);
//   sin/cos: absolute 1e-7 for |x| < 2^20 (reduction by pi/2 in double, Cephes polynomials).
#pragma once
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace capibara::avx2 {

// The 4 bytes at p (an activation word, or two adjacent s16 bsums) broadcast to every 32-bit lane.
inline __m256i bcast32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// Lane mask selecting the first rem (< 8) lanes, for masked tail loads/stores.
inline __m256i tail_mask(int64_t rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Cephes-style expf: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n via the exponent bits.
inline __m256 exp_ps(__m256 in) {
  const __m256 x = _mm256_min_ps(_mm256_max_ps(in, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  const __m256 under = _mm256_cmp_ps(in, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
  return _mm256_andnot_ps(under, _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY),
                                                  _mm256_cmp_ps(in, _mm256_set1_ps(88.72283935546875f), _CMP_GT_OQ)));
}

inline __m256 tanh_ps(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 e = exp_ps(_mm256_add_ps(ax, ax));
  const __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                                   _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-17.0f / 315.0f), _mm256_set1_ps(2.0f / 15.0f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-1.0f / 3.0f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(1.0f));
  const __m256 small = _mm256_mul_ps(ax, p);
  const __m256 r = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.125f), _CMP_LT_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}

namespace detail {
// x - j pi/2 in double for 4 lanes (exact enough for |x| < 2^20), j returned as int32.
inline __m128 reduce_pio2(__m128 x, __m128i* j) {
  const __m256d xd = _mm256_cvtps_pd(x);
  const __m256d jd = _mm256_round_pd(_mm256_mul_pd(xd, _mm256_set1_pd(0.63661977236758134)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(jd, _mm256_set1_pd(1.5707963267948966), xd);
  r = _mm256_fnmadd_pd(jd, _mm256_set1_pd(6.123233995736766e-17), r);
  *j = _mm256_cvtpd_epi32(jd);
  return _mm256_cvtpd_ps(r);
}
}  // namespace detail

// sin and cos of 8 angles at once.
inline void sincos_ps(__m256 x, __m256* s, __m256* c) {
  __m128i j0, j1;
  const __m128 r0 = detail::reduce_pio2(_mm256_castps256_ps128(x), &j0);
  const __m128 r1 = detail::reduce_pio2(_mm256_extractf128_ps(x, 1), &j1);
  const __m256 r = _mm256_set_m128(r1, r0);
  const __m256i j = _mm256_set_m128i(j1, j0);
  const __m256 r2 = _mm256_mul_ps(r, r);
  __m256 ps = _mm256_fmadd_ps(r2, _mm256_set1_ps(-1.9515295891e-4f), _mm256_set1_ps(8.3321608736e-3f));
  ps = _mm256_fmadd_ps(r2, ps, _mm256_set1_ps(-1.6666654611e-1f));
  ps = _mm256_fmadd_ps(_mm256_mul_ps(r2, r), ps, r);
  __m256 pc = _mm256_fmadd_ps(r2, _mm256_set1_ps(2.443315711809948e-5f), _mm256_set1_ps(-1.388731625493765e-3f));
  pc = _mm256_fmadd_ps(r2, pc, _mm256_set1_ps(4.166664568298827e-2f));
  pc = _mm256_fmadd_ps(_mm256_mul_ps(r2, r2), pc, _mm256_fnmadd_ps(r2, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
  // Quadrant j mod 4: odd swaps sin and cos; sin is negated for j & 2, cos for (j + 1) & 2.
  const __m256 swap = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(j, _mm256_set1_epi32(1)), _mm256_set1_epi32(1)));
  const __m256 sin_sign = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_and_si256(j, _mm256_set1_epi32(2)), 30));
  const __m256 cos_sign = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_and_si256(_mm256_add_epi32(j, _mm256_set1_epi32(1)), _mm256_set1_epi32(2)), 30));
  *s = _mm256_xor_ps(_mm256_blendv_ps(ps, pc, swap), sin_sign);
  *c = _mm256_xor_ps(_mm256_blendv_ps(pc, ps, swap), cos_sign);
}

}  // namespace capibara::avx2
