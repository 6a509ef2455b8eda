// NEON flash attention: the vector parts of flash_attn_tiles.h's tiling (F16 K/V widened with
// vcvt_f32_f16, 4 floats per vector).
#include <arm_neon.h>

#include "kernels/flash_attn_tiles.h"
#include "kernels/fp16.h"
#include "kernels/neon/neon.h"
#include "kernels/neon/vmath.h"

namespace capibara::neon {

namespace {

struct Ops {
  template <int NR>
  static void tile_dots(const FlashRow* rows, const uint16_t* k, int64_t kv_stride, int64_t hd, int64_t nt, float* s) {
    for (int64_t t = 0; t < nt; ++t) {
      const uint16_t* kr = k + t * kv_stride;
      float32x4_t acc[NR];
      for (int r = 0; r < NR; ++r) acc[r] = vdupq_n_f32(0.0f);
      int64_t d = 0;
      for (; d + 4 <= hd; d += 4) {
        const float32x4_t kf = load_f16(kr + d);
        for (int r = 0; r < NR; ++r) acc[r] = vfmaq_f32(acc[r], vld1q_f32(rows[r].q + d), kf);
      }
      for (int r = 0; r < NR; ++r) {
        float dot = vaddvq_f32(acc[r]);
        for (int64_t e = d; e < hd; ++e) dot += rows[r].q[e] * fp16_to_fp32(kr[e]);
        s[r * kFlashTile + t] = dot;
      }
    }
  }

  template <int NR>
  static void tile_accumulate(FlashRow* rows, const float* corr, const float* p, const uint16_t* v, int64_t kv_stride,
                              int64_t hd, int64_t nt) {
    int64_t d = 0;
    for (; d + 4 <= hd; d += 4) {
      float32x4_t acc[NR];
      for (int r = 0; r < NR; ++r) acc[r] = vmulq_n_f32(vld1q_f32(rows[r].out + d), corr[r]);
      for (int64_t t = 0; t < nt; ++t) {
        const float32x4_t vf = load_f16(v + t * kv_stride + d);
        for (int r = 0; r < NR; ++r) acc[r] = vfmaq_n_f32(acc[r], vf, p[r * kFlashTile + t]);
      }
      for (int r = 0; r < NR; ++r) vst1q_f32(rows[r].out + d, acc[r]);
    }
    for (; d < hd; ++d) {
      for (int r = 0; r < NR; ++r) {
        float acc = rows[r].out[d] * corr[r];
        for (int64_t t = 0; t < nt; ++t) acc += p[r * kFlashTile + t] * fp16_to_fp32(v[t * kv_stride + d]);
        rows[r].out[d] = acc;
      }
    }
  }

  static float scale_mask_max(const FlashAttnArgs& a, float* s, int64_t lo, int64_t hi) {
    const float32x4_t ninf = vdupq_n_f32(-INFINITY);
    const int32_t idx0[4] = {0, 1, 2, 3};
    const int32x4_t idx = vld1q_s32(idx0);
    float32x4_t vmax = ninf;
    for (int64_t t = 0; t < kFlashTile; t += 4) {
      float32x4_t x = vmulq_n_f32(vld1q_f32(s + t), a.scale);
      if (a.softcap > 0.0f) x = vmulq_n_f32(tanh_ps(vmulq_n_f32(x, 1.0f / a.softcap)), a.softcap);
      const int32x4_t j = vaddq_s32(idx, vdupq_n_s32(static_cast<int32_t>(t)));
      const uint32x4_t keep = vandq_u32(vcgeq_s32(j, vdupq_n_s32(static_cast<int32_t>(lo))),
                                        vcltq_s32(j, vdupq_n_s32(static_cast<int32_t>(hi))));
      x = vbslq_f32(keep, x, ninf);
      vmax = vmaxq_f32(vmax, x);
      vst1q_f32(s + t, x);
    }
    return vmaxvq_f32(vmax);
  }

  static float exp_sum(float* s, float m) {
    const float32x4_t vm = vdupq_n_f32(m);
    float32x4_t vsum = vdupq_n_f32(0.0f);
    for (int64_t t = 0; t < kFlashTile; t += 4) {
      const float32x4_t e = exp_ps(vsubq_f32(vld1q_f32(s + t), vm));
      vsum = vaddq_f32(vsum, e);
      vst1q_f32(s + t, e);
    }
    return vaddvq_f32(vsum);
  }

  static void normalize(float* out, int64_t hd, float l) {
    const float inv = 1.0f / l;
    int64_t d = 0;
    for (; d + 4 <= hd; d += 4) vst1q_f32(out + d, vmulq_n_f32(vld1q_f32(out + d), inv));
    for (; d < hd; ++d) out[d] /= l;
  }
};

}  // namespace

void flash_attn(const FlashAttnArgs& a) { flash_attn_tiled<Ops>(a); }

}  // namespace capibara::neon
