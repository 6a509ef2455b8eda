// NEON gated activations and softmax with the polynomial exp of vmath.h; the n % 4 tail goes
// through a zero-padded copy so every element gets the same maths. geglu uses the identity
// 0.5 v (1 + tanh z) = v / (1 + e^(-2z)), which does not cancel for negative v.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/neon/neon.h"
#include "kernels/neon/vmath.h"

namespace capibara::neon {

namespace {

constexpr int64_t kSumBlock = 256;

inline float32x4_t silu_mul(float32x4_t g, float32x4_t u) {
  return vmulq_f32(vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), exp_ps(vnegq_f32(g)))), u);
}

inline float32x4_t gelu_mul(float32x4_t g, float32x4_t u) {
  // -2z = -2 sqrt(2/pi) (g + 0.044715 g^3)
  const float32x4_t inner = vmulq_f32(g, vfmaq_f32(vdupq_n_f32(1.0f), vmulq_f32(g, g), vdupq_n_f32(0.044715f)));
  const float32x4_t e = exp_ps(vmulq_n_f32(inner, -1.5957691216057308f));
  return vmulq_f32(vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), e)), u);
}

template <float32x4_t (*Op)(float32x4_t, float32x4_t)>
void gated(float* y, const float* g, const float* u, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, Op(vld1q_f32(g + i), vld1q_f32(u + i)));
  if (i < n) tail4(y + i, g + i, u + i, n - i, Op);
}

// Unary gelu through the gated loop: the second operand is ignored.
inline float32x4_t gelu_only(float32x4_t g, float32x4_t) { return gelu_mul(g, vdupq_n_f32(1.0f)); }

}  // namespace

void swiglu(float* y, const float* g, const float* u, int64_t n) { gated<silu_mul>(y, g, u, n); }

void geglu(float* y, const float* g, const float* u, int64_t n) { gated<gelu_mul>(y, g, u, n); }

void gelu(float* y, const float* x, int64_t n) { gated<gelu_only>(y, x, x, n); }

void softmax(float* x, int64_t n) {
  const int64_t body = n - n % 4;
  float32x4_t vmax = vdupq_n_f32(-INFINITY);
  for (int64_t i = 0; i < body; i += 4) vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
  float max = vmaxvq_f32(vmax);
  for (int64_t i = body; i < n; ++i) max = std::fmax(max, x[i]);
  const float32x4_t vm = vdupq_n_f32(max);
  // Float lane sums are flushed into a double every kSumBlock elements, so long rows (a vocabulary)
  // keep the normalisation accurate.
  double sum = 0.0;
  for (int64_t b0 = 0; b0 < body; b0 += kSumBlock) {
    float32x4_t vsum = vdupq_n_f32(0.0f);
    for (int64_t i = b0; i < std::min(body, b0 + kSumBlock); i += 4) {
      const float32x4_t e = exp_ps(vsubq_f32(vld1q_f32(x + i), vm));
      vsum = vaddq_f32(vsum, e);
      vst1q_f32(x + i, e);
    }
    sum += vaddvq_f32(vsum);
  }
  if (body < n) {
    const size_t bytes = static_cast<size_t>(n - body) * sizeof(float);
    float buf[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};  // padding lanes: exp(-inf) = 0
    std::memcpy(buf, x + body, bytes);
    const float32x4_t e = exp_ps(vsubq_f32(vld1q_f32(buf), vm));
    sum += vaddvq_f32(e);
    vst1q_f32(buf, e);
    std::memcpy(x + body, buf, bytes);
  }
  const float inv = static_cast<float>(1.0 / sum);
  int64_t i = 0;
  for (; i < body; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
  for (; i < n; ++i) x[i] *= inv;
}

}  // namespace capibara::neon
