// AVX-512 RoPE: cos/sin tables from avx2::rope_tables (this folder is built with AVX2 too), the
// rotation 16 lanes wide with masked tails. Adjacent pairs: y = x * c + swap_adjacent(x) * s.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/vmath.h"

namespace capibara::avx512 {

namespace {

void rotate_halves(float* x0, float* x1, const float* c, const float* s, int64_t m) {
  for (int64_t k = 0; k < m; k += 16) {
    const __mmask16 l = lanes(m - k);
    const __m512 a = _mm512_maskz_loadu_ps(l, x0 + k), b = _mm512_maskz_loadu_ps(l, x1 + k);
    const __m512 vc = _mm512_maskz_loadu_ps(l, c + k), vs = _mm512_maskz_loadu_ps(l, s + k);
    _mm512_mask_storeu_ps(x0 + k, l, _mm512_fmsub_ps(a, vc, _mm512_mul_ps(b, vs)));
    _mm512_mask_storeu_ps(x1 + k, l, _mm512_fmadd_ps(a, vs, _mm512_mul_ps(b, vc)));
  }
}

void rotate_adjacent(float* x, const float* c2, const float* s2, int64_t m) {
  for (int64_t k = 0; k < 2 * m; k += 16) {
    const __mmask16 l = lanes(2 * m - k);
    const __m512 v = _mm512_maskz_loadu_ps(l, x + k);
    const __m512 r = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(l, c2 + k),
                                     _mm512_mul_ps(_mm512_permute_ps(v, 0xB1), _mm512_maskz_loadu_ps(l, s2 + k)));
    _mm512_mask_storeu_ps(x + k, l, r);
  }
}

}  // namespace

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p) {
  const int64_t half = p.n_dims / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
  alignas(64) float c[2 * avx2::kRopeChunk], s[2 * avx2::kRopeChunk];
  float theta = static_cast<float>(pos);
  for (int64_t i0 = 0; i0 < half; i0 += avx2::kRopeChunk) {
    const int64_t m = std::min(avx2::kRopeChunk, half - i0);
    avx2::rope_tables(p, theta_scale, &theta, i0, m, c, s);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      if (p.neox) rotate_halves(v + i0, v + i0 + half, c, s, m);
      else rotate_adjacent(v + 2 * i0, c, s, m);
    }
  }
}

}  // namespace capibara::avx512
