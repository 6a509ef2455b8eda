// NEON dot products and GEMMs of Q4_1, Q5_0, Q5_1, IQ4_NL (32-element blocks), IQ4_XS, Q2_K and Q3_K, the same integer
// sums as scalar/dot_more.cpp. Each weight block is unpacked to two int8x16 in element order (Q4_1/Q5_1
// levels 0..31, Q5_0 as q - 16, IQ4 levels through a TBL lookup of the 16 values; every product fits the
// base path's s16 pairs) and multiplied by dot16_acc: SDOT in the *_dotprod variants (dispatch installs
// them only when the CPU has it), vmull/vpadal otherwise. Q4_1/Q5_1 add m_w * s_x per block, as ggml.
// gemm_* use 4 rows x 2 tokens tiles (each activation block loaded once for 4 rows).
#include <arm_neon.h>

#include <cstring>

#include "kernels/fp16.h"
#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/quant_blocks.h"

namespace capibara::neon {

namespace {

inline void nibbles(const uint8_t* qs, int8x16_t* lo, int8x16_t* hi) {
  const uint8x16_t q = vld1q_u8(qs);
  *lo = vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F)));
  *hi = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
}

// 0x10 in byte i where bit i of the 16-bit half of qh at `h` is set.
inline int8x16_t fifth_bits(const uint8_t* h) {
  static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t v = vcombine_u8(vdup_n_u8(h[0]), vdup_n_u8(h[1]));
  return vreinterpretq_s8_u8(vandq_u8(vtstq_u8(v, vld1q_u8(kBit)), vdupq_n_u8(0x10)));
}

inline void q5_levels(const uint8_t* qs, const uint8_t* qh, int8x16_t* w0, int8x16_t* w1) {
  nibbles(qs, w0, w1);
  *w0 = vorrq_s8(*w0, fifth_bits(qh));
  *w1 = vorrq_s8(*w1, fifth_bits(qh + 2));
}

inline void iq4_levels(const uint8_t* qs, int8x16_t* w0, int8x16_t* w1) {
  const int8x16_t table = vld1q_s8(kIq4nlValues);
  const uint8x16_t q = vld1q_u8(qs);
  *w0 = vqtbl1q_s8(table, vandq_u8(q, vdupq_n_u8(0x0F)));
  *w1 = vqtbl1q_s8(table, vshrq_n_u8(q, 4));
}

// One format per weight type: activation block, unpacking, min term.
struct Q4_1 {
  using W = BlockQ4_1;
  using X = BlockQ8_1;
  static void levels(const W& b, int8x16_t* w0, int8x16_t* w1) { nibbles(b.qs, w0, w1); }
  static float min(const W& b, const X& x) { return fp16_to_fp32(b.m) * fp16_to_fp32(x.s); }
};
struct Q5_0 {
  using W = BlockQ5_0;
  using X = BlockQ8_0;
  static void levels(const W& b, int8x16_t* w0, int8x16_t* w1) {
    q5_levels(b.qs, b.qh, w0, w1);
    *w0 = vsubq_s8(*w0, vdupq_n_s8(16));
    *w1 = vsubq_s8(*w1, vdupq_n_s8(16));
  }
  static float min(const W&, const X&) { return 0.0f; }
};
struct Q5_1 {
  using W = BlockQ5_1;
  using X = BlockQ8_1;
  static void levels(const W& b, int8x16_t* w0, int8x16_t* w1) { q5_levels(b.qs, b.qh, w0, w1); }
  static float min(const W& b, const X& x) { return fp16_to_fp32(b.m) * fp16_to_fp32(x.s); }
};
struct Iq4Nl {
  using W = BlockIq4Nl;
  using X = BlockQ8_0;
  static void levels(const W& b, int8x16_t* w0, int8x16_t* w1) { iq4_levels(b.qs, w0, w1); }
  static float min(const W&, const X&) { return 0.0f; }
};

template <typename F, int R, int T, bool kDot>
void tile(int64_t n, const uint8_t* w, size_t w_row, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  float32x4_t acc[R][T];
  float mins[R][T] = {};
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int8x16_t w0[R], w1[R];
    float dw[R];
    for (int r = 0; r < R; ++r) {
      const typename F::W& wb = reinterpret_cast<const typename F::W*>(w + r * w_row)[b];
      F::levels(wb, &w0[r], &w1[r]);
      dw[r] = fp16_to_fp32(wb.d);
    }
    for (int t = 0; t < T; ++t) {
      const typename F::X& xb = reinterpret_cast<const typename F::X*>(x + t * x_row)[b];
      const int8x16_t y0 = vld1q_s8(xb.qs), y1 = vld1q_s8(xb.qs + 16);
      const float dx = fp16_to_fp32(xb.d);
      for (int r = 0; r < R; ++r) {
        const int32x4_t d32 = dot16_acc<kDot>(dot16_acc<kDot>(vdupq_n_s32(0), w0[r], y0), w1[r], y1);
        acc[r][t] = vmlaq_n_f32(acc[r][t], vcvtq_f32_s32(d32), dw[r] * dx);
        mins[r][t] += F::min(reinterpret_cast<const typename F::W*>(w + r * w_row)[b], xb);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) s[t * s_stride + r] = vaddvq_f32(acc[r][t]) + mins[r][t];
}

template <typename F, bool kDot>
void vec_dot(int64_t n, float* s, const void* x, const void* y) {
  tile<F, 1, 1, kDot>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 0);
}

template <typename F, bool kDot>
void gemm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
          int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t r = 0; r < n_rows; r += 4) {
    const bool full = n_rows - r >= 4;
    for (int64_t t = 0; t < n_tok;) {
      const int step = n_tok - t >= 2 ? 2 : 1;
      float* out = y + t * y_stride + r;
      const uint8_t* xt = xb + t * x_row;
      if (full) {
        if (step == 2) tile<F, 4, 2, kDot>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
        else tile<F, 4, 1, kDot>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
      } else {
        for (int64_t i = r; i < n_rows; ++i) {
          if (step == 2) tile<F, 1, 2, kDot>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
          else tile<F, 1, 1, kDot>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
        }
      }
      t += step;
    }
  }
}

// IQ4_XS, one weight row x T tokens: per sub-block j the s32 lanes of levels x q8 are scaled by (ls_j - 32),
// so a super-block is one s32 sum per token times d_w d_x; the row's levels are looked up once for T tokens.
template <int T, bool kDot>
void iq4_xs_row(int64_t n, const BlockIq4Xs* x, const uint8_t* y, size_t y_row, float* s, int64_t s_stride) {
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int32x4_t sum[T];
    for (int t = 0; t < T; ++t) sum[t] = vdupq_n_s32(0);
    for (int j = 0; j < 8; ++j) {
      int8x16_t w0, w1;
      iq4_levels(x[b].qs + 16 * j, &w0, &w1);
      const int sc = iq4_xs_scale(x[b], j) - 32;
      for (int t = 0; t < T; ++t) {
        const int8_t* q8 = reinterpret_cast<const BlockQ8_K*>(y + t * y_row)[b].qs + 32 * j;
        const int32x4_t d32 = dot16_acc<kDot>(dot16_acc<kDot>(vdupq_n_s32(0), w0, vld1q_s8(q8)), w1, vld1q_s8(q8 + 16));
        sum[t] = vmlaq_n_s32(sum[t], d32, sc);
      }
    }
    for (int t = 0; t < T; ++t) {
      const float dy = reinterpret_cast<const BlockQ8_K*>(y + t * y_row)[b].d;
      acc[t] = vmlaq_n_f32(acc[t], vcvtq_f32_s32(sum[t]), fp16_to_fp32(x[b].d) * dy);
    }
  }
  for (int t = 0; t < T; ++t) s[t * s_stride] = vaddvq_f32(acc[t]);
}

// Rows one at a time, tokens 4 at a time.
template <bool kDot>
void gemm_iq4_xs(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* row = reinterpret_cast<const BlockIq4Xs*>(wb + r * w_row);
    int64_t t = 0;
    for (; t + 4 <= n_tok; t += 4) iq4_xs_row<4, kDot>(n, row, xb + t * x_row, x_row, y + t * y_stride + r, y_stride);
    for (; t < n_tok; ++t) iq4_xs_row<1, kDot>(n, row, xb + t * x_row, x_row, y + t * y_stride + r, y_stride);
  }
}

// Q2_K / Q3_K: per sub-block of 16, unsigned levels (Q3_K: q + 4 hbit, 0..7) times the Q8_K bytes, times
// the sub-block's scale; the Q2_K mins and the Q3_K offset of 4 go through bsums once per super-block.
template <bool kQ3, bool kDot, typename Block>
float dot_k_low(int64_t n, const Block* x, const BlockQ8_K* y) {
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int sc[16], corr = 0;
    if constexpr (kQ3) {
      q3_k_scales(x[b].scales, sc);
      for (int i = 0; i < 16; ++i) corr += 4 * (sc[i] - 32) * y[b].bsums[i];
      for (int i = 0; i < 16; ++i) sc[i] -= 32;
    } else {
      for (int i = 0; i < 16; ++i) {
        sc[i] = x[b].scales[i] & 0xF;
        corr += (x[b].scales[i] >> 4) * y[b].bsums[i];
      }
    }
    int32x4_t acc = vdupq_n_s32(0);
    for (int h = 0; h < 2; ++h) {
      for (int half = 0; half < 2; ++half) {
        const uint8x16_t q = vld1q_u8(x[b].qs + 32 * h + 16 * half);
        uint8x16_t hm = vdupq_n_u8(0);
        if constexpr (kQ3) hm = vld1q_u8(reinterpret_cast<const BlockQ3_K&>(x[b]).hmask + 16 * half);
        for (int j = 0; j < 4; ++j) {
          const int sb = 8 * h + 2 * j + half;
          uint8x16_t lv = vandq_u8(vshlq_u8(q, vdupq_n_s8(static_cast<int8_t>(-2 * j))), vdupq_n_u8(3));
          if constexpr (kQ3) lv = vorrq_u8(lv, vandq_u8(vtstq_u8(hm, vdupq_n_u8(static_cast<uint8_t>(1 << (4 * h + j)))), vdupq_n_u8(4)));
          const int32x4_t d = dot16_acc<kDot>(vdupq_n_s32(0), vreinterpretq_s8_u8(lv), vld1q_s8(y[b].qs + 16 * sb));
          acc = vmlaq_n_s32(acc, d, sc[sb]);
        }
      }
    }
    const int sumi = vaddvq_s32(acc);
    if constexpr (kQ3) {
      sum += fp16_to_fp32(x[b].d) * y[b].d * (sumi - corr);
    } else {
      const auto& q2 = reinterpret_cast<const BlockQ2_K&>(x[b]);
      sum += y[b].d * fp16_to_fp32(q2.d) * sumi - y[b].d * fp16_to_fp32(q2.dmin) * corr;
    }
  }
  return sum;
}

}  // namespace

void vec_dot_q2_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_low<false, false>(n, static_cast<const BlockQ2_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q2_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_low<false, true>(n, static_cast<const BlockQ2_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q3_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_low<true, false>(n, static_cast<const BlockQ3_K*>(x), static_cast<const BlockQ8_K*>(y));
}
void vec_dot_q3_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_low<true, true>(n, static_cast<const BlockQ3_K*>(x), static_cast<const BlockQ8_K*>(y));
}

#define CAPIBARA_NEON_MORE(name, F)                                                                                   \
  void vec_dot_##name(int64_t n, float* s, const void* x, const void* y) { vec_dot<F, false>(n, s, x, y); }           \
  void vec_dot_##name##_dotprod(int64_t n, float* s, const void* x, const void* y) { vec_dot<F, true>(n, s, x, y); }  \
  void gemm_##name(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, \
                   float* y, int64_t y_stride) {                                                                      \
    gemm<F, false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);                                                \
  }                                                                                                                   \
  void gemm_##name##_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,     \
                             int64_t n_tok, float* y, int64_t y_stride) {                                             \
    gemm<F, true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);                                                 \
  }
CAPIBARA_NEON_MORE(q4_1_q8_1, Q4_1)
CAPIBARA_NEON_MORE(q5_0_q8_0, Q5_0)
CAPIBARA_NEON_MORE(q5_1_q8_1, Q5_1)
CAPIBARA_NEON_MORE(iq4_nl_q8_0, Iq4Nl)
#undef CAPIBARA_NEON_MORE

void vec_dot_iq4_xs_q8_K(int64_t n, float* s, const void* x, const void* y) {
  iq4_xs_row<1, false>(n, static_cast<const BlockIq4Xs*>(x), static_cast<const uint8_t*>(y), 0, s, 0);
}
void vec_dot_iq4_xs_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y) {
  iq4_xs_row<1, true>(n, static_cast<const BlockIq4Xs*>(x), static_cast<const uint8_t*>(y), 0, s, 0);
}
void gemm_iq4_xs_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride) {
  gemm_iq4_xs<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_iq4_xs_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                              int64_t n_tok, float* y, int64_t y_stride) {
  gemm_iq4_xs<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
