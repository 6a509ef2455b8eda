// NEON flash attention: per query and head, keys in tiles of kTile with an online softmax in
// float (running max m and sum l; the output row is the accumulator, rescaled by
// e^(m_old - m_new) when the max grows). K and V rows are F16, widened with vcvt_f32_f16.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "kernels/fp16.h"
#include "kernels/neon/neon.h"
#include "kernels/neon/vmath.h"

namespace capibara::neon {

namespace {

constexpr int64_t kTile = 32;

float dot_f16(const float* q, const uint16_t* k, int64_t n) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(q + d), load_f16(k + d));
    acc1 = vfmaq_f32(acc1, vld1q_f32(q + d + 4), load_f16(k + d + 4));
  }
  if (d + 4 <= n) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(q + d), load_f16(k + d));
    d += 4;
  }
  float s = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; d < n; ++d) s += q[d] * fp16_to_fp32(k[d]);
  return s;
}

// out = out * corr + p * v
void scale_add_f16(float* out, float corr, float p, const uint16_t* v, int64_t n) {
  int64_t d = 0;
  for (; d + 4 <= n; d += 4) vst1q_f32(out + d, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(out + d), corr), load_f16(v + d), p));
  for (; d < n; ++d) out[d] = out[d] * corr + p * fp16_to_fp32(v[d]);
}

void attend(const FlashAttnArgs& a, const float* q, int64_t kv_off, int64_t first, int64_t last, float* out) {
  const int64_t hd = a.head_dim;
  alignas(16) float s[kTile];
  float m = -INFINITY, l = 0.0f;
  std::fill(out, out + hd, 0.0f);
  for (int64_t j0 = first; j0 <= last; j0 += kTile) {
    const int64_t nt = std::min(kTile, last + 1 - j0);
    for (int64_t t = 0; t < nt; ++t) s[t] = a.scale * dot_f16(q, a.k + (j0 + t) * a.kv_stride + kv_off, hd);
    if (a.softcap > 0.0f) {
      const float inv = 1.0f / a.softcap;
      for (int64_t t = 0; t < nt; t += 4) vst1q_f32(s + t, vmulq_n_f32(tanh_ps(vmulq_n_f32(vld1q_f32(s + t), inv)), a.softcap));
    }
    std::fill(s + nt, s + kTile, -INFINITY);
    float32x4_t vmax = vld1q_f32(s);
    for (int64_t t = 4; t < kTile; t += 4) vmax = vmaxq_f32(vmax, vld1q_f32(s + t));
    const float m_new = std::max(m, vmaxvq_f32(vmax));
    float corr = std::exp(m - m_new);
    const float32x4_t vm = vdupq_n_f32(m_new);
    float32x4_t vsum = vdupq_n_f32(0.0f);
    for (int64_t t = 0; t < kTile; t += 4) {
      // Padding lanes (-inf) are clamped by exp_ps to a tiny positive value: mask them to zero.
      const float32x4_t p = vreinterpretq_f32_u32(
          vandq_u32(vreinterpretq_u32_f32(exp_ps(vsubq_f32(vld1q_f32(s + t), vm))), lane_mask(nt - t)));
      vsum = vaddq_f32(vsum, p);
      vst1q_f32(s + t, p);
    }
    l = l * corr + vaddvq_f32(vsum);
    for (int64_t t = 0; t < nt; ++t) {
      scale_add_f16(out, corr, s[t], a.v + (j0 + t) * a.kv_stride + kv_off, hd);
      corr = 1.0f;
    }
    m = m_new;
  }
  const float inv = 1.0f / l;
  int64_t d = 0;
  for (; d + 4 <= hd; d += 4) vst1q_f32(out + d, vmulq_n_f32(vld1q_f32(out + d), inv));
  for (; d < hd; ++d) out[d] *= inv;
}

}  // namespace

void flash_attn(const FlashAttnArgs& a) {
  const int64_t group = a.n_head / a.n_kv_head;
  for (int64_t i = 0; i < a.n_q; ++i) {
    const int64_t pos = a.q_pos0 + i;
    const int64_t first = a.window > 0 ? std::max<int64_t>(0, pos - a.window + 1) : 0;
    for (int64_t h = a.head_begin; h < a.head_end; ++h)
      attend(a, a.q + i * a.q_stride + h * a.head_dim, (h / group) * a.head_dim, first, pos,
             a.out + i * a.out_stride + h * a.head_dim);
  }
}

}  // namespace capibara::neon
