// NEON RMSNorm: 4-wide sum of squares in float (two accumulators), then a scaled multiply.
#include <arm_neon.h>

#include <cmath>

#include "kernels/neon/neon.h"

namespace capibara::neon {

void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
    acc0 = vfmaq_f32(acc0, a, a);
    acc1 = vfmaq_f32(acc1, b, b);
  }
  float ss = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) ss += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  i = 0;
  for (; i + 4 <= n; i += 4) {
    float32x4_t v = vmulq_n_f32(vld1q_f32(x + i), inv);
    if (w) v = vmulq_f32(v, vld1q_f32(w + i));
    vst1q_f32(y + i, v);
  }
  for (; i < n; ++i) y[i] = x[i] * inv * (w ? w[i] : 1.0f);
}

}  // namespace capibara::neon
