// AVX-512 flash attention: the vector parts of flash_attn_tiles.h's tiling, 16 floats per vector,
// head-dim tails under a lane mask. A key tile's F16 K rows are widened once into a float tile;
// each row's dots with 16 keys are summed across lanes together (a transpose-add of 16 vectors),
// not one horizontal sum per key, which is what a 64-wide head would otherwise spend most on.
#include <immintrin.h>

#include "kernels/avx2/avx2.h"
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/vmath.h"
#include "kernels/flash_attn_tiles.h"

namespace capibara::avx512 {

namespace {

constexpr int64_t kMaxHeadDim = 256;  // the float K tile lives on the stack; wider heads take the AVX2 kernel

inline __m512 load_f16(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

// Lane j of the result is the sum of v[j]'s 16 lanes.
inline __m512 transpose_sum16(__m512* v) {
  __m512 s[8];
  for (int i = 0; i < 8; ++i)
    s[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  __m512 u[4];
  for (int i = 0; i < 4; ++i) {
    const __m512d c = _mm512_castps_pd(s[2 * i]), d = _mm512_castps_pd(s[2 * i + 1]);
    u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(c, d)), _mm512_castpd_ps(_mm512_unpackhi_pd(c, d)));
  }
  // u[i]'s 128-bit block b holds quarter b of vectors 4i .. 4i + 3's sums; fold the quarters.
  const __m512 w01 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], 0x88), _mm512_shuffle_f32x4(u[0], u[1], 0xDD));
  const __m512 w23 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], 0x88), _mm512_shuffle_f32x4(u[2], u[3], 0xDD));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w01, w23, 0x88), _mm512_shuffle_f32x4(w01, w23, 0xDD));
}

struct Ops {
  template <int NR>
  static void tile_dots(const FlashRow* rows, const uint16_t* k, int64_t kv_stride, int64_t hd, int64_t nt, float* s) {
    const int64_t nv = (hd + 15) / 16;  // vectors per row, the last one masked
    const __mmask16 tail = lanes(hd - 16 * (nv - 1));
    const auto qmask = [&](int64_t c) { return c + 1 < nv ? static_cast<__mmask16>(0xFFFF) : tail; };
    alignas(64) float kf[kFlashTile * kMaxHeadDim];
    for (int64_t t = 0; t < kFlashTile; ++t)
      for (int64_t c = 0; c < nv; ++c)
        _mm512_store_ps(kf + t * 16 * nv + 16 * c,
                        t < nt ? load_f16(k + t * kv_stride + 16 * c, qmask(c)) : _mm512_setzero_ps());
    // Two rows x 8 keys per pass, so each K vector loaded feeds two FMAs; the 16 sums come out of one
    // transpose-add, row r's in lanes 0-7 and row r + 1's in lanes 8-15. An odd last row takes 16 keys.
    int r = 0;
    for (; r + 1 < NR; r += 2) {
      const float* q0 = rows[r].q;
      const float* q1 = rows[r + 1].q;
      for (int64_t t0 = 0; t0 < kFlashTile; t0 += 8) {
        __m512 acc[16];
        for (int t = 0; t < 16; ++t) acc[t] = _mm512_setzero_ps();
        for (int64_t c = 0; c < nv; ++c) {
          const __m512 qa = _mm512_maskz_loadu_ps(qmask(c), q0 + 16 * c), qb = _mm512_maskz_loadu_ps(qmask(c), q1 + 16 * c);
          for (int t = 0; t < 8; ++t) {
            const __m512 kv = _mm512_load_ps(kf + (t0 + t) * 16 * nv + 16 * c);
            acc[t] = _mm512_fmadd_ps(qa, kv, acc[t]);
            acc[8 + t] = _mm512_fmadd_ps(qb, kv, acc[8 + t]);
          }
        }
        const __m512 sums = transpose_sum16(acc);
        _mm256_store_ps(s + r * kFlashTile + t0, _mm512_castps512_ps256(sums));
        _mm256_store_ps(s + (r + 1) * kFlashTile + t0, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(sums), 1)));
      }
    }
    if (r < NR) {
      const float* q = rows[r].q;
      for (int64_t t0 = 0; t0 < kFlashTile; t0 += 16) {
        __m512 acc[16];
        for (int t = 0; t < 16; ++t) acc[t] = _mm512_setzero_ps();
        for (int64_t c = 0; c < nv; ++c) {
          const __m512 qv = _mm512_maskz_loadu_ps(qmask(c), q + 16 * c);
          for (int t = 0; t < 16; ++t) acc[t] = _mm512_fmadd_ps(qv, _mm512_load_ps(kf + (t0 + t) * 16 * nv + 16 * c), acc[t]);
        }
        _mm512_store_ps(s + r * kFlashTile + t0, transpose_sum16(acc));
      }
    }
  }

  template <int NR>
  static void tile_accumulate(FlashRow* rows, const float* corr, const float* p, const uint16_t* v, int64_t kv_stride,
                              int64_t hd, int64_t nt) {
    for (int64_t d = 0; d < hd; d += 16) {
      const __mmask16 m = lanes(hd - d);
      __m512 acc[NR];
      for (int r = 0; r < NR; ++r) acc[r] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, rows[r].out + d), _mm512_set1_ps(corr[r]));
      for (int64_t t = 0; t < nt; ++t) {
        const __m512 vf = load_f16(v + t * kv_stride + d, m);
        for (int r = 0; r < NR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[r * kFlashTile + t]), vf, acc[r]);
      }
      for (int r = 0; r < NR; ++r) _mm512_mask_storeu_ps(rows[r].out + d, m, acc[r]);
    }
  }

  static float scale_mask_max(const FlashAttnArgs& a, float* s, int64_t lo, int64_t hi) {
    const __m512 scale = _mm512_set1_ps(a.scale);
    const __m512 cap = _mm512_set1_ps(a.softcap), inv_cap = _mm512_set1_ps(1.0f / a.softcap);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 vmax = ninf;
    for (int64_t t = 0; t < kFlashTile; t += 16) {
      __m512 x = _mm512_mul_ps(_mm512_load_ps(s + t), scale);
      if (a.softcap > 0.0f) x = _mm512_mul_ps(cap, tanh_ps(_mm512_mul_ps(x, inv_cap)));
      const __m512i j = _mm512_add_epi32(idx, _mm512_set1_epi32(static_cast<int>(t)));
      const __mmask16 keep = _mm512_cmpge_epi32_mask(j, _mm512_set1_epi32(static_cast<int>(lo))) &
                             _mm512_cmplt_epi32_mask(j, _mm512_set1_epi32(static_cast<int>(hi)));
      x = _mm512_mask_blend_ps(keep, ninf, x);
      vmax = _mm512_max_ps(vmax, x);
      _mm512_store_ps(s + t, x);
    }
    return _mm512_reduce_max_ps(vmax);
  }

  static float exp_sum(float* s, float m) {
    const __m512 vm = _mm512_set1_ps(m);
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t t = 0; t < kFlashTile; t += 16) {
      const __m512 e = exp_ps(_mm512_sub_ps(_mm512_load_ps(s + t), vm));
      vsum = _mm512_add_ps(vsum, e);
      _mm512_store_ps(s + t, e);
    }
    return _mm512_reduce_add_ps(vsum);
  }

  static void normalize(float* out, int64_t hd, float l) {
    const __m512 inv = _mm512_set1_ps(1.0f / l);
    for (int64_t d = 0; d < hd; d += 16) {
      const __mmask16 m = lanes(hd - d);
      _mm512_mask_storeu_ps(out + d, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, out + d), inv));
    }
  }
};

}  // namespace

void flash_attn(const FlashAttnArgs& a) {
  if (a.head_dim > kMaxHeadDim) return avx2::flash_attn(a);
  flash_attn_tiled<Ops>(a);
}

}  // namespace capibara::avx512
