// AVX2/FMA flash attention: the vector parts of flash_attn_tiles.h's tiling (F16 K/V widened with F16C,
// 8 floats per vector).
#include <immintrin.h>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"
#include "kernels/flash_attn_tiles.h"
#include "kernels/fp16.h"

namespace capibara::avx2 {

namespace {

inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

struct Ops {
  template <int NR>
  static void tile_dots(const FlashRow* rows, const uint16_t* k, int64_t kv_stride, int64_t hd, int64_t nt, float* s) {
    for (int64_t t = 0; t < nt; ++t) {
      const uint16_t* kr = k + t * kv_stride;
      __m256 acc[NR];
      for (int r = 0; r < NR; ++r) acc[r] = _mm256_setzero_ps();
      int64_t d = 0;
      for (; d + 8 <= hd; d += 8) {
        const __m256 kf = load_f16(kr + d);
        for (int r = 0; r < NR; ++r) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[r].q + d), kf, acc[r]);
      }
      for (int r = 0; r < NR; ++r) {
        float dot = hsum(acc[r]);
        for (int64_t e = d; e < hd; ++e) dot += rows[r].q[e] * fp16_to_fp32(kr[e]);
        s[r * kFlashTile + t] = dot;
      }
    }
  }

  template <int NR>
  static void tile_accumulate(FlashRow* rows, const float* corr, const float* p, const uint16_t* v, int64_t kv_stride,
                              int64_t hd, int64_t nt) {
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8) {
      __m256 acc[NR];
      for (int r = 0; r < NR; ++r) acc[r] = _mm256_mul_ps(_mm256_loadu_ps(rows[r].out + d), _mm256_set1_ps(corr[r]));
      for (int64_t t = 0; t < nt; ++t) {
        const __m256 vf = load_f16(v + t * kv_stride + d);
        for (int r = 0; r < NR; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + r * kFlashTile + t), vf, acc[r]);
      }
      for (int r = 0; r < NR; ++r) _mm256_storeu_ps(rows[r].out + d, acc[r]);
    }
    for (; d < hd; ++d) {
      for (int r = 0; r < NR; ++r) {
        float acc = rows[r].out[d] * corr[r];
        for (int64_t t = 0; t < nt; ++t) acc += p[r * kFlashTile + t] * fp16_to_fp32(v[t * kv_stride + d]);
        rows[r].out[d] = acc;
      }
    }
  }

  static float scale_mask_max(const FlashAttnArgs& a, float* s, int64_t lo, int64_t hi) {
    const __m256 scale = _mm256_set1_ps(a.scale);
    const __m256 cap = _mm256_set1_ps(a.softcap), inv_cap = _mm256_set1_ps(1.0f / a.softcap);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 vmax = ninf;
    for (int64_t t = 0; t < kFlashTile; t += 8) {
      __m256 x = _mm256_mul_ps(_mm256_load_ps(s + t), scale);
      if (a.softcap > 0.0f) x = _mm256_mul_ps(cap, tanh_ps(_mm256_mul_ps(x, inv_cap)));
      const __m256i j = _mm256_add_epi32(idx, _mm256_set1_epi32(static_cast<int>(t)));
      const __m256 keep = _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(j, _mm256_set1_epi32(static_cast<int>(lo) - 1)),
                                                               _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(hi)), j)));
      x = _mm256_blendv_ps(ninf, x, keep);
      vmax = _mm256_max_ps(vmax, x);
      _mm256_store_ps(s + t, x);
    }
    return hmax(vmax);
  }

  static float exp_sum(float* s, float m) {
    const __m256 vm = _mm256_set1_ps(m);
    __m256 vsum = _mm256_setzero_ps();
    for (int64_t t = 0; t < kFlashTile; t += 8) {
      const __m256 e = exp_ps(_mm256_sub_ps(_mm256_load_ps(s + t), vm));
      vsum = _mm256_add_ps(vsum, e);
      _mm256_store_ps(s + t, e);
    }
    return hsum(vsum);
  }

  static void normalize(float* out, int64_t hd, float l) {
    const __m256 inv = _mm256_set1_ps(1.0f / l);
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8) _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_loadu_ps(out + d), inv));
    for (; d < hd; ++d) out[d] /= l;
  }
};

}  // namespace

void flash_attn(const FlashAttnArgs& a) { flash_attn_tiled<Ops>(a); }

}  // namespace capibara::avx2
