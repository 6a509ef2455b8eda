// NEON GEMM for the K-quants on file-layout rows (prefill), as avx2/gemm_k.cpp: the unpacked form (byte
// levels, per-16 scales and per-16 mins) and its dot product for the shared loop of gemm_k_rows.h:
//   value = d * sc16[g] * q - dmin * m16[g]   for element 16g..16g+15 of a super-block
//   (Q6_K: q in 0..63, m16 = 32 * sc16, dmin = d). *_dotprod variants use SDOT (see dot.cpp).
#include <arm_neon.h>

#include "kernels/fp16.h"
#include "kernels/gemm_k_rows.h"
#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/quant_blocks.h"

namespace capibara::neon {

namespace {

struct UnpackedK {
  int8_t q[kQKK];  // levels in element order (all < 64, so signed bytes hold them)
  int32_t sc16[16];
  int16_t m16[16];
  float d, dmin;
};

template <typename Block, bool kQ5>
void unpack_k_scale_min(const Block& b, UnpackedK& u) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F), sixteen = vdupq_n_u8(16);
  for (int c = 0; c < 4; ++c) {
    for (int half = 0; half < 2; ++half) {
      const uint8x16_t q = vld1q_u8(b.qs + 32 * c + 16 * half);
      uint8x16_t lo = vandq_u8(q, m4), hi = vshrq_n_u8(q, 4);
      if constexpr (kQ5) {
        const uint8x16_t qh = vld1q_u8(b.qh + 16 * half);
        lo = vorrq_u8(lo, vandq_u8(vtstq_u8(qh, vdupq_n_u8(static_cast<uint8_t>(1u << (2 * c)))), sixteen));
        hi = vorrq_u8(hi, vandq_u8(vtstq_u8(qh, vdupq_n_u8(static_cast<uint8_t>(2u << (2 * c)))), sixteen));
      }
      vst1q_s8(u.q + 64 * c + 16 * half, vreinterpretq_s8_u8(lo));
      vst1q_s8(u.q + 64 * c + 32 + 16 * half, vreinterpretq_s8_u8(hi));
    }
  }
  uint8_t sc8[8], m8[8];
  k_scales_mins(b.scales, sc8, m8);
  for (int j = 0; j < 8; ++j) {
    const uint8_t sc = sc8[j], m = m8[j];
    u.sc16[2 * j] = u.sc16[2 * j + 1] = sc;
    u.m16[2 * j] = u.m16[2 * j + 1] = m;
  }
  u.d = fp16_to_fp32(b.d);
  u.dmin = fp16_to_fp32(b.dmin);
}

void unpack_q4_K(const BlockQ4_K& b, UnpackedK& u) { unpack_k_scale_min<BlockQ4_K, false>(b, u); }
void unpack_q5_K(const BlockQ5_K& b, UnpackedK& u) { unpack_k_scale_min<BlockQ5_K, true>(b, u); }

void unpack_q6_K(const BlockQ6_K& b, UnpackedK& u) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(0x03);
  for (int h = 0; h < 2; ++h)
    for (int half = 0; half < 2; ++half) {
      const uint8x16_t a = vld1q_u8(b.ql + 64 * h + 16 * half), c = vld1q_u8(b.ql + 64 * h + 32 + 16 * half);
      const uint8x16_t qh = vld1q_u8(b.qh + 32 * h + 16 * half);
      int8_t* q = u.q + 128 * h + 16 * half;
      vst1q_s8(q, vreinterpretq_s8_u8(vorrq_u8(vandq_u8(a, m4), vshlq_n_u8(vandq_u8(qh, m3), 4))));
      vst1q_s8(q + 32, vreinterpretq_s8_u8(vorrq_u8(vandq_u8(c, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh, 2), m3), 4))));
      vst1q_s8(q + 64, vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(a, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh, 4), m3), 4))));
      vst1q_s8(q + 96, vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(c, 4), vshlq_n_u8(vshrq_n_u8(qh, 6), 4))));
    }
  for (int s = 0; s < 16; ++s) {
    u.sc16[s] = b.scales[s];
    u.m16[s] = static_cast<int16_t>(32 * b.scales[s]);
  }
  u.d = u.dmin = fp16_to_fp32(b.d);
}

template <bool kDot>
inline float dot_unpacked(const UnpackedK& u, const BlockQ8_K& y) {
  int32x4_t acc = vdupq_n_s32(0);
  for (int g = 0; g < 16; ++g) acc = vmlaq_n_s32(acc, dot16_acc<kDot>(vdupq_n_s32(0), vld1q_s8(u.q + 16 * g), vld1q_s8(y.qs + 16 * g)), u.sc16[g]);
  int32x4_t mins = vmull_s16(vld1_s16(u.m16), vld1_s16(y.bsums));
  mins = vmlal_s16(mins, vld1_s16(u.m16 + 4), vld1_s16(y.bsums + 4));
  mins = vmlal_s16(mins, vld1_s16(u.m16 + 8), vld1_s16(y.bsums + 8));
  mins = vmlal_s16(mins, vld1_s16(u.m16 + 12), vld1_s16(y.bsums + 12));
  return y.d * (u.d * static_cast<float>(vaddvq_s32(acc)) - u.dmin * static_cast<float>(vaddvq_s32(mins)));
}

}  // namespace

void gemm_q4_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ4_K, unpack_q4_K, dot_unpacked<false>, vec_dot_q4_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ5_K, unpack_q5_K, dot_unpacked<false>, vec_dot_q5_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q6_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ6_K, unpack_q6_K, dot_unpacked<false>, vec_dot_q6_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q4_K_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ4_K, unpack_q4_K, dot_unpacked<true>, vec_dot_q4_K_q8_K_dotprod>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_K_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ5_K, unpack_q5_K, dot_unpacked<true>, vec_dot_q5_K_q8_K_dotprod>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q6_K_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ6_K, unpack_q6_K, dot_unpacked<true>, vec_dot_q6_K_q8_K_dotprod>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
