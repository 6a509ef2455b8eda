// NEON vector maths shared by this folder's kernels: exp, tanh, sin/cos, F16 loads and a tail
// helper. Same algorithms and error bounds as avx2/vmath.h:
//   exp:   relative 1.2e-7 on [-87.3, 88]; 0 below (expf's denormals are < 1.2e-38, and -inf -> 0
//          keeps masked logits at probability 0); (88, 88.72] gives e^88,
//          above is inf like expf;
//   tanh:  absolute 1e-7 (odd Taylor polynomial below |x| = 0.125, 1 - 2/(1 + e^2x) above);
//   sin/cos: absolute 1e-7 for |x| < 2^20 (reduction by pi/2 in double, Cephes polynomials).
#pragma once
#include <arm_neon.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace capibara::neon {

inline float32x4_t exp_ps(float32x4_t in) {
  const float32x4_t x = vminq_f32(vmaxq_f32(in, vdupq_n_f32(-87.33654f)), vdupq_n_f32(88.0f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  const float32x4_t y = vmulq_f32(p, vreinterpretq_f32_s32(e));
  const float32x4_t big = vbslq_f32(vcgtq_f32(in, vdupq_n_f32(88.72283935546875f)), vdupq_n_f32(INFINITY), y);
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(big), vcltq_f32(in, vdupq_n_f32(-87.33654f))));
}

inline float32x4_t tanh_ps(float32x4_t x) {
  const float32x4_t ax = vabsq_f32(x);
  const float32x4_t e = exp_ps(vaddq_f32(ax, ax));
  const float32x4_t big = vsubq_f32(vdupq_n_f32(1.0f), vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(e, vdupq_n_f32(1.0f))));
  const float32x4_t x2 = vmulq_f32(x, x);
  float32x4_t p = vfmaq_f32(vdupq_n_f32(2.0f / 15.0f), x2, vdupq_n_f32(-17.0f / 315.0f));
  p = vfmaq_f32(vdupq_n_f32(-1.0f / 3.0f), x2, p);
  p = vfmaq_f32(vdupq_n_f32(1.0f), x2, p);
  const float32x4_t r = vbslq_f32(vcltq_f32(ax, vdupq_n_f32(0.125f)), vmulq_f32(ax, p), big);
  // copysign(r, x)
  return vbslq_f32(vdupq_n_u32(0x80000000u), x, r);
}

namespace detail {
inline float64x2_t reduce_pio2(float64x2_t x, int64x2_t* j) {
  const float64x2_t jd = vrndnq_f64(vmulq_n_f64(x, 0.63661977236758134));
  float64x2_t r = vfmsq_f64(x, jd, vdupq_n_f64(1.5707963267948966));
  r = vfmsq_f64(r, jd, vdupq_n_f64(6.123233995736766e-17));
  *j = vcvtq_s64_f64(jd);
  return r;
}
}  // namespace detail

// sin and cos of 4 angles at once.
inline void sincos_ps(float32x4_t x, float32x4_t* s, float32x4_t* c) {
  int64x2_t j0, j1;
  const float64x2_t r0 = detail::reduce_pio2(vcvt_f64_f32(vget_low_f32(x)), &j0);
  const float64x2_t r1 = detail::reduce_pio2(vcvt_high_f64_f32(x), &j1);
  const float32x4_t r = vcvt_high_f32_f64(vcvt_f32_f64(r0), r1);
  const uint32x4_t j = vreinterpretq_u32_s32(vcombine_s32(vmovn_s64(j0), vmovn_s64(j1)));
  const float32x4_t r2 = vmulq_f32(r, r);
  float32x4_t ps = vfmaq_f32(vdupq_n_f32(8.3321608736e-3f), r2, vdupq_n_f32(-1.9515295891e-4f));
  ps = vfmaq_f32(vdupq_n_f32(-1.6666654611e-1f), r2, ps);
  ps = vfmaq_f32(r, vmulq_f32(r2, r), ps);
  float32x4_t pc = vfmaq_f32(vdupq_n_f32(-1.388731625493765e-3f), r2, vdupq_n_f32(2.443315711809948e-5f));
  pc = vfmaq_f32(vdupq_n_f32(4.166664568298827e-2f), r2, pc);
  pc = vfmaq_f32(vfmsq_f32(vdupq_n_f32(1.0f), r2, vdupq_n_f32(0.5f)), vmulq_f32(r2, r2), pc);
  // Quadrant j mod 4: odd swaps sin and cos; sin is negated for j & 2, cos for (j + 1) & 2.
  const uint32x4_t swap = vtstq_u32(j, vdupq_n_u32(1));
  const uint32x4_t sin_sign = vshlq_n_u32(vandq_u32(j, vdupq_n_u32(2)), 30);
  const uint32x4_t cos_sign = vshlq_n_u32(vandq_u32(vaddq_u32(j, vdupq_n_u32(1)), vdupq_n_u32(2)), 30);
  *s = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(vbslq_f32(swap, pc, ps)), sin_sign));
  *c = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(vbslq_f32(swap, ps, pc)), cos_sign));
}

inline float32x4_t load_f16(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

// Applies a 4-lane op to the last n % 4 elements through a zero-padded stack copy.
template <typename Op>
inline void tail4(float* y, const float* a, const float* b, int64_t rem, Op op) {
  float ab[4] = {0, 0, 0, 0}, bb[4] = {0, 0, 0, 0}, yb[4];
  std::memcpy(ab, a, static_cast<size_t>(rem) * sizeof(float));
  std::memcpy(bb, b, static_cast<size_t>(rem) * sizeof(float));
  vst1q_f32(yb, op(vld1q_f32(ab), vld1q_f32(bb)));
  std::memcpy(y, yb, static_cast<size_t>(rem) * sizeof(float));
}

}  // namespace capibara::neon
