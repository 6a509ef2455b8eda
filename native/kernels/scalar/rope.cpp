// Rotary position embedding with ggml_rope_ext's semantics (ext_factor = 0, i.e. no YaRN ramp):
// for pair i < n_dims/2,
//   theta_i = freq_scale * (pos * base^(-2i/n_dims)) / ff[i],  c = cos(theta_i) * attn_factor,
//   s = sin(theta_i) * attn_factor,  (x0, x1) -> (x0 c - x1 s, x0 s + x1 c)
// where (x0, x1) = (x[2i], x[2i+1]) (normal) or (x[i], x[i + n_dims/2]) (NeoX); dims >= n_dims are
// untouched. pos * base^(-2i/n_dims) is built by the same float recurrence as ggml
// (theta *= base^(-2/n_dims)) so angles match llama.cpp bit for bit before cos/sin.
// Tolerance: SIMD versions (polynomial sin/cos) within max abs 1e-5 of this, for |x| <= 1.
#include <cmath>

#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p) {
  const int64_t half = p.n_dims / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < half; ++i) {
    const float ff = p.freq_factors ? p.freq_factors[i] : 1.0f;
    const float angle = p.freq_scale * (theta / ff);
    const float c = std::cos(angle) * p.attn_factor;
    const float s = std::sin(angle) * p.attn_factor;
    theta *= theta_scale;
    // The pair's two indices inside a head.
    const int64_t i0 = p.neox ? i : 2 * i;
    const int64_t i1 = p.neox ? i + half : 2 * i + 1;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      const float x0 = v[i0], x1 = v[i1];
      v[i0] = x0 * c - x1 * s;
      v[i1] = x0 * s + x1 * c;
    }
  }
}

}  // namespace capibara::scalar
