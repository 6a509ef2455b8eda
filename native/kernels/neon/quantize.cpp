// NEON row conversions: the activation quantisers (Q8_0, Q8_K) and f16/bf16 conversions.
// Bit-identical to scalar/quantize.cpp: same scale arithmetic; Q8_0 rounds half away from zero
// (vcvtaq, like roundf), Q8_K rounds half to even (vcvtnq, like ggml's nearest_int).
#include <arm_neon.h>

#include <cstring>

#include "kernels/fp16.h"
#include "kernels/neon/neon.h"
#include "kernels/quant_blocks.h"

namespace capibara::neon {

namespace {

// 32 floats (8 vectors of 4, pre-scaled) -> 32 int8 with the given rounding; returns lane sums of 16s.
template <int32x4_t (*Round)(float32x4_t)>
inline void round_pack32(const float32x4_t v[8], int8_t* out, int sums16[2]) {
  int16x8_t h[4];
  for (int k = 0; k < 4; ++k) h[k] = vcombine_s16(vqmovn_s32(Round(v[2 * k])), vqmovn_s32(Round(v[2 * k + 1])));
  vst1q_s8(out, vcombine_s8(vqmovn_s16(h[0]), vqmovn_s16(h[1])));
  vst1q_s8(out + 16, vcombine_s8(vqmovn_s16(h[2]), vqmovn_s16(h[3])));
  sums16[0] = vaddvq_s16(vaddq_s16(h[0], h[1]));
  sums16[1] = vaddvq_s16(vaddq_s16(h[2], h[3]));
}

inline int32x4_t round_away(float32x4_t v) { return vcvtaq_s32_f32(v); }
inline int32x4_t round_even(float32x4_t v) { return vcvtnq_s32_f32(v); }

}  // namespace

void quantize_row_q8_0(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    float32x4_t v[8];
    float32x4_t amax = vdupq_n_f32(0.0f);
    for (int k = 0; k < 8; ++k) {
      v[k] = vld1q_f32(x + 4 * k);
      amax = vmaxq_f32(amax, vabsq_f32(v[k]));
    }
    const float d = vmaxvq_f32(amax) / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    for (int k = 0; k < 8; ++k) v[k] = vmulq_n_f32(v[k], id);
    int sums[2];
    round_pack32<round_away>(v, y[b].qs, sums);
  }
}

void quantize_row_q8_K(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(vy);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    float32x4_t amax_v = vdupq_n_f32(0.0f);
    for (int k = 0; k < 64; ++k) amax_v = vmaxq_f32(amax_v, vabsq_f32(vld1q_f32(x + 4 * k)));
    const float amax = vmaxvq_f32(amax_v);
    std::memset(&y[b], 0, sizeof y[b]);
    if (amax == 0) continue;
    float max = amax;  // the reference scales by the signed value of the first largest-magnitude element
    for (int j = 0; j < kQKK; ++j) {
      if (x[j] == amax || x[j] == -amax) {
        max = x[j];
        break;
      }
    }
    const float iscale = -127.f / max;
    for (int c = 0; c < 8; ++c) {
      float32x4_t v[8];
      for (int k = 0; k < 8; ++k) v[k] = vmulq_n_f32(vld1q_f32(x + 32 * c + 4 * k), iscale);
      int sums[2];
      round_pack32<round_even>(v, y[b].qs + 32 * c, sums);
      y[b].bsums[2 * c] = static_cast<int16_t>(sums[0]);
      y[b].bsums[2 * c + 1] = static_cast<int16_t>(sums[1]);
    }
    y[b].d = 1 / iscale;
  }
}

void quantize_row_f16(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<uint16_t*>(vy);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void dequantize_row_f16(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const uint16_t*>(vx);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i))));
  for (; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

void dequantize_row_bf16(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const uint16_t*>(vx);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(x + i), 16)));
  for (; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

}  // namespace capibara::neon
