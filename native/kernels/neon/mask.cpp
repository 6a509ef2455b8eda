// Token bitmask, 4 logits per step: a nibble of mask bits tested against lane bits, then a select.
#include <arm_neon.h>

#include <limits>

#include "kernels/neon/neon.h"

namespace capibara::neon {

void apply_token_mask(float* logits, const uint32_t* mask, int64_t n) {
  const float32x4_t neg_inf = vdupq_n_f32(-std::numeric_limits<float>::infinity());
  const uint32_t lane_bits[4] = {1, 2, 4, 8};
  const uint32x4_t bit = vld1q_u32(lane_bits);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t bits = (mask[i >> 5] >> (i & 31)) & 0xFu;
    if (bits == 0xFu) continue;
    const uint32x4_t keep = vtstq_u32(vdupq_n_u32(bits), bit);
    vst1q_f32(logits + i, vbslq_f32(keep, vld1q_f32(logits + i), neg_inf));
  }
  for (; i < n; ++i)
    if (!((mask[i >> 5] >> (i & 31)) & 1u)) logits[i] = -std::numeric_limits<float>::infinity();
}

}  // namespace capibara::neon
