// Packed Q6_K GEMM for NEON with dotprod: 4-row groups in pack.h's kPackQ6_K layout (the one AVX-512
// reads with 16 rows), one s32 / f32 lane per row. Q6_K is the output matrix of Q4_0 / Q4_K_M files
// and the ffn_down / attn_v of Q4_K_M's "more bits" layers. Per 256-element super-block of a group:
//   - section (h, mq) holds, for the four 16-element sub-blocks s = 8h + 2k + mq (k = quarter), word m
//     of every row's ql bytes (quarters 0 / 2 in the low / high nibbles of field A, 1 / 3 of field B)
//     and the qh word whose bits 2k..2k+1 are quarter k's top bits. Each 16-byte load is word m of
//     the 4 rows, so the 6-bit levels (0..63, exact as signed bytes) meet the activation word in lane
//     m of a 16-byte load of Q8_K with `sdot by lane`, as the Q4_0 kernels do (gemm_packed.cpp);
//   - the -32 offset starts each sub-block sum at -32 * bsum (Q8_K's sums of 16), then the int8
//     scales of the 4 rows (a 4-byte plane) multiply the sub-block sums in s32;
//   - one FMA per super-block and token adds d * d_y * sum to the 4 row lanes.
// Integer sums are exact; only the float scaling order differs from scalar (~1e-6 relative).
#include <arm_neon.h>

#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/pack.h"

namespace capibara::neon {

namespace {

constexpr int kRows = 4;
constexpr int kMaxTile = 2;  // tokens per tile: 8 sub-block sums and 8 activation vectors in registers

// Word m of a section: the four quarters' levels of the 4 rows, each against lane m of its activations.
template <int M, int T>
inline void section_word(const uint8_t* sec, const int8x16_t (&yv)[4][T], int32x4_t (&part)[4][T]) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m6 = vdupq_n_u8(0x3F);
  const uint8x16_t l0 = vld1q_u8(sec + 16 * M), l1 = vld1q_u8(sec + 16 * kRows + 16 * M);
  const uint8x16_t hb = vld1q_u8(sec + 32 * kRows + 16 * M);
  // Shift-and-insert puts each quarter's 2 qh bits above its nibble; the mask drops the bits above them.
  const int8x16_t q[4] = {
      vreinterpretq_s8_u8(vandq_u8(vsliq_n_u8(l0, hb, 4), m6)),                     // nibble | qh bits 0-1
      vreinterpretq_s8_u8(vandq_u8(vbslq_u8(m4, l1, vshlq_n_u8(hb, 2)), m6)),       // nibble | qh bits 2-3
      vreinterpretq_s8_u8(vandq_u8(vsriq_n_u8(hb, l0, 4), m6)),                     // qh bits 4-5 | nibble
      vreinterpretq_s8_u8(vandq_u8(vsriq_n_u8(vshrq_n_u8(hb, 2), l1, 4), m6)),      // qh bits 6-7 | nibble
  };
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

}  // namespace

void pack_q6_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ6_K), kPackQ6_K>(sizeof(BlockQ6_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q6_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  const int64_t nsb = n / kQKK;
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    const BlockQ8_K* ys[kMaxTile];
    for (int t = 0; t < nt; ++t) ys[t] = reinterpret_cast<const BlockQ8_K*>(xb + (t0 + t) * x_row);
    if (nt == 2)
      tile_q6_K<2>(nsb, group, ys, out, y_stride);
    else
      tile_q6_K<1>(nsb, group, ys, out, y_stride);
  });
}

}  // namespace capibara::neon
