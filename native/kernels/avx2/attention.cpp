// AVX2/FMA flash attention: per query and head, keys in tiles of kTile with an online softmax in
// float (running max m and sum l; the output row itself is the accumulator, rescaled by
// e^(m_old - m_new) when the max grows). K and V rows are F16, widened with F16C 8 at a time.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"
#include "kernels/fp16.h"

namespace capibara::avx2 {

namespace {

constexpr int64_t kTile = 32;

inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

float dot_f16(const float* q, const uint16_t* k, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load_f16(k + d), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), load_f16(k + d + 8), acc1);
  }
  if (d + 8 <= n) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load_f16(k + d), acc0);
    d += 8;
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; d < n; ++d) s += q[d] * fp16_to_fp32(k[d]);
  return s;
}

// out = out * corr + p * v
void scale_add_f16(float* out, float corr, float p, const uint16_t* v, int64_t n) {
  const __m256 vc = _mm256_set1_ps(corr), vp = _mm256_set1_ps(p);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8)
    _mm256_storeu_ps(out + d, _mm256_fmadd_ps(vp, load_f16(v + d), _mm256_mul_ps(vc, _mm256_loadu_ps(out + d))));
  for (; d < n; ++d) out[d] = out[d] * corr + p * fp16_to_fp32(v[d]);
}

// One query row against keys [first, last] of one kv head.
void attend(const FlashAttnArgs& a, const float* q, int64_t kv_off, int64_t first, int64_t last, float* out) {
  const int64_t hd = a.head_dim;
  alignas(32) float s[kTile];
  float m = -INFINITY, l = 0.0f;
  std::fill(out, out + hd, 0.0f);
  for (int64_t j0 = first; j0 <= last; j0 += kTile) {
    const int64_t nt = std::min(kTile, last + 1 - j0);
    for (int64_t t = 0; t < nt; ++t) s[t] = a.scale * dot_f16(q, a.k + (j0 + t) * a.kv_stride + kv_off, hd);
    if (a.softcap > 0.0f) {
      const __m256 cap = _mm256_set1_ps(a.softcap), inv = _mm256_set1_ps(1.0f / a.softcap);
      for (int64_t t = 0; t < nt; t += 8)
        _mm256_store_ps(s + t, _mm256_mul_ps(cap, tanh_ps(_mm256_mul_ps(_mm256_load_ps(s + t), inv))));
    }
    std::fill(s + nt, s + kTile, -INFINITY);
    __m256 vmax = _mm256_load_ps(s);
    for (int64_t t = 8; t < kTile; t += 8) vmax = _mm256_max_ps(vmax, _mm256_load_ps(s + t));
    const float m_new = std::max(m, hmax(vmax));
    float corr = std::exp(m - m_new);
    const __m256 vm = _mm256_set1_ps(m_new);
    __m256 vsum = _mm256_setzero_ps();
    for (int64_t t = 0; t < kTile; t += 8) {
      const __m256 e = exp_ps(_mm256_sub_ps(_mm256_load_ps(s + t), vm));
      // Padding lanes (-inf) are clamped by exp_ps to a tiny positive value: mask them to zero.
      const __m256 keep = _mm256_castsi256_ps(tail_mask(nt - t));
      const __m256 p = _mm256_and_ps(e, keep);
      vsum = _mm256_add_ps(vsum, p);
      _mm256_store_ps(s + t, p);
    }
    l = l * corr + hsum(vsum);
    for (int64_t t = 0; t < nt; ++t) {
      scale_add_f16(out, corr, s[t], a.v + (j0 + t) * a.kv_stride + kv_off, hd);
      corr = 1.0f;
    }
    m = m_new;
  }
  const __m256 inv = _mm256_set1_ps(1.0f / l);
  int64_t d = 0;
  for (; d + 8 <= hd; d += 8) _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_loadu_ps(out + d), inv));
  for (; d < hd; ++d) out[d] /= l;
}

}  // namespace

void flash_attn(const FlashAttnArgs& a) {
  const int64_t group = a.n_head / a.n_kv_head;
  for (int64_t i = 0; i < a.n_q; ++i) {
    const int64_t pos = a.q_pos0 + i;
    const int64_t first = a.window > 0 ? std::max<int64_t>(0, pos - a.window + 1) : 0;
    for (int64_t h = a.head_begin; h < a.head_end; ++h)
      attend(a, a.q + i * a.q_stride + h * a.head_dim, (h / group) * a.head_dim, first, pos,
             a.out + i * a.out_stride + h * a.head_dim);
  }
}

}  // namespace capibara::avx2
