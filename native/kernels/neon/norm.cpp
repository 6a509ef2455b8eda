// NEON norms: 4-wide float sums (two accumulators), then a scaled multiply; float instead of the
// reference's double sums.
#include <arm_neon.h>

#include <cmath>

#include "kernels/neon/neon.h"

namespace capibara::neon {

namespace {

// y = (x - mean) * inv * w, w optional; scalar tail.
void scale_row(float* y, const float* x, const float* w, int64_t n, float mean, float inv) {
  const float32x4_t vmean = vdupq_n_f32(mean);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    float32x4_t v = vmulq_n_f32(vsubq_f32(vld1q_f32(x + i), vmean), inv);
    if (w) v = vmulq_f32(v, vld1q_f32(w + i));
    vst1q_f32(y + i, v);
  }
  for (; i < n; ++i) y[i] = (x[i] - mean) * inv * (w ? w[i] : 1.0f);
}

// sum((x - c)^2)
float sum_sq(const float* x, int64_t n, float c) {
  const float32x4_t vc = vdupq_n_f32(c);
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t a = vsubq_f32(vld1q_f32(x + i), vc), b = vsubq_f32(vld1q_f32(x + i + 4), vc);
    acc0 = vfmaq_f32(acc0, a, a);
    acc1 = vfmaq_f32(acc1, b, b);
  }
  float ss = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) ss += (x[i] - c) * (x[i] - c);
  return ss;
}

}  // namespace

void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  const float inv = 1.0f / std::sqrt(sum_sq(x, n, 0.0f) / static_cast<float>(n) + eps);
  scale_row(y, x, w, n, 0.0f, inv);
}

void layernorm(float* y, const float* x, const float* w, int64_t n, float eps) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = vaddq_f32(acc0, vld1q_f32(x + i));
    acc1 = vaddq_f32(acc1, vld1q_f32(x + i + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(sum_sq(x, n, mean) / static_cast<float>(n) + eps);
  scale_row(y, x, w, n, mean, inv);
}

}  // namespace capibara::neon
