// NEON RoPE: angles from the reference's float recurrence, cos/sin of a chunk of pairs 4 at a time
// (vmath.h sincos_ps), applied to every head. Normal layout uses tables with each pair's entry
// duplicated and sin negated on even lanes: y = x * c + swap_adjacent(x) * s (vrev64q).
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "kernels/neon/neon.h"
#include "kernels/neon/vmath.h"

namespace capibara::neon {

namespace {

constexpr int64_t kChunk = 64;  // pairs per table fill

void rotate_halves(float* x0, float* x1, const float* c, const float* s, int64_t m) {
  int64_t k = 0;
  for (; k + 4 <= m; k += 4) {
    const float32x4_t a = vld1q_f32(x0 + k), b = vld1q_f32(x1 + k);
    const float32x4_t vc = vld1q_f32(c + k), vs = vld1q_f32(s + k);
    vst1q_f32(x0 + k, vfmsq_f32(vmulq_f32(a, vc), b, vs));
    vst1q_f32(x1 + k, vfmaq_f32(vmulq_f32(b, vc), a, vs));
  }
  for (; k < m; ++k) {
    const float a = x0[k], b = x1[k];
    x0[k] = a * c[k] - b * s[k];
    x1[k] = a * s[k] + b * c[k];
  }
}

void rotate_adjacent(float* x, const float* c2, const float* s2, int64_t m) {
  int64_t k = 0;
  for (; k + 4 <= 2 * m; k += 4) {
    const float32x4_t v = vld1q_f32(x + k);
    vst1q_f32(x + k, vfmaq_f32(vmulq_f32(v, vld1q_f32(c2 + k)), vrev64q_f32(v), vld1q_f32(s2 + k)));
  }
  for (; k < 2 * m; k += 2) {
    const float a = x[k], b = x[k + 1];
    x[k] = a * c2[k] + b * s2[k];
    x[k + 1] = b * c2[k + 1] + a * s2[k + 1];
  }
}

}  // namespace

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p) {
  const int64_t half = p.n_dims / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
  const uint32_t neg[4] = {0x80000000u, 0, 0x80000000u, 0};
  const uint32x4_t neg_even = vld1q_u32(neg);
  alignas(16) float angle[kChunk], c[2 * kChunk], s[2 * kChunk];
  float theta = static_cast<float>(pos);
  for (int64_t i0 = 0; i0 < half; i0 += kChunk) {
    const int64_t m = std::min(kChunk, half - i0);
    for (int64_t k = 0; k < m; ++k) {
      const float ff = p.freq_factors ? p.freq_factors[i0 + k] : 1.0f;
      angle[k] = p.freq_scale * (theta / ff);
      theta *= theta_scale;
    }
    std::fill(angle + m, angle + (m + 3) / 4 * 4, 0.0f);  // defined lanes past the end
    for (int64_t k = 0; k < m; k += 4) {
      float32x4_t vs, vc;
      sincos_ps(vld1q_f32(angle + k), &vs, &vc);
      vc = vmulq_n_f32(vc, p.attn_factor);
      vs = vmulq_n_f32(vs, p.attn_factor);
      if (p.neox) {
        vst1q_f32(c + k, vc);
        vst1q_f32(s + k, vs);
        continue;
      }
      // Duplicate each pair's entry: (c0 c0 c1 c1), (c2 c2 c3 c3); sin negated on even lanes.
      vst1q_f32(c + 2 * k, vzip1q_f32(vc, vc));
      vst1q_f32(c + 2 * k + 4, vzip2q_f32(vc, vc));
      vst1q_f32(s + 2 * k, vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(vzip1q_f32(vs, vs)), neg_even)));
      vst1q_f32(s + 2 * k + 4, vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(vzip2q_f32(vs, vs)), neg_even)));
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      if (p.neox) rotate_halves(v + i0, v + i0 + half, c, s, m);
      else rotate_adjacent(v + 2 * i0, c, s, m);
    }
  }
}

}  // namespace capibara::neon
