// Packed Q4_K / Q5_K / Q6_K GEMM for NEON with dotprod: 4-row groups in pack.h's layouts (the ones
// AVX-512 reads with 16 rows), one s32 / f32 lane per row. Q4_K is most of a Q4_K_M file, Q6_K its
// output matrix (also of Q4_0 files) and the ffn_down / attn_v of its "more bits" layers.
// Q4_K / Q5_K, per 256-element super-block of a group:
//   - the 12 scale-byte planes (4 bytes: one per row) decode into the 8 six-bit scales and mins of the
//     4 rows with a few 16-byte operations (ggml's packing, see tile_q45_K);
//   - word m of a 64-element chunk c is one 16-byte load for the 4 rows: its low nibbles are word m of
//     sub-block 2c, its high nibbles of sub-block 2c + 1 (Q5_K adds bits 2c / 2c + 1 of qh word m as
//     bit 4); each meets lane m % 4 of its sub-block's activations by `sdot by lane`, and the scale
//     multiplies each sub-block sum in s32;
//   - the mins meet Q8_K's bsums of 32 in s16 x s16 -> s32 multiply-adds; two FMAs per token.
// Q6_K, per super-block:
//   - section (h, mq) holds, for the four 16-element sub-blocks s = 8h + 2k + mq (k = quarter), word m
//     of every row's ql bytes (quarters 0 / 2 in the low / high nibbles of field A, 1 / 3 of field B)
//     and the qh word whose bits 2k..2k+1 are quarter k's top bits. Each 16-byte load is word m of
//     the 4 rows, so the 6-bit levels (0..63, exact as signed bytes) meet the activation word in lane
//     m of a 16-byte load of Q8_K with `sdot by lane`, as the Q4_0 kernels do (gemm_packed.cpp);
//   - the -32 offset starts each sub-block sum at -32 * bsum (Q8_K's sums of 16), then the int8
//     scales of the 4 rows (a 4-byte plane) multiply the sub-block sums in s32;
//   - one FMA per super-block and token adds d * d_y * sum to the 4 row lanes.
// Integer sums are exact; only the float scaling order differs from scalar (~1e-6 relative).
// On i8mm CPUs gemm_packed_k_i8mm.cpp multiplies the same groups with SMMLA and calls these for a lone token.
#include <arm_neon.h>

#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/neon/packed_k.h"
#include "kernels/pack.h"

namespace capibara::neon {

namespace {

constexpr int kRows = kPackedKRows;
constexpr int kMaxTile = 2;  // tokens per tile: 8 sub-block sums and 8 activation vectors in registers

// Word m of a section: the four quarters' levels of the 4 rows, each against lane m of its activations.
template <int M, int T>
inline void section_word(const uint8_t* sec, const int8x16_t (&yv)[4][T], int32x4_t (&part)[4][T]) {
  const uint8x16_t l0 = vld1q_u8(sec + 16 * M), l1 = vld1q_u8(sec + 16 * kRows + 16 * M);
  const uint8x16_t hb = vld1q_u8(sec + 32 * kRows + 16 * M);
  const int8x16_t q[4] = {q6_level<0>(l0, l1, hb), q6_level<1>(l0, l1, hb), q6_level<2>(l0, l1, hb),
                          q6_level<3>(l0, l1, hb)};
  for (int k = 0; k < 4; ++k)
    for (int t = 0; t < T; ++t) part[k][t] = sdot_lane<M>(part[k][t], q[k], yv[k][t]);
}

template <int T>
void tile_q6_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockQ6_K);
  constexpr size_t kSection = 3 * 16 * kRows;  // kPackQ6_K: three 16-byte fields per (h, mq)
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    const uint8_t* planes = blk + 2 * kRows;  // 16 scale planes of 4 bytes
    int32x4_t isum[T];
    for (int t = 0; t < T; ++t) isum[t] = vdupq_n_s32(0);
    // One section per iteration: GCC's unrolling of this loop measured no faster (scripts/mca-neon.mjs),
    // and a fixed shape keeps that script's per-section figures comparable.
#pragma GCC unroll 1
    for (int i = 0; i < 4; ++i) {
      const int h = i / 2, mq = i % 2;
      const uint8_t* sec = planes + 16 * kRows + i * kSection;
      int32x4_t part[4][T];
      int8x16_t yv[4][T];
      for (int k = 0; k < 4; ++k)
        for (int t = 0; t < T; ++t) {
          part[k][t] = vdupq_n_s32(-32 * y[t][sb].bsums[8 * h + 2 * k + mq]);
          yv[k][t] = vld1q_s8(y[t][sb].qs + 128 * h + 32 * k + 16 * mq);
        }
      section_word<0>(sec, yv, part);
      section_word<1>(sec, yv, part);
      section_word<2>(sec, yv, part);
      section_word<3>(sec, yv, part);
      // The section's 4 scale planes are every other plane from 8h + mq: one de-interleaving load
      // (its last, unused plane may be the first bytes of section 0: still inside the group).
      const int8x16_t sc8 = vreinterpretq_s8_u32(vld2q_u32(reinterpret_cast<const uint32_t*>(planes + 4 * (8 * h + mq))).val[0]);
      const int16x8_t sc16[2] = {vmovl_s8(vget_low_s8(sc8)), vmovl_high_s8(sc8)};
      for (int k = 0; k < 4; ++k) {
        const int32x4_t sc = k % 2 ? vmovl_high_s16(sc16[k / 2]) : vmovl_s16(vget_low_s16(sc16[k / 2]));
        for (int t = 0; t < T; ++t) isum[t] = vmlaq_s32(isum[t], sc, part[k][t]);
      }
    }
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    for (int t = 0; t < T; ++t) acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(d, y[t][sb].d));
  }
  for (int t = 0; t < T; ++t) vst1q_f32(s + t * s_stride, acc[t]);
}

// Word M of chunk c: its low nibbles are sub-block 2c's element word M, its high nibbles sub-block
// 2c + 1's (Q5_K: plus bit 2c / 2c + 1 of qh word M as bit 4, moved there by the shifts sh[0], sh[1]).
template <bool kQ5, int M, int T>
inline void chunk_word(const uint8_t* qs, const uint8_t* qh, const int8x16_t (&sh)[2], const int8x16_t (&yv)[2][2][T],
                       int32x4_t (&a)[2][T]) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F), bit4 = vdupq_n_u8(0x10);
  const uint8x16_t w = vld1q_u8(qs + 16 * M);
  uint8x16_t lo = vandq_u8(w, m4), hi = vshrq_n_u8(w, 4);
  if constexpr (kQ5) {
    const uint8x16_t h = vld1q_u8(qh + 16 * M);
    lo = vorrq_u8(lo, vandq_u8(vshlq_u8(h, sh[0]), bit4));
    hi = vorrq_u8(hi, vandq_u8(vshlq_u8(h, sh[1]), bit4));
  }
  for (int t = 0; t < T; ++t) {
    a[0][t] = sdot_lane<M % 4>(a[0][t], vreinterpretq_s8_u8(lo), yv[0][M / 4][t]);
    a[1][t] = sdot_lane<M % 4>(a[1][t], vreinterpretq_s8_u8(hi), yv[1][M / 4][t]);
  }
}

template <bool kQ5, int T>
void tile_q45_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    const uint8_t* qh = blk + 4 * kRows + 12 * kRows;  // after d, dmin and the scale planes (Q5_K only)
    const uint8_t* qs = qh + (kQ5 ? 32 * kRows : 0);
    uint8x16_t sc[2], mn[2];
    k4_scales(blk + 4 * kRows, sc, mn);
    int32x4_t scale[8];
    for (int j = 0; j < 8; ++j) scale[j] = widen_scale(sc, j);
    int32x4_t isum[T], msum[T];
    for (int t = 0; t < T; ++t) isum[t] = msum[t] = vdupq_n_s32(0);
    // One 64-element chunk (sub-blocks 2c, 2c + 1) per iteration: the same fixed shape as Q6_K's sections.
#pragma GCC unroll 1
    for (int c = 0; c < 4; ++c) {
      int8x16_t yv[2][2][T];  // [sub-block 2c + e][half][token]
      for (int e = 0; e < 2; ++e)
        for (int hf = 0; hf < 2; ++hf)
          for (int t = 0; t < T; ++t) yv[e][hf][t] = vld1q_s8(y[t][sb].qs + 64 * c + 32 * e + 16 * hf);
      const int8x16_t sh[2] = {vdupq_n_s8(static_cast<int8_t>(4 - 2 * c)), vdupq_n_s8(static_cast<int8_t>(3 - 2 * c))};
      int32x4_t a[2][T];
      for (auto& ae : a)
        for (auto& v : ae) v = vdupq_n_s32(0);
      const uint8_t* cq = qs + 128 * c;  // 8 words x 4 rows
      chunk_word<kQ5, 0>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 1>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 2>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 3>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 4>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 5>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 6>(cq, qh, sh, yv, a);
      chunk_word<kQ5, 7>(cq, qh, sh, yv, a);
      for (int t = 0; t < T; ++t) isum[t] = vmlaq_s32(vmlaq_s32(isum[t], scale[2 * c], a[0][t]), scale[2 * c + 1], a[1][t]);
    }
    // Mins as s16 (row r of sub-block j in lane 4 (j % 2) + r of mins16[j / 2]) against the bsums of 32.
    int16x8_t mins16[4];
    k4_mins16(mn, mins16);
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    const float32x4_t dmin = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk + 2 * kRows)));
    for (int t = 0; t < T; ++t) {
      const int16_t* bs = y[t][sb].bsums;
      for (int j = 0; j < 8; ++j) {
        const int16_t b32 = static_cast<int16_t>(bs[2 * j] + bs[2 * j + 1]);  // |sum of 32| <= 4064
        const int16x8_t m = mins16[j / 2];
        msum[t] = vmlal_n_s16(msum[t], j % 2 ? vget_high_s16(m) : vget_low_s16(m), b32);
      }
      acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(d, y[t][sb].d));
      acc[t] = vfmsq_f32(acc[t], vcvtq_f32_s32(msum[t]), vmulq_n_f32(dmin, y[t][sb].d));
    }
  }
  for (int t = 0; t < T; ++t) vst1q_f32(s + t * s_stride, acc[t]);
}

using TileFn = void (*)(int64_t, const uint8_t*, const BlockQ8_K* const*, float*, int64_t);

// The loop of the three GEMMs: tiles of 1 or 2 tokens (kMaxTile) over pack.h's groups.
template <TileFn kOne, TileFn kTwo>
void gemm_k(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
            int64_t y_stride) {
  const int64_t nsb = n / kQKK;
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    const BlockQ8_K* ys[kMaxTile];
    for (int t = 0; t < nt; ++t) ys[t] = reinterpret_cast<const BlockQ8_K*>(xb + (t0 + t) * x_row);
    (nt == 2 ? kTwo : kOne)(nsb, group, ys, out, y_stride);
  });
}

}  // namespace

void pack_q4_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ4_K), kPackQ4_K>(sizeof(BlockQ4_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q5_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ5_K), kPackQ5_K>(sizeof(BlockQ5_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q6_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ6_K), kPackQ6_K>(sizeof(BlockQ6_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q45_K<false, 1>, tile_q45_K<false, 2>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q5_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q45_K<true, 1>, tile_q45_K<true, 2>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q6_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q6_K<1>, tile_q6_K<2>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
