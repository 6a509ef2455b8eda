// The unpacking steps shared by the NEON packed K-quant GEMMs (gemm_packed_k.cpp with SDOT,
// gemm_packed_k_i8mm.cpp with SMMLA), which read the same 4-row groups of pack.h's layouts.
#pragma once
#include <arm_neon.h>

namespace capibara::neon {

constexpr int kPackedKRows = 4;

// The 8 six-bit scales (kMin: mins) of sub-blocks 0..3 and 4..7 of the 4 rows, byte 4j + r of each
// vector, from the 12 scale planes at p (ggml's packing: j < 4 in the low 6 bits of bytes j / j + 4;
// j >= 4 split over byte j + 4's nibbles and the top 2 bits of bytes j - 4 / j).
inline void k4_scales(const uint8_t* p, uint8x16_t (&sc)[2], uint8x16_t (&mn)[2]) {
  const uint8x16_t p0 = vld1q_u8(p), p1 = vld1q_u8(p + 16), p2 = vld1q_u8(p + 32);
  const uint8x16_t m6 = vdupq_n_u8(0x3F), m4 = vdupq_n_u8(0x0F);
  sc[0] = vandq_u8(p0, m6);
  mn[0] = vandq_u8(p1, m6);
  sc[1] = vsliq_n_u8(vandq_u8(p2, m4), vshrq_n_u8(p0, 6), 4);
  mn[1] = vsliq_n_u8(vshrq_n_u8(p2, 4), vshrq_n_u8(p1, 6), 4);
}

// Sub-block j's 4 row values (byte 4 (j % 4) + r of v[j / 4]) as s32 lanes.
inline int32x4_t widen_scale(const uint8x16_t (&v)[2], int j) {
  const uint16x8_t h = (j % 4) < 2 ? vmovl_u8(vget_low_u8(v[j / 4])) : vmovl_high_u8(v[j / 4]);
  return vreinterpretq_s32_u32(j % 2 ? vmovl_high_u16(h) : vmovl_u16(vget_low_u16(h)));
}

// Sub-block j's mins as s16 pairs of rows: row r in lane 4 (j % 2) + r of the result's [j / 2].
inline void k4_mins16(const uint8x16_t (&mn)[2], int16x8_t (&mins16)[4]) {
  for (int i = 0; i < 4; ++i)
    mins16[i] = vreinterpretq_s16_u16(i % 2 ? vmovl_high_u8(mn[i / 2]) : vmovl_u8(vget_low_u8(mn[i / 2])));
}

// Q6_K quarter K's 6-bit level in the low 6 bits of each byte (the bits above are not cleared) from
// the bytes of its ql field (l0: quarters 0 / 2 in the low / high nibbles, l1: quarters 1 / 3) and qh
// (bits 2K..2K+1): shift-and-insert puts the 2 qh bits above the nibble. Elementwise, so any byte
// order of the three inputs gives the same order of levels.
template <int K>
inline uint8x16_t q6_insert(uint8x16_t l0, uint8x16_t l1, uint8x16_t hb) {
  if constexpr (K == 0) return vsliq_n_u8(l0, hb, 4);                                // nibble | qh bits 0-1
  if constexpr (K == 1) return vbslq_u8(vdupq_n_u8(0x0F), l1, vshlq_n_u8(hb, 2));    // nibble | qh bits 2-3
  if constexpr (K == 2) return vsriq_n_u8(hb, l0, 4);                                // qh bits 4-5 | nibble
  if constexpr (K == 3) return vsriq_n_u8(vshrq_n_u8(hb, 2), l1, 4);                 // qh bits 6-7 | nibble
}

// The levels 0..63 of q6_insert.
template <int K>
inline int8x16_t q6_level(uint8x16_t l0, uint8x16_t l1, uint8x16_t hb) {
  return vreinterpretq_s8_u8(vandq_u8(q6_insert<K>(l0, l1, hb), vdupq_n_u8(0x3F)));
}

}  // namespace capibara::neon
