// Token bitmask, 8 logits per step: the byte of mask bits becomes a lane mask for a blend.
#include <immintrin.h>

#include <limits>

#include "kernels/avx2/avx2.h"

namespace capibara::avx2 {

void apply_token_mask(float* logits, const uint32_t* mask, int64_t n) {
  const __m256 neg_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint32_t bits = (mask[i >> 5] >> (i & 31)) & 0xFFu;
    if (bits == 0xFFu) continue;  // all allowed: nothing to write
    const __m256i keep = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), bit), bit);
    _mm256_storeu_ps(logits + i, _mm256_blendv_ps(neg_inf, _mm256_loadu_ps(logits + i), _mm256_castsi256_ps(keep)));
  }
  for (; i < n; ++i)
    if (!((mask[i >> 5] >> (i & 31)) & 1u)) logits[i] = -std::numeric_limits<float>::infinity();
}

}  // namespace capibara::avx2
