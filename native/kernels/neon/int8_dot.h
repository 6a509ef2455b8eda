// The 8-bit dot-product step shared by the NEON quantised kernels.
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

}  // namespace capibara::neon
