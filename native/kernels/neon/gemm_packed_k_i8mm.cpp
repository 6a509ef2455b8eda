// Packed Q4_K / Q5_K / Q6_K GEMM for NEON with i8mm (SMMLA), on the SDOT kernels' 4-row groups
// (pack.h's layouts, gemm_packed_k.cpp): one layout per type on every NEON level, and a single token
// (decode) runs the SDOT kernel unchanged, which needs no activation pairs and no duplicate work.
// For two or more tokens, per 4-row group and token pair (t, t'):
//   - two 16-byte loads of 4-byte words 2u and 2u + 1 of the 4 rows zip (32-bit lanes) into rows 0, 1
//     and rows 2, 3 x bytes 8u..8u+7: SMMLA's 2 x 8 left operand. The K-quants' unpacking is bytewise,
//     so it runs on the zipped bytes as it would on the words (Q4_K nibbles, Q5_K's fifth bit from qh
//     zipped the same way, Q6_K's quarters with packed_k.h's q6_insert, see q6_quarter);
//   - the activations of t and t' zip per 8 bytes into the right operand (as for Q4_0 in
//     gemm_packed_i8mm.cpp), once per call for all groups (gemm_k);
//   - SMMLA gives a sub-block's sums in lanes (r t, r t', r+1 t, r+1 t'): 4 per Q4_K / Q5_K sub-block of
//     32, 2 per Q6_K sub-block of 16, where SDOT takes twice as many for the same row-token products;
//   - each sub-block sum is multiplied in s32 by its scales laid out the same way (s_r, s_r, s_r+1, s_r+1);
//     Q4_K / Q5_K's mins meet the bsums in token-major lanes (by-element s16 multiply-adds) and are
//     zipped into the pair layout once per super-block.
// An odd last token is paired with itself (its duplicate's results are dropped). Integer sums are
// exact, so only the float scaling order differs from scalar. dispatch.cpp installs these only when the
// CPU reports i8mm.
#include <arm_neon.h>

#include <algorithm>
#include <vector>

#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/neon/packed_k.h"
#include "kernels/pack.h"

namespace capibara::neon {

namespace {

constexpr int kRows = kPackedKRows;
constexpr int kPairs = 2;             // token pairs per tile
constexpr int kMaxTile = 2 * kPairs;  // tokens per tile

// 4-byte words 2u, 2u + 1 of the 4 rows at w (the next word 16 bytes on) as z[0] = rows 0, 1 and
// z[1] = rows 2, 3, each 8 bytes.
inline void pair_rows(const uint8_t* w, uint8x16_t (&z)[2]) {
  const uint32x4_t a = vld1q_u32(reinterpret_cast<const uint32_t*>(w));
  const uint32x4_t b = vld1q_u32(reinterpret_cast<const uint32_t*>(w + 16));
  z[0] = vreinterpretq_u8_u32(vzip1q_u32(a, b));
  z[1] = vreinterpretq_u8_u32(vzip2q_u32(a, b));
}

// A tile's activations: its tokens' Q8_K rows (d, bsums; row[2j + 1] == row[2j] for a duplicate) and
// its pairs' quants zipped by gemm_k: super-block sb of pair j at pair[j] + kZipped * sb, 8-byte unit u
// (elements 8u..8u+7) of both tokens at + 16 u, ready as SMMLA's right operand.
constexpr int kZipped = 2 * kQKK;
struct TileActs {
  const BlockQ8_K* row[kMaxTile];
  const int8_t* pair[kPairs];
};

// Lanes (v_t, v_t', v_t, v_t') of one float per token of pair j.
inline float32x4_t pair_of(float a, float b) {
  const float32x2_t v = {a, b};
  return vcombine_f32(v, v);
}

// The row results of token pair j from lanes (r t, r t', r+1 t, r+1 t') of row pairs 0 and 1, token t
// to s, t' to s + s_stride when it is not a duplicate.
template <int P>
inline void store_pairs(const float32x4_t (&acc)[2][P], int nt, float* s, int64_t s_stride) {
  for (int j = 0; j < P; ++j) {
    vst1q_f32(s + 2 * j * s_stride, vuzp1q_f32(acc[0][j], acc[1][j]));
    if (2 * j + 1 < nt) vst1q_f32(s + (2 * j + 1) * s_stride, vuzp2q_f32(acc[0][j], acc[1][j]));
  }
}

// Sub-block 2c + E of a chunk (E = 0: low nibbles, 1: high) for every token pair: z are the chunk's
// paired quant words [unit][row pair], hc (Q5_K) its paired qh shifted down by 2c.
template <bool kQ5, int E, int P>
inline void q45_half(const uint8x16_t (&z)[4][2], const uint8x16_t (&hc)[4][2], const int32x4_t (&scale)[2],
                     const TileActs& y, int64_t sb, int off, int32x4_t (&isum)[2][P]) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m5 = vdupq_n_u8(0x1F);
  int8x16_t w[2][4];  // [row pair][8-byte unit]
  for (int u = 0; u < 4; ++u)
    for (int p = 0; p < 2; ++p) {
      uint8x16_t v;
      if constexpr (kQ5 && E == 0) v = vandq_u8(vsliq_n_u8(z[u][p], hc[u][p], 4), m5);  // qh bit 2c to bit 4
      if constexpr (kQ5 && E == 1) v = vandq_u8(vsriq_n_u8(vshlq_n_u8(hc[u][p], 3), z[u][p], 4), m5);  // bit 2c + 1
      if constexpr (!kQ5 && E == 0) v = vandq_u8(z[u][p], m4);
      if constexpr (!kQ5 && E == 1) v = vshrq_n_u8(z[u][p], 4);
      w[p][u] = vreinterpretq_s8_u8(v);
    }
  for (int j = 0; j < P; ++j) {
    const int8_t* yz = y.pair[j] + kZipped * sb + 2 * (off + 32 * E);
    const int8x16_t yq[4] = {vld1q_s8(yz), vld1q_s8(yz + 16), vld1q_s8(yz + 32), vld1q_s8(yz + 48)};
    for (int p = 0; p < 2; ++p) isum[p][j] = vmlaq_s32(isum[p][j], scale[p], smmla_sum4(w[p], yq));
  }
}

// 4 rows x P token pairs (y: TileActs); token t's 4 results to s + t * s_stride.
template <bool kQ5, int P>
void tile_q45_K(int64_t nsb, const uint8_t* group, const TileActs& y, int nt, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  float32x4_t acc[2][P];
  for (auto& a : acc)
    for (auto& v : a) v = vdupq_n_f32(0.0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    const uint8_t* qh = blk + 4 * kRows + 12 * kRows;  // after d, dmin and the scale planes (Q5_K only)
    const uint8_t* qs = qh + (kQ5 ? 32 * kRows : 0);
    uint8x16_t sc[2], mn[2];
    k4_scales(blk + 4 * kRows, sc, mn);
    int32x4_t scale[8][2];  // [sub-block][row pair]: (s_r, s_r, s_r+1, s_r+1)
    for (int j = 0; j < 8; ++j) {
      const int32x4_t w = widen_scale(sc, j);
      scale[j][0] = vzip1q_s32(w, w);
      scale[j][1] = vzip2q_s32(w, w);
    }
    uint8x16_t hz[4][2];  // Q5_K: qh words 2u, 2u + 1 paired like the quants (the same for every chunk)
    if constexpr (kQ5)
      for (int u = 0; u < 4; ++u) pair_rows(qh + 32 * u, hz[u]);
    int32x4_t isum[2][P];
    for (auto& a : isum)
      for (auto& v : a) v = vdupq_n_s32(0);
    // One 64-element chunk (sub-blocks 2c, 2c + 1) per iteration, as in the SDOT kernel.
#pragma GCC unroll 1
    for (int c = 0; c < 4; ++c) {
      const uint8_t* cq = qs + 128 * c;
      uint8x16_t z[4][2], hc[4][2];
      for (int u = 0; u < 4; ++u) {
        pair_rows(cq + 32 * u, z[u]);
        if constexpr (kQ5) {
          const int8x16_t down = vdupq_n_s8(static_cast<int8_t>(-2 * c));  // bits 2c, 2c + 1 of qh to bits 0, 1
          for (int p = 0; p < 2; ++p) hc[u][p] = vshlq_u8(hz[u][p], down);
        }
      }
      // High nibbles first: Q5_K's low-nibble insert overwrites z, which then needs no copy.
      q45_half<kQ5, 1, P>(z, hc, scale[2 * c + 1], y, sb, 64 * c, isum);
      q45_half<kQ5, 0, P>(z, hc, scale[2 * c], y, sb, 64 * c, isum);
    }
    // Mins against the bsums of 32 per token (rows in lanes), then zipped into the pair layout.
    int16x8_t mins16[4];
    k4_mins16(mn, mins16);
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    const float32x4_t dmin = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk + 2 * kRows)));
    const float32x4_t dp[2] = {vzip1q_f32(d, d), vzip2q_f32(d, d)}, mp[2] = {vzip1q_f32(dmin, dmin), vzip2q_f32(dmin, dmin)};
    for (int j = 0; j < P; ++j) {
      int32x4_t msum[2];
      for (int t = 0; t < 2; ++t) {
        const int16_t* bs = y.row[2 * j + t][sb].bsums;
        const int16x8_t b32 = vpaddq_s16(vld1q_s16(bs), vld1q_s16(bs + 8));  // |sum of 32| <= 4064
        int32x4_t m = vmull_laneq_s16(vget_low_s16(mins16[0]), b32, 0);
        m = vmlal_high_laneq_s16(m, mins16[0], b32, 1);
        m = vmlal_laneq_s16(m, vget_low_s16(mins16[1]), b32, 2);
        m = vmlal_high_laneq_s16(m, mins16[1], b32, 3);
        m = vmlal_laneq_s16(m, vget_low_s16(mins16[2]), b32, 4);
        m = vmlal_high_laneq_s16(m, mins16[2], b32, 5);
        m = vmlal_laneq_s16(m, vget_low_s16(mins16[3]), b32, 6);
        msum[t] = vmlal_high_laneq_s16(m, mins16[3], b32, 7);
      }
      const int32x4_t mpair[2] = {vzip1q_s32(msum[0], msum[1]), vzip2q_s32(msum[0], msum[1])};
      const float32x4_t dy = pair_of(y.row[2 * j][sb].d, y.row[2 * j + 1][sb].d);
      for (int p = 0; p < 2; ++p) {
        acc[p][j] = vfmaq_f32(acc[p][j], vcvtq_f32_s32(isum[p][j]), vmulq_f32(dp[p], dy));
        acc[p][j] = vfmsq_f32(acc[p][j], vcvtq_f32_s32(mpair[p]), vmulq_f32(mp[p], dy));
      }
    }
  }
  store_pairs<P>(acc, nt, s, s_stride);
}

// Quarter K of a section: sub-block 8h + 2K + mq, 16 elements = 2 units, for every token pair. Its
// levels v (0..63) are made on the 4-byte words as loaded, then words 2u, 2u + 1 paired (bytewise
// unpacking commutes with the zip, and this way only 4 are live at a time). The offset comes free:
// with bit 5 of v flipped (hx: qh XOR 0xAA flips each pair's high bit), q6_insert is followed by a
// shift by 2 instead of the mask, and the byte reads 4 (v - 32) as a signed byte; the factor 4 (exact)
// leaves with the float scale.
template <int K, int P>
inline void q6_quarter(const uint8_t* sec, const uint8x16_t (&hx)[4], const int8x16_t sc8z, const TileActs& y,
                       int64_t sb, int off, int32x4_t (&isum)[2][P]) {
  const uint8_t* ql = sec + (K % 2 ? 16 * kRows : 0);  // quarters 0 / 2: field A, 1 / 3: field B
  int8x16_t lv[4];
  for (int m = 0; m < 4; ++m) {
    const uint8x16_t l = vld1q_u8(ql + 16 * m);
    // Quarter 0 builds the shifted byte directly, leaving l intact for quarter 2 (no register copy).
    const uint8x16_t v = K == 0 ? vsliq_n_u8(vshlq_n_u8(l, 2), hx[m], 6) : vshlq_n_u8(q6_insert<K>(l, l, hx[m]), 2);
    lv[m] = vreinterpretq_s8_u8(v);
  }
  int8x16_t w[2][2];  // [row pair][unit]
  for (int u = 0; u < 2; ++u) {
    const int32x4_t a = vreinterpretq_s32_s8(lv[2 * u]), b = vreinterpretq_s32_s8(lv[2 * u + 1]);
    w[0][u] = vreinterpretq_s8_s32(vzip1q_s32(a, b));
    w[1][u] = vreinterpretq_s8_s32(vzip2q_s32(a, b));
  }
  // (s_r, s_r, s_r+1, s_r+1) of the quarter's sub-block for row pairs 0 and 1 (sc8z: byte-doubled scales).
  const int16x8_t s16 = K % 2 ? vmovl_high_s8(sc8z) : vmovl_s8(vget_low_s8(sc8z));
  const int32x4_t sc[2] = {vmovl_s16(vget_low_s16(s16)), vmovl_high_s16(s16)};
  for (int j = 0; j < P; ++j) {
    const int8_t* yz = y.pair[j] + kZipped * sb + 2 * (off + 32 * K);
    const int8x16_t y0 = vld1q_s8(yz), y1 = vld1q_s8(yz + 16);
    for (int p = 0; p < 2; ++p) isum[p][j] = vmlaq_s32(isum[p][j], sc[p], smmla_sum2(w[p][0], y0, w[p][1], y1));
  }
}

template <int P>
void tile_q6_K(int64_t nsb, const uint8_t* group, const TileActs& y, int nt, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockQ6_K);
  constexpr size_t kSection = 3 * 16 * kRows;  // kPackQ6_K: three 16-byte fields per (h, mq)
  float32x4_t acc[2][P];
  for (auto& a : acc)
    for (auto& v : a) v = vdupq_n_f32(0.0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    const uint8_t* planes = blk + 2 * kRows;  // 16 scale planes of 4 bytes
    int32x4_t isum[2][P];
    for (auto& a : isum)
      for (auto& v : a) v = vdupq_n_s32(0);
    // One section (h, mq) per iteration, as in the SDOT kernel.
#pragma GCC unroll 1
    for (int i = 0; i < 4; ++i) {
      const int h = i / 2, mq = i % 2;
      const uint8_t* sec = planes + 16 * kRows + i * kSection;
      // The section's 4 scale planes (every other one from 8h + mq, as in the SDOT kernel), each byte
      // doubled: quarter k's rows at bytes 8k..8k+7 of the pair (r0, r0, r1, r1, ...).
      const int8x16_t sc8 = vreinterpretq_s8_u32(vld2q_u32(reinterpret_cast<const uint32_t*>(planes + 4 * (8 * h + mq))).val[0]);
      const int8x16_t sz0 = vzip1q_s8(sc8, sc8), sz1 = vzip2q_s8(sc8, sc8);
      const int off = 128 * h + 16 * mq;
      uint8x16_t hx[4];
      for (int m = 0; m < 4; ++m) hx[m] = veorq_u8(vld1q_u8(sec + 32 * kRows + 16 * m), vdupq_n_u8(0xAA));
      q6_quarter<0, P>(sec, hx, sz0, y, sb, off, isum);
      q6_quarter<1, P>(sec, hx, sz0, y, sb, off, isum);
      q6_quarter<3, P>(sec, hx, sz1, y, sb, off, isum);
      q6_quarter<2, P>(sec, hx, sz1, y, sb, off, isum);  // last: its insert overwrites hx
    }
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    const float32x4_t dp[2] = {vzip1q_f32(d, d), vzip2q_f32(d, d)};
    for (int j = 0; j < P; ++j) {
      const float32x4_t dy = pair_of(0.25f * y.row[2 * j][sb].d, 0.25f * y.row[2 * j + 1][sb].d);  // the levels' factor 4
      for (int p = 0; p < 2; ++p) acc[p][j] = vfmaq_f32(acc[p][j], vcvtq_f32_s32(isum[p][j]), vmulq_f32(dp[p], dy));
    }
  }
  store_pairs<P>(acc, nt, s, s_stride);
}

using TileFn = void (*)(int64_t, const uint8_t*, const TileActs&, int, float*, int64_t);

// Tiles of up to 4 tokens over pack.h's groups; a lone token (all of decode, or an odd count's
// last) goes to the SDOT kernel on its group. The activation pairs are zipped once per call rather
// than in every group's tile (matmul.cpp hands a call at least 16 rows, 4 groups), which takes 8 of a
// 64-element chunk's vector instructions per token pair out of the tiles (llvm-mca: Q4_K 20.05 -> 17.32
// cycles per chunk of 4 rows x 4 tokens).
template <TileFn kOnePair, TileFn kTwoPairs, GemmFn kSdot>
void gemm_k(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
            int64_t y_stride) {
  if (n_tok == 1) return kSdot(n, w, w_row, n_rows, x, x_row, 1, y, y_stride);
  const int64_t nsb = n / kQKK, n_pairs = (n_tok + 1) / 2;
  const auto* xb = static_cast<const uint8_t*>(x);
  auto row = [&](int64_t t) { return reinterpret_cast<const BlockQ8_K*>(xb + (t < n_tok ? t : n_tok - 1) * x_row); };
  thread_local std::vector<int8x16_t> zipped;  // reused across calls
  const size_t per_pair = static_cast<size_t>(nsb) * kZipped / 16;
  if (zipped.size() < n_pairs * per_pair) zipped.resize(n_pairs * per_pair);
  for (int64_t j = 0; j < n_pairs; ++j) {
    const BlockQ8_K *ya = row(2 * j), *yb = row(2 * j + 1);  // an odd count's last token pairs with itself
    int8x16_t* out = zipped.data() + j * per_pair;
    for (int64_t sb = 0; sb < nsb; ++sb)
      for (int i = 0; i < kQKK / 16; ++i, out += 2) {
        const int8x16_t a = vld1q_s8(ya[sb].qs + 16 * i), b = vld1q_s8(yb[sb].qs + 16 * i);
        out[0] = lo_pair(a, b);
        out[1] = hi_pair(a, b);
      }
  }
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    if (nt == 1) return kSdot(n, group, w_row, kRows, xb + t0 * x_row, x_row, 1, out, y_stride);
    TileActs acts;
    for (int t = 0; t < kMaxTile; ++t) acts.row[t] = row(t0 + (t < nt ? t : nt - 1));
    for (int j = 0; j < kPairs; ++j)
      acts.pair[j] = reinterpret_cast<const int8_t*>(zipped.data() + std::min(t0 / 2 + j, n_pairs - 1) * per_pair);
    (nt > 2 ? kTwoPairs : kOnePair)(nsb, group, acts, nt, out, y_stride);
  });
}

}  // namespace

void gemm_q4_K_q8_K_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q45_K<false, 1>, tile_q45_K<false, 2>, gemm_q4_K_q8_K_packed_dotprod>(n, w, w_row, n_rows, x, x_row, n_tok, y,
                                                                                   y_stride);
}

void gemm_q5_K_q8_K_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q45_K<true, 1>, tile_q45_K<true, 2>, gemm_q5_K_q8_K_packed_dotprod>(n, w, w_row, n_rows, x, x_row, n_tok, y,
                                                                                 y_stride);
}

void gemm_q6_K_q8_K_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<tile_q6_K<1>, tile_q6_K<2>, gemm_q6_K_q8_K_packed_dotprod>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
