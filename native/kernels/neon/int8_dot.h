// The 8-bit dot-product and matrix-multiply steps shared by the NEON quantised kernels.
#pragma once
#include <arm_neon.h>

namespace capibara::neon {

// acc + sum of a[i] * b[i] over 16 int8 pairs, in 4 s32 lanes (the base path needs |a[i] b[i]| * 2 < 2^15).
// kDot uses SDOT through inline assembly: its `.arch armv8.2-a+dotprod` only widens what the assembler
// accepts while the compiler keeps targeting base ARMv8-A, so callers must check cpu_features().dotprod.
template <bool kDot>
inline int32x4_t dot16_acc(int32x4_t acc, int8x16_t a, int8x16_t b) {
  if constexpr (kDot) {
    asm(".arch armv8.2-a+dotprod\n\tsdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(b));
    return acc;
  } else {
    const int16x8_t p = vmlal_s8(vmull_s8(vget_low_s8(a), vget_low_s8(b)), vget_high_s8(a), vget_high_s8(b));
    return vpadalq_s16(acc, p);
  }
}

// acc + per s32 lane: the lane's 4 bytes of w . the 4 bytes in lane kLane of y (SDOT by element).
template <int kLane>
inline int32x4_t sdot_lane(int32x4_t acc, int8x16_t w, int8x16_t y) {
  asm(".arch armv8.2-a+dotprod\n\tsdot %0.4s, %1.16b, %2.4b[%c3]" : "+w"(acc) : "w"(w), "w"(y), "i"(kLane));
  return acc;
}

// acc + a . b^T for a 2 x 8 int8 matrix a (bytes 0..7 row 0) and b 2 x 8 (bytes 0..7 its row 0), the
// 2 x 2 result in lanes (a0b0, a0b1, a1b0, a1b1). SMMLA, emitted like SDOT above: callers check i8mm.
inline int32x4_t smmla(int32x4_t acc, int8x16_t a, int8x16_t b) {
  asm(".arch armv8.6-a+i8mm\n\tsmmla %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(b));
  return acc;
}

// The sum of a[i] . b[i]^T over 2 or 4 SMMLA from zero, in one asm statement: GCC 12 copies a chain's
// accumulator between registers when its links are separate statements (seen in the disassembly: up to
// 8 vector movs per 32 SMMLA), and a zeroing movi costs no pipe on Neoverse V2 (llvm-mca: 0.06 cycles).
inline int32x4_t smmla_sum2(int8x16_t a0, int8x16_t b0, int8x16_t a1, int8x16_t b1) {
  int32x4_t r;
  asm(".arch armv8.6-a+i8mm\n\tmovi %0.2d, #0\n\tsmmla %0.4s, %1.16b, %2.16b\n\tsmmla %0.4s, %3.16b, %4.16b"
      : "=&w"(r)
      : "w"(a0), "w"(b0), "w"(a1), "w"(b1));
  return r;
}
inline int32x4_t smmla_sum4(const int8x16_t (&a)[4], const int8x16_t (&b)[4]) {
  int32x4_t r;
  asm(".arch armv8.6-a+i8mm\n\tmovi %0.2d, #0\n\tsmmla %0.4s, %1.16b, %2.16b\n\tsmmla %0.4s, %3.16b, %4.16b\n\t"
      "smmla %0.4s, %5.16b, %6.16b\n\tsmmla %0.4s, %7.16b, %8.16b"
      : "=&w"(r)
      : "w"(a[0]), "w"(b[0]), "w"(a[1]), "w"(b[1]), "w"(a[2]), "w"(b[2]), "w"(a[3]), "w"(b[3]));
  return r;
}

// [first 8 bytes of a | first 8 of b] and [last 8 of a | last 8 of b].
inline int8x16_t lo_pair(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
inline int8x16_t hi_pair(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

}  // namespace capibara::neon
