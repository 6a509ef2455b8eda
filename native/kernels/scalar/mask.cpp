// Token bitmask (constrained decoding), reference version.
#include <limits>

#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

void apply_token_mask(float* logits, const uint32_t* mask, int64_t n) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i)
    if (!((mask[i >> 5] >> (i & 31)) & 1u)) logits[i] = neg_inf;
}

}  // namespace capibara::scalar
