// NEON dot products and Q8_0/Q4_0 GEMM tiles. Differences from scalar/dot.cpp:
//   - 8-bit products: base ARMv8 widens with vmull_s8/vmlal_s8 and pairwise-adds to s32; the *_dotprod
//     variants use SDOT (4 products per s32 lane). SDOT is emitted through inline assembly (whose
//     `.arch armv8.2-a+dotprod` only widens what the assembler accepts; the compiler still targets
//     base ARMv8-A), so this folder runs on any ARMv8-A and dispatch.cpp installs the dotprod variants
//     only when the CPU reports the feature.
//   - f32/f16/bf16 accumulate in float (2 x 4 lanes): |err| <= ~1e-6 * sum |x_i y_i|.
//   - gemm_*_i8mm (CPUs with i8mm and dotprod) use SMMLA 2 rows x 2 tokens tiles for prefill.
//   - gemm_* use 4 rows x 2 tokens tiles: each weight block is unpacked once for 2 tokens and each
//     activation block loaded once for 4 rows.
#include <arm_neon.h>

#include "kernels/fp16.h"
#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/quant_blocks.h"

namespace capibara::neon {

namespace {

template <bool kDot>
inline int32x4_t dot32(int8x16_t a0, int8x16_t a1, int8x16_t b0, int8x16_t b1) {
  return dot16_acc<kDot>(dot16_acc<kDot>(vdupq_n_s32(0), a0, b0), a1, b1);
}

// The 32 weights of block b of a row as two int8x16 in element order, and its fp16 scale.
template <bool kQ4>
inline void weight_block(const uint8_t* row, int64_t b, int8x16_t* w0, int8x16_t* w1, uint16_t* d) {
  if constexpr (kQ4) {
    const auto* blk = reinterpret_cast<const BlockQ4_0*>(row) + b;
    const uint8x16_t q = vld1q_u8(blk->qs);
    const int8x16_t eight = vdupq_n_s8(8);
    *w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), eight);
    *w1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
    *d = blk->d;
  } else {
    const auto* blk = reinterpret_cast<const BlockQ8_0*>(row) + b;
    *w0 = vld1q_s8(blk->qs);
    *w1 = vld1q_s8(blk->qs + 16);
    *d = blk->d;
  }
}

// R rows (w + r * w_row) x T tokens (Q8_0 rows x + t * x_row); result (r, t) to s[t * s_stride + r].
// Each weight block is unpacked once for the T tokens, each activation block loaded once for the R rows;
// the per-element arithmetic does not depend on R and T, so tiling never changes a result.
template <int R, int T, bool kQ4, bool kDot>
void dot_tile(int64_t n, const uint8_t* w, size_t w_row, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  float32x4_t acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int8x16_t w0[R], w1[R];
    float dw[R];
    for (int r = 0; r < R; ++r) {
      uint16_t d;
      weight_block<kQ4>(w + r * w_row, b, &w0[r], &w1[r], &d);
      dw[r] = fp16_to_fp32(d);
    }
    for (int t = 0; t < T; ++t) {
      const BlockQ8_0& yb = reinterpret_cast<const BlockQ8_0*>(x + t * x_row)[b];
      const int8x16_t y0 = vld1q_s8(yb.qs), y1 = vld1q_s8(yb.qs + 16);
      const float dy = fp16_to_fp32(yb.d);
      for (int r = 0; r < R; ++r)
        acc[r][t] = vmlaq_n_f32(acc[r][t], vcvtq_f32_s32(dot32<kDot>(w0[r], w1[r], y0, y1)), dw[r] * dy);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) s[t * s_stride + r] = vaddvq_f32(acc[r][t]);
}

// Tiles of 4 rows x 2 tokens; edges with 1 row and/or 1 token.
template <bool kQ4, bool kDot>
void gemm_32(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
             float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t r = 0; r < n_rows; r += 4) {
    const bool full_rows = n_rows - r >= 4;
    for (int64_t t = 0; t < n_tok;) {
      const int step = n_tok - t >= 2 ? 2 : 1;
      float* out = y + t * y_stride + r;
      const uint8_t* xt = xb + t * x_row;
      if (full_rows) {
        if (step == 2) dot_tile<4, 2, kQ4, kDot>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
        else dot_tile<4, 1, kQ4, kDot>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
      } else {
        for (int64_t i = r; i < n_rows; ++i) {
          if (step == 2) dot_tile<1, 2, kQ4, kDot>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
          else dot_tile<1, 1, kQ4, kDot>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
        }
      }
      t += step;
    }
  }
}

// i8mm: SMMLA multiplies a 2 x 8 int8 matrix by an 8 x 2 one into 2 x 2 int32 lanes, so 2 rows x 2 tokens
// of a 32-element block take 4 instructions. Each lane holds a whole block's sum (r0t0, r0t1, r1t0,
// r1t1), scaled once in float: results differ from the SDOT path only by float rounding.
template <bool kQ4>
void tile_2x2_i8mm(int64_t n, const uint8_t* w, size_t w_row, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int8x16_t a0[2], a1[2];
    float dw[2];
    for (int r = 0; r < 2; ++r) {
      uint16_t d;
      weight_block<kQ4>(w + r * w_row, b, &a0[r], &a1[r], &d);
      dw[r] = fp16_to_fp32(d);
    }
    const BlockQ8_0& y0 = reinterpret_cast<const BlockQ8_0*>(x)[b];
    const BlockQ8_0& y1 = reinterpret_cast<const BlockQ8_0*>(x + x_row)[b];
    const int8x16_t b00 = vld1q_s8(y0.qs), b01 = vld1q_s8(y0.qs + 16), b10 = vld1q_s8(y1.qs), b11 = vld1q_s8(y1.qs + 16);
    int32x4_t i = vdupq_n_s32(0);
    i = smmla(i, lo_pair(a0[0], a0[1]), lo_pair(b00, b10));
    i = smmla(i, hi_pair(a0[0], a0[1]), hi_pair(b00, b10));
    i = smmla(i, lo_pair(a1[0], a1[1]), lo_pair(b01, b11));
    i = smmla(i, hi_pair(a1[0], a1[1]), hi_pair(b01, b11));
    const float dy0 = fp16_to_fp32(y0.d), dy1 = fp16_to_fp32(y1.d);
    const float scale[4] = {dw[0] * dy0, dw[0] * dy1, dw[1] * dy0, dw[1] * dy1};
    acc = vmlaq_f32(acc, vcvtq_f32_s32(i), vld1q_f32(scale));
  }
  s[0] = vgetq_lane_f32(acc, 0);               // row 0, token 0
  s[s_stride] = vgetq_lane_f32(acc, 1);        // row 0, token 1
  s[1] = vgetq_lane_f32(acc, 2);               // row 1, token 0
  s[s_stride + 1] = vgetq_lane_f32(acc, 3);    // row 1, token 1
}

// Tiles of 2 rows x 2 tokens with SMMLA; odd edges use the SDOT tiles.
template <bool kQ4>
void gemm_32_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                  float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  const int64_t rows2 = n_rows & ~int64_t{1}, toks2 = n_tok & ~int64_t{1};
  for (int64_t r = 0; r < rows2; r += 2)
    for (int64_t t = 0; t < toks2; t += 2)
      tile_2x2_i8mm<kQ4>(n, wb + r * w_row, w_row, xb + t * x_row, x_row, y + t * y_stride + r, y_stride);
  if (toks2 < n_tok)  // last token, every row
    gemm_32<kQ4, true>(n, w, w_row, n_rows, xb + toks2 * x_row, x_row, 1, y + toks2 * y_stride, y_stride);
  if (rows2 < n_rows)  // last row, the paired tokens
    gemm_32<kQ4, true>(n, wb + rows2 * w_row, w_row, 1, x, x_row, toks2, y + rows2, y_stride);
}

// Q4_K/Q5_K: levels 0..31 are used as signed bytes against Q8_K; mins come from the bsums.
template <bool kQ5, bool kDot, typename Block>
float dot_k_scale_min(int64_t n, const Block* x, const BlockQ8_K* y) {
  float sum = 0;
  const uint8x16_t m4 = vdupq_n_u8(0x0F), sixteen = vdupq_n_u8(16);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    uint8_t sc[8], m[8];
    k_scales_mins(x[b].scales, sc, m);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (y[b].bsums[2 * j] + y[b].bsums[2 * j + 1]);
    uint8x16_t qh0 = vdupq_n_u8(0), qh1 = qh0;
    if constexpr (kQ5) {
      qh0 = vld1q_u8(x[b].qh);
      qh1 = vld1q_u8(x[b].qh + 16);
    }
    int32x4_t acc = vdupq_n_s32(0);
    const int8_t* q8 = y[b].qs;
    for (int c = 0; c < 4; ++c, q8 += 64) {
      const uint8x16_t q0 = vld1q_u8(x[b].qs + 32 * c), q1 = vld1q_u8(x[b].qs + 32 * c + 16);
      uint8x16_t lo0 = vandq_u8(q0, m4), lo1 = vandq_u8(q1, m4), hi0 = vshrq_n_u8(q0, 4), hi1 = vshrq_n_u8(q1, 4);
      if constexpr (kQ5) {
        const uint8x16_t bl = vdupq_n_u8(static_cast<uint8_t>(1u << (2 * c))), bh = vdupq_n_u8(static_cast<uint8_t>(2u << (2 * c)));
        lo0 = vorrq_u8(lo0, vandq_u8(vtstq_u8(qh0, bl), sixteen));
        lo1 = vorrq_u8(lo1, vandq_u8(vtstq_u8(qh1, bl), sixteen));
        hi0 = vorrq_u8(hi0, vandq_u8(vtstq_u8(qh0, bh), sixteen));
        hi1 = vorrq_u8(hi1, vandq_u8(vtstq_u8(qh1, bh), sixteen));
      }
      const int32x4_t dlo = dot32<kDot>(vreinterpretq_s8_u8(lo0), vreinterpretq_s8_u8(lo1), vld1q_s8(q8), vld1q_s8(q8 + 16));
      const int32x4_t dhi = dot32<kDot>(vreinterpretq_s8_u8(hi0), vreinterpretq_s8_u8(hi1), vld1q_s8(q8 + 32), vld1q_s8(q8 + 48));
      acc = vmlaq_n_s32(acc, dlo, sc[2 * c]);
      acc = vmlaq_n_s32(acc, dhi, sc[2 * c + 1]);
    }
    sum += y[b].d * fp16_to_fp32(x[b].d) * vaddvq_s32(acc) - y[b].d * fp16_to_fp32(x[b].dmin) * summ;
  }
  return sum;
}

// Q6_K: levels 0..63 as signed bytes; the -32 offset becomes -32 * sum_s sc[s] * bsums[s].
template <bool kDot>
float dot_q6_K(int64_t n, const BlockQ6_K* x, const BlockQ8_K* y) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(0x03);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const int8_t* sc = x[b].scales;
    int offset = 0;
    for (int k = 0; k < 16; ++k) offset += sc[k] * y[b].bsums[k];
    int32x4_t acc = vdupq_n_s32(0);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x[b].ql + 64 * h;
      const uint8_t* qhp = x[b].qh + 32 * h;
      const int8_t* q8 = y[b].qs + 128 * h;
      for (int half = 0; half < 2; ++half) {  // bytes l in [16 half, 16 half + 16) of each group
        const uint8x16_t a = vld1q_u8(ql + 16 * half), c = vld1q_u8(ql + 32 + 16 * half);
        const uint8x16_t qh = vld1q_u8(qhp + 16 * half);
        const uint8x16_t g[4] = {
            vorrq_u8(vandq_u8(a, m4), vshlq_n_u8(vandq_u8(qh, m3), 4)),
            vorrq_u8(vandq_u8(c, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh, 2), m3), 4)),
            vorrq_u8(vshrq_n_u8(a, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh, 4), m3), 4)),
            vorrq_u8(vshrq_n_u8(c, 4), vshlq_n_u8(vshrq_n_u8(qh, 6), 4)),
        };
        // Group k, bytes 16 half.. is sub-block 2k + half of this 128-element half.
        for (int k = 0; k < 4; ++k) {
          const int32x4_t d = dot16_acc<kDot>(vdupq_n_s32(0), vreinterpretq_s8_u8(g[k]), vld1q_s8(q8 + 32 * k + 16 * half));
          acc = vmlaq_n_s32(acc, d, sc[8 * h + 2 * k + half]);
        }
      }
    }
    sum += y[b].d * fp16_to_fp32(x[b].d) * (vaddvq_s32(acc) - 32 * offset);
  }
  return sum;
}

inline float32x4_t load_f16(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
inline float32x4_t load_bf16(const uint16_t* p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }

template <float32x4_t (*Load)(const uint16_t*), float (*ToF32)(uint16_t)>
float dot_half(int64_t n, const uint16_t* x, const uint16_t* y) {
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = vfmaq_f32(a0, Load(x + i), Load(y + i));
    a1 = vfmaq_f32(a1, Load(x + i + 4), Load(y + i + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(a0, a1));
  for (; i < n; ++i) sum += ToF32(x[i]) * ToF32(y[i]);
  return sum;
}

}  // namespace

void vec_dot_f32(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const float*>(vx);
  const auto* y = static_cast<const float*>(vy);
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(y + i));
    a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
    a2 = vfmaq_f32(a2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
    a3 = vfmaq_f32(a3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
  }
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
  for (; i < n; ++i) sum += x[i] * y[i];
  *s = sum;
}

void vec_dot_f16(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_half<load_f16, fp16_to_fp32>(n, static_cast<const uint16_t*>(x), static_cast<const uint16_t*>(y));
}

void vec_dot_bf16(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_half<load_bf16, bf16_to_fp32>(n, static_cast<const uint16_t*>(x), static_cast<const uint16_t*>(y));
}

void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* x, const void* y) {
  dot_tile<1, 1, false, false>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 1);
}
void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* x, const void* y) {
  dot_tile<1, 1, true, false>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 1);
}
void vec_dot_q8_0_q8_0_dotprod(int64_t n, float* s, const void* x, const void* y) {
  dot_tile<1, 1, false, true>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 1);
}
void vec_dot_q4_0_q8_0_dotprod(int64_t n, float* s, const void* x, const void* y) {
  dot_tile<1, 1, true, true>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 1);
}

void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<false, false>(n, static_cast<const BlockQ4_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<true, false>(n, static_cast<const BlockQ5_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_q6_K<false>(n, static_cast<const BlockQ6_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q4_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<false, true>(n, static_cast<const BlockQ4_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q5_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<true, true>(n, static_cast<const BlockQ5_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q6_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_q6_K<true>(n, static_cast<const BlockQ6_K*>(x), static_cast<const BlockQ8_K*>(y));
}

void gemm_q8_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_32<false, false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q4_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_32<true, false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q8_0_q8_0_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride) {
  gemm_32<false, true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q4_0_q8_0_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride) {
  gemm_32<true, true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q8_0_q8_0_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                         int64_t n_tok, float* y, int64_t y_stride) {
  gemm_32_i8mm<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q4_0_q8_0_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                         int64_t n_tok, float* y, int64_t y_stride) {
  gemm_32_i8mm<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
