// Token bitmask, 16 logits per step: 16 mask bits are directly an AVX-512 write mask.
#include <immintrin.h>

#include <limits>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/vmath.h"

namespace capibara::avx512 {

void apply_token_mask(float* logits, const uint32_t* mask, int64_t n) {
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 drop = static_cast<__mmask16>(~(mask[i >> 5] >> (i & 31)) & 0xFFFFu);
    if (n - i < 16) drop &= lanes(n - i);
    _mm512_mask_storeu_ps(logits + i, drop, neg_inf);
  }
}

}  // namespace capibara::avx512
