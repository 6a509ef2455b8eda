// AVX2/FMA RoPE. Angles come from the reference's float recurrence (serial, cheap), then cos/sin
// of a chunk of pairs are computed 8 at a time by vmath.h's sincos_ps and applied to every head.
// Normal layout uses tables with each pair's entry duplicated and sin negated on even lanes, so a
// rotation is y = x * c + swap_adjacent(x) * s on contiguous memory. The tables are shared with
// avx512/rope.cpp.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"

namespace capibara::avx2 {

namespace {

// y[k] = x0[k] * c[k] - x1[k] * s[k], x1[k] = x0[k] * s[k] + x1[k] * c[k] for k < m (NeoX halves).
void rotate_halves(float* x0, float* x1, const float* c, const float* s, int64_t m) {
  int64_t k = 0;
  for (; k + 8 <= m; k += 8) {
    const __m256 a = _mm256_loadu_ps(x0 + k), b = _mm256_loadu_ps(x1 + k);
    const __m256 vc = _mm256_load_ps(c + k), vs = _mm256_load_ps(s + k);
    _mm256_storeu_ps(x0 + k, _mm256_fmsub_ps(a, vc, _mm256_mul_ps(b, vs)));
    _mm256_storeu_ps(x1 + k, _mm256_fmadd_ps(a, vs, _mm256_mul_ps(b, vc)));
  }
  for (; k < m; ++k) {
    const float a = x0[k], b = x1[k];
    x0[k] = a * c[k] - b * s[k];
    x1[k] = a * s[k] + b * c[k];
  }
}

// Adjacent pairs over 2m floats with duplicated tables (s2 holds -s, +s per pair).
void rotate_adjacent(float* x, const float* c2, const float* s2, int64_t m) {
  int64_t k = 0;
  for (; k + 8 <= 2 * m; k += 8) {
    const __m256 v = _mm256_loadu_ps(x + k);
    const __m256 sw = _mm256_permute_ps(v, 0xB1);  // (x1, x0) per pair
    _mm256_storeu_ps(x + k, _mm256_fmadd_ps(v, _mm256_load_ps(c2 + k), _mm256_mul_ps(sw, _mm256_load_ps(s2 + k))));
  }
  for (; k < 2 * m; k += 2) {
    const float a = x[k], b = x[k + 1];
    x[k] = a * c2[k] + b * s2[k];
    x[k + 1] = b * c2[k + 1] + a * s2[k + 1];
  }
}

}  // namespace

void rope_tables(const RopeParams& p, float theta_scale, float* theta, int64_t i0, int64_t m, float* c, float* s) {
  alignas(32) float angle[kRopeChunk];
  for (int64_t k = 0; k < m; ++k) {
    const float ff = p.freq_factors ? p.freq_factors[i0 + k] : 1.0f;
    angle[k] = p.freq_scale * (*theta / ff);
    *theta *= theta_scale;
  }
  std::fill(angle + m, angle + (m + 7) / 8 * 8, 0.0f);  // defined lanes past the end
  const __m256 mscale = _mm256_set1_ps(p.attn_factor);
  const __m256 neg_even = _mm256_setr_ps(-0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f);
  for (int64_t k = 0; k < m; k += 8) {
    __m256 vs, vc;
    sincos_ps(_mm256_load_ps(angle + k), &vs, &vc);
    vc = _mm256_mul_ps(vc, mscale);
    vs = _mm256_mul_ps(vs, mscale);
    if (p.neox) {
      _mm256_store_ps(c + k, vc);
      _mm256_store_ps(s + k, vs);
      continue;
    }
    // Duplicate each pair's entry: (c0 c0 c1 c1 c2 c2 c3 c3), (c4 c4 ... c7 c7).
    const __m256 clo = _mm256_unpacklo_ps(vc, vc), chi = _mm256_unpackhi_ps(vc, vc);
    const __m256 slo = _mm256_xor_ps(_mm256_unpacklo_ps(vs, vs), neg_even);
    const __m256 shi = _mm256_xor_ps(_mm256_unpackhi_ps(vs, vs), neg_even);
    _mm256_store_ps(c + 2 * k, _mm256_permute2f128_ps(clo, chi, 0x20));
    _mm256_store_ps(c + 2 * k + 8, _mm256_permute2f128_ps(clo, chi, 0x31));
    _mm256_store_ps(s + 2 * k, _mm256_permute2f128_ps(slo, shi, 0x20));
    _mm256_store_ps(s + 2 * k + 8, _mm256_permute2f128_ps(slo, shi, 0x31));
  }
}

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p) {
  const int64_t half = p.n_dims / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
  alignas(32) float c[2 * kRopeChunk], s[2 * kRopeChunk];
  float theta = static_cast<float>(pos);
  for (int64_t i0 = 0; i0 < half; i0 += kRopeChunk) {
    const int64_t m = std::min(kRopeChunk, half - i0);
    rope_tables(p, theta_scale, &theta, i0, m, c, s);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      if (p.neox) rotate_halves(v + i0, v + i0 + half, c, s, m);
      else rotate_adjacent(v + 2 * i0, c, s, m);
    }
  }
}

}  // namespace capibara::avx2
