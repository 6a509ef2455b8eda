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

// smmla(0, a, b). A zeroing movi costs no pipe on Neoverse V2 (llvm-mca: throughput 0.06), where GCC
// would copy one zero register into each fresh accumulator with a vector mov (a pipe slot each).
inline int32x4_t smmla_from_zero(int8x16_t a, int8x16_t b) {
  int32x4_t r;
  asm(".arch armv8.6-a+i8mm\n\tmovi %0.2d, #0\n\tsmmla %0.4s, %1.16b, %2.16b" : "=&w"(r) : "w"(a), "w"(b));
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
