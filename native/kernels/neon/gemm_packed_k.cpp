// Packed Q4_K / Q5_K / Q6_K GEMM for NEON with dotprod: 4-row groups in pack.h's layouts (the ones
// AVX-512 reads with 16 rows), one s32 / f32 lane per row; Q2_K, Q3_K (hmask inverted) and IQ4_XS alike
// (see tile_q23_K, tile_iq4_xs). Q4_K is most of a Q4_K_M file, Q6_K its
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

// IQ4_XS word M of sub-block pair c (words 8c + 4e + M, e = 0, 1): its nibbles look up the signed levels
// (tbl) and meet lane M of the activations 32j.. (low nibbles) and 32j + 16.. (high), j = 2c + e.
template <int M, int T>
inline void iq4_word(const uint8_t* qs, int8x16_t table, const int8x16_t (&yv)[2][2][T], int32x4_t (&a)[2][T]) {
  for (int e = 0; e < 2; ++e) {
    const uint8x16_t w = vld1q_u8(qs + 64 * e + 16 * M);
    const int8x16_t lo = vqtbl1q_s8(table, vandq_u8(w, vdupq_n_u8(0x0F))), hi = vqtbl1q_s8(table, vshrq_n_u8(w, 4));
    for (int t = 0; t < T; ++t) a[e][t] = sdot_lane<M>(sdot_lane<M>(a[e][t], lo, yv[e][0][t]), hi, yv[e][1][t]);
  }
}

// IQ4_XS: the 4 rows' 6-bit scales come from a 16-bit and a 32-bit lane per row (kPackIq4Xs); the levels
// are signed bytes, so sub-block sums need no offset before their scale ls_j - 32.
template <int T>
void tile_iq4_xs(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockIq4Xs);
  const int8x16_t table = vld1q_s8(kIq4nlValues);
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    const uint32x4_t sh = vmovl_u16(vld1_u16(reinterpret_cast<const uint16_t*>(blk + 2 * kRows)));
    const uint32x4_t sl = vld1q_u32(reinterpret_cast<const uint32_t*>(blk + 4 * kRows));
    const uint8_t* qs = blk + 8 * kRows;
    int32x4_t scale[8];
    for (int j = 0; j < 8; ++j) {
      const uint32x4_t ls = vorrq_u32(vandq_u32(vshlq_u32(sl, vdupq_n_s32(-4 * j)), vdupq_n_u32(0xF)),
                                      vandq_u32(vshlq_u32(sh, vdupq_n_s32(4 - 2 * j)), vdupq_n_u32(0x30)));
      scale[j] = vsubq_s32(vreinterpretq_s32_u32(ls), vdupq_n_s32(32));
    }
    int32x4_t isum[T];
    for (int t = 0; t < T; ++t) isum[t] = vdupq_n_s32(0);
    // Two sub-blocks (64 elements) per iteration, the shape of the other K-quant loops.
#pragma GCC unroll 1
    for (int c = 0; c < 4; ++c) {
      int8x16_t yv[2][2][T];  // [sub-block 2c + e][half][token]
      for (int e = 0; e < 2; ++e)
        for (int hf = 0; hf < 2; ++hf)
          for (int t = 0; t < T; ++t) yv[e][hf][t] = vld1q_s8(y[t][sb].qs + 64 * c + 32 * e + 16 * hf);
      int32x4_t a[2][T];
      for (auto& ae : a)
        for (auto& v : ae) v = vdupq_n_s32(0);
      const uint8_t* cq = qs + 128 * c;
      iq4_word<0>(cq, table, yv, a);
      iq4_word<1>(cq, table, yv, a);
      iq4_word<2>(cq, table, yv, a);
      iq4_word<3>(cq, table, yv, a);
      for (int t = 0; t < T; ++t) isum[t] = vmlaq_s32(vmlaq_s32(isum[t], scale[2 * c], a[0][t]), scale[2 * c + 1], a[1][t]);
    }
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    for (int t = 0; t < T; ++t) acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(d, y[t][sb].d));
  }
  for (int t = 0; t < T; ++t) vst1q_f32(s + t * s_stride, acc[t]);
}

// Q2_K / Q3_K word M of half h for the level pairs j = 2jp + i (i = 0, 1): bits 2j..2j+1 are elements
// 128h + 32j + 4M.. of sub-block 8h + 2j + M / 4, against lane M % 4 of the activations 128h + 32j + 16 (M / 4)...
// Q2_K: (w >> 2j) & 3. Q3_K: the 3-bit two's complement level q - 4 (1 - hbit) at the top of a signed byte
// (32 times the level): w << (6 - 2j) puts q at bits 6-7, shifted one down under the inverted hmask bit
// 4h + j moved to bit 7 (kPackQ3_KInv); the mask drops the lower levels' bits below.
template <bool kQ3, int M, int T>
inline void q23_word(const uint8_t* qs, const uint8_t* hm, const int8x16_t (&qsh)[2], const int8x16_t (&hsh)[2],
                     const int8x16_t (&yv)[2][2][T], int32x4_t (&a)[4][T]) {
  const uint8x16_t w = vld1q_u8(qs + 16 * M);
  for (int i = 0; i < 2; ++i) {
    uint8x16_t v;
    if constexpr (kQ3) {
      v = vandq_u8(vsriq_n_u8(vshlq_u8(vld1q_u8(hm + 16 * M), hsh[i]), vshlq_u8(w, qsh[i]), 1), vdupq_n_u8(0xE0));
    } else {
      v = vandq_u8(vshlq_u8(w, qsh[i]), vdupq_n_u8(3));
    }
    for (int t = 0; t < T; ++t) a[2 * i + M / 4][t] = sdot_lane<M % 4>(a[2 * i + M / 4][t], vreinterpretq_s8_u8(v), yv[i][M / 4][t]);
  }
}

// Q2_K (kQ3 false) and Q3_K (kQ3): iteration i = 2h + jp covers level pairs 2jp, 2jp + 1 of half h, i.e.
// sub-blocks 4i..4i + 3, whose scales are scale plane vector i (byte 4 (s % 4) + r). Q2_K's mins (the
// planes' high nibbles) meet the bsums in s16 x s16 -> s32 multiply-adds; Q3_K's sums are 32 times too
// large, which the float scale takes back exactly.
template <bool kQ3, int T>
void tile_q23_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ3 ? sizeof(BlockQ3_K) : sizeof(BlockQ2_K));
  constexpr int kPlane0 = kQ3 ? 2 * kRows : 4 * kRows;  // after d (and Q2_K's dmin)
  constexpr int kPlanes = kQ3 ? 12 : 16;
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    const uint8_t* hm = blk + kPlane0 + kPlanes * kRows;  // Q3_K only
    const uint8_t* qs = hm + (kQ3 ? 32 * kRows : 0);
    // sc[i]: the 6-bit (Q3_K, minus 32) or 4-bit scales of sub-blocks 4i..4i + 3 (see q3_k_scales).
    int8x16_t sc[4];
    [[maybe_unused]] uint8x16_t mn[4];
    if constexpr (kQ3) {
      const uint8x16_t p0 = vld1q_u8(blk + kPlane0), p1 = vld1q_u8(blk + kPlane0 + 16), p2 = vld1q_u8(blk + kPlane0 + 32);
      const uint8x16_t m2 = vdupq_n_u8(3);
      const uint8x16_t ls[4] = {vsliq_n_u8(p0, vandq_u8(p2, m2), 4), vsliq_n_u8(p1, vandq_u8(vshrq_n_u8(p2, 2), m2), 4),
                                vsliq_n_u8(vshrq_n_u8(p0, 4), vandq_u8(vshrq_n_u8(p2, 4), m2), 4),
                                vsliq_n_u8(vshrq_n_u8(p1, 4), vshrq_n_u8(p2, 6), 4)};
      for (int i = 0; i < 4; ++i) sc[i] = vsubq_s8(vreinterpretq_s8_u8(ls[i]), vdupq_n_s8(32));
    } else {
      for (int i = 0; i < 4; ++i) {
        const uint8x16_t p = vld1q_u8(blk + kPlane0 + 16 * i);
        sc[i] = vreinterpretq_s8_u8(vandq_u8(p, m4));
        mn[i] = vshrq_n_u8(p, 4);
      }
    }
    int32x4_t isum[T];
    for (int t = 0; t < T; ++t) isum[t] = vdupq_n_s32(0);
#pragma GCC unroll 1
    for (int i = 0; i < 4; ++i) {
      const int h = i / 2, j0 = 2 * (i % 2);
      int8x16_t yv[2][2][T];  // [level pair j0 + jj][sub-block half][token]
      for (int jj = 0; jj < 2; ++jj)
        for (int e = 0; e < 2; ++e)
          for (int t = 0; t < T; ++t) yv[jj][e][t] = vld1q_s8(y[t][sb].qs + 128 * h + 32 * (j0 + jj) + 16 * e);
      const int8x16_t qsh[2] = {vdupq_n_s8(static_cast<int8_t>(kQ3 ? 6 - 2 * j0 : -2 * j0)),
                                vdupq_n_s8(static_cast<int8_t>(kQ3 ? 4 - 2 * j0 : -2 - 2 * j0))};
      const int8x16_t hsh[2] = {vdupq_n_s8(static_cast<int8_t>(7 - 4 * h - j0)), vdupq_n_s8(static_cast<int8_t>(6 - 4 * h - j0))};
      int32x4_t a[4][T];  // [sub-block 4i + k][token]
      for (auto& ak : a)
        for (auto& v : ak) v = vdupq_n_s32(0);
      const uint8_t* hq = qs + 128 * h;  // 8 words x 4 rows
      q23_word<kQ3, 0>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 1>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 2>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 3>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 4>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 5>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 6>(hq, hm, qsh, hsh, yv, a);
      q23_word<kQ3, 7>(hq, hm, qsh, hsh, yv, a);
      const int16x8_t s16[2] = {vmovl_s8(vget_low_s8(sc[i])), vmovl_high_s8(sc[i])};
      for (int k = 0; k < 4; ++k) {
        const int32x4_t scale = k % 2 ? vmovl_high_s16(s16[k / 2]) : vmovl_s16(vget_low_s16(s16[k / 2]));
        for (int t = 0; t < T; ++t) isum[t] = vmlaq_s32(isum[t], scale, a[k][t]);
      }
    }
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    for (int t = 0; t < T; ++t) {
      const float dy = kQ3 ? y[t][sb].d / 32 : y[t][sb].d;
      acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(d, dy));
      if constexpr (!kQ3) {
        int32x4_t msum = vdupq_n_s32(0);
        for (int sub = 0; sub < 16; ++sub) {
          const int16x8_t m16 = vreinterpretq_s16_u16(sub % 4 < 2 ? vmovl_u8(vget_low_u8(mn[sub / 4])) : vmovl_high_u8(mn[sub / 4]));
          msum = vmlal_n_s16(msum, sub % 2 ? vget_high_s16(m16) : vget_low_s16(m16), y[t][sb].bsums[sub]);
        }
        const float32x4_t dmin = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk + 2 * kRows)));
        acc[t] = vfmsq_f32(acc[t], vcvtq_f32_s32(msum), vmulq_n_f32(dmin, y[t][sb].d));
      }
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

void pack_q2_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ2_K), kPackQ2_K>(sizeof(BlockQ2_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q3_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ3_KInv), kPackQ3_KInv>(sizeof(BlockQ3_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_iq4_xs(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackIq4Xs), kPackIq4Xs>(sizeof(BlockIq4Xs), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q2_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q23_K<false, 1>, tile_q23_K<false, 2>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q3_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q23_K<true, 1>, tile_q23_K<true, 2>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_iq4_xs_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                     int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_iq4_xs<1>, tile_iq4_xs<2>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
