// AVX2/FMA dot products and tiled GEMMs. Differences from scalar/dot.cpp:
//   - 8-bit products use maddubs (u8 x s8 -> s16 pairs) then madd (-> s32); signed x signed uses the
//     sign trick |a| * sign(b, a). Q4_0 keeps its nibbles unsigned and subtracts 8 * sum(y) per block.
//   - K-quants apply sub-block scales with madd on the s16 pair sums; the Q4_K/Q5_K mins and the Q6_K
//     offset of 32 are applied through Q8_K's bsums once per super-block.
//   - f32/f16/bf16 accumulate in float (4 x 8 lanes) instead of double: |err| <= ~1e-6 * sum |x_i y_i|.
//   - gemm_q8_0/q4_0 use 4 rows x 2 tokens tiles: each activation block is loaded once for 4 rows and
//     each weight block once for 2 tokens.
#include <immintrin.h>

#include "kernels/avx2/avx2.h"
#include "kernels/fp16.h"
#include "kernels/gemm_loop.h"
#include "kernels/quant_blocks.h"

namespace capibara::avx2 {

namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// u8 x s8 -> 8 s32 lane sums (products of 4 adjacent bytes each).
inline __m256i dot_u8s8(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }
// s8 x s8 (a != -128) via the sign trick.
inline __m256i dot_s8s8(__m256i a, __m256i b) { return dot_u8s8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a)); }

// 32 nibbles of a Q4_0 block as bytes 0..15 in element order (low nibbles first).
inline __m256i unpack_q4_0(const uint8_t* qs) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// R weight rows x T activation rows, 32-element blocks: row r at w + r * w_row, token t at x + t * x_row,
// result (r, t) to s[t * s_stride + r]. Weights are loaded/unpacked once for the T tokens.
// Q4_0: sum (q - 8) y = sum q y - 8 sum y, with sum y computed once per token and block.
// The per-element arithmetic does not depend on R and T, so tiling never changes a result.
template <int R, int T, bool kQ4>
void dot_tile_32(int64_t n, const uint8_t* w, size_t w_row, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  __m256 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK0; ++b) {
    __m256i wq[R];
    float dw[R];
    for (int r = 0; r < R; ++r) {
      if constexpr (kQ4) {
        const auto* blk = reinterpret_cast<const BlockQ4_0*>(w + r * w_row) + b;
        wq[r] = unpack_q4_0(blk->qs);
        dw[r] = h2f(blk->d);
      } else {
        const auto* blk = reinterpret_cast<const BlockQ8_0*>(w + r * w_row) + b;
        wq[r] = load256(blk->qs);
        dw[r] = h2f(blk->d);
      }
    }
    for (int t = 0; t < T; ++t) {
      const BlockQ8_0& yb = reinterpret_cast<const BlockQ8_0*>(x + t * x_row)[b];
      const __m256i yq = load256(yb.qs);
      const float dy = h2f(yb.d);
      __m256i corr = _mm256_setzero_si256();
      if constexpr (kQ4) corr = dot_u8s8(_mm256_set1_epi8(8), yq);
      for (int r = 0; r < R; ++r) {
        const __m256i d32 = kQ4 ? _mm256_sub_epi32(dot_u8s8(wq[r], yq), corr) : dot_s8s8(wq[r], yq);
        acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(dw[r] * dy), _mm256_cvtepi32_ps(d32), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) s[t * s_stride + r] = hsum(acc[r][t]);
}

// Tiles of 4 rows x 2 tokens; edges with 1 row and/or 1 token.
template <bool kQ4>
void gemm_32(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
             float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t r = 0; r < n_rows; r += 4) {
    const bool full_rows = n_rows - r >= 4;
    for (int64_t t = 0; t < n_tok;) {
      const int step = n_tok - t >= 2 ? 2 : 1;
      float* out = y + t * y_stride + r;
      const uint8_t* xt = xb + t * x_row;
      if (full_rows) {
        if (step == 2) dot_tile_32<4, 2, kQ4>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
        else dot_tile_32<4, 1, kQ4>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
      } else {
        for (int64_t i = r; i < n_rows; ++i) {
          if (step == 2) dot_tile_32<1, 2, kQ4>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
          else dot_tile_32<1, 1, kQ4>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
        }
      }
      t += step;
    }
  }
}

// 32 consecutive Q8_K activations against 32 unsigned weight levels, scaled per 16 (sc_a for the first
// 16 elements, sc_b for the last 16): s32 lanes of sum sc * q * y.
inline __m256i scaled_dot32(__m256i q, const int8_t* y, int sc_a, int sc_b) {
  const __m256i p16 = _mm256_maddubs_epi16(q, load256(y));
  const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(sc_b)), _mm_set1_epi16(static_cast<int16_t>(sc_a)));
  return _mm256_madd_epi16(p16, scales);
}

// Q4_K / Q5_K share the loop; kQ5 adds the fifth bit from qh.
template <typename Block, bool kQ5>
float dot_k_scale_min(int64_t n, const Block* x, const BlockQ8_K* y) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    uint8_t sc[8], m[8];
    k_scales_mins(x[b].scales, sc, m);
    // sum_j m[j] * (bsums[2j] + bsums[2j+1]): madd against the mins widened and duplicated per pair.
    const __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(m)));
    const __m256i mins = _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16));
    const int summ = hsum_i32(_mm256_madd_epi16(load256(y[b].bsums), mins));
    __m256i acc = _mm256_setzero_si256();
    __m256i qh = _mm256_setzero_si256();
    if (kQ5) qh = load256(reinterpret_cast<const BlockQ5_K*>(&x[b])->qh);
    for (int c = 0; c < 4; ++c) {
      const __m256i q = load256(x[b].qs + 32 * c);
      __m256i lo = _mm256_and_si256(q, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      if (kQ5) {
        lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
        hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
      }
      acc = _mm256_add_epi32(acc, scaled_dot32(lo, y[b].qs + 64 * c, sc[2 * c], sc[2 * c]));
      acc = _mm256_add_epi32(acc, scaled_dot32(hi, y[b].qs + 64 * c + 32, sc[2 * c + 1], sc[2 * c + 1]));
    }
    sum += y[b].d * h2f(x[b].d) * hsum_i32(acc) - y[b].d * h2f(x[b].dmin) * summ;
  }
  return sum;
}

}  // namespace

void vec_dot_f32(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const float*>(vx);
  const auto* y = static_cast<const float*>(vy);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < n; ++i) sum += x[i] * y[i];
  *s = sum;
}

namespace {
// 8 halves or bfloat16s -> 8 floats.
inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline __m256 load_bf16(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
}

template <__m256 (*Load)(const uint16_t*), float (*ToF32)(uint16_t)>
float dot_half(int64_t n, const uint16_t* x, const uint16_t* y) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(Load(x + i), Load(y + i), a0);
    a1 = _mm256_fmadd_ps(Load(x + i + 8), Load(y + i + 8), a1);
  }
  float sum = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += ToF32(x[i]) * ToF32(y[i]);
  return sum;
}
}  // namespace

void vec_dot_f16(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_half<load_f16, fp16_to_fp32>(n, static_cast<const uint16_t*>(x), static_cast<const uint16_t*>(y));
}

void vec_dot_bf16(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_half<load_bf16, bf16_to_fp32>(n, static_cast<const uint16_t*>(x), static_cast<const uint16_t*>(y));
}

void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* x, const void* y) {
  dot_tile_32<1, 1, false>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 1);
}

void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* x, const void* y) {
  dot_tile_32<1, 1, true>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 1);
}

void gemm_q8_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_32<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q4_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_32<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<BlockQ4_K, false>(n, static_cast<const BlockQ4_K*>(x), static_cast<const BlockQ8_K*>(y));
}

void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<BlockQ5_K, true>(n, static_cast<const BlockQ5_K*>(x), static_cast<const BlockQ8_K*>(y));
}

// q in 0..63 is used unsigned; the -32 offset becomes -32 * sum_s sc[s] * bsums[s].
void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ6_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const int8_t* sc = x[b].scales;
    int offset = 0;
    for (int k = 0; k < 16; ++k) offset += sc[k] * y[b].bsums[k];
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(x[b].ql + 64 * h), ql1 = load256(x[b].ql + 64 * h + 32);
      const __m256i qh = load256(x[b].qh + 32 * h);
      const __m256i g[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4)),
          _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4)),
      };
      const int8_t* s8 = sc + 8 * h;
      for (int k = 0; k < 4; ++k) acc = _mm256_add_epi32(acc, scaled_dot32(g[k], y[b].qs + 128 * h + 32 * k, s8[2 * k], s8[2 * k + 1]));
    }
    sum += y[b].d * h2f(x[b].d) * (hsum_i32(acc) - 32 * offset);
  }
  *s = sum;
}

}  // namespace capibara::avx2
