// Gated activations and softmax: the references the SIMD versions (float polynomial exp) are
// measured against. swiglu is float maths with std::exp (< 1 ulp, as ggml's silu); geglu and
// softmax accumulate in double because 1 + tanh(z) cancels for v < -3, where float tanh leaves
// only a few correct bits.
// Tolerances enforced by test/native/elementwise_test.cpp and test/unit/kernels-elementwise.test.ts:
//   swiglu, geglu, gelu: |got - ref| <= 1e-5 |ref| + 1e-12 per element;
//   softmax: |got - ref| <= 1e-6 max(ref) per element.
#include <cmath>

#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

void swiglu(float* y, const float* g, const float* u, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void geglu(float* y, const float* g, const float* u, int64_t n) {
  const double k = std::sqrt(2.0 / M_PI);
  for (int64_t i = 0; i < n; ++i) {
    const double v = g[i];
    const double gelu = 0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v)));
    y[i] = static_cast<float>(gelu * u[i]);
  }
}

void gelu(float* y, const float* x, int64_t n) {
  const double k = std::sqrt(2.0 / M_PI);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = static_cast<float>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
  }
}

void softmax(float* x, int64_t n) {
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - max);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - max) / sum);
}

}  // namespace capibara::scalar
