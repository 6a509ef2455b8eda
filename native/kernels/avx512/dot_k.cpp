// AVX-512 VNNI K-quant dot products. Differences from avx2/dot.cpp, which spends two integer multiplies
// per 32 elements (maddubs, then madd by the sub-block scale):
//   - 64 weight levels (two sub-blocks: a Q4_K/Q5_K chunk, or two Q6_K groups of 32) meet the 64
//     contiguous Q8_K activations they multiply in one 512-bit vpdpbusd (u8 x s8, 4 products per lane);
//   - the sub-block scales are applied in float: lanes are converted and multiplied by a vector of
//     d * d_y * scale picked per lane with one vpermps, so each 64 elements cost one integer multiply;
//   - mins (Q4_K/Q5_K) and the -32 offset (Q6_K) come from Q8_K's bsums as in the other paths.
// Integer sums are exact; the float scaling order differs from scalar: |err| ~ 1e-6 relative.
// GEMM (prefill) keeps the avx2 row-unpacking kernel; a single token uses these dot products.
#include <immintrin.h>

#include "kernels/avx2/avx2.h"
#include "kernels/avx512/avx512.h"
#include "kernels/quant_blocks.h"

namespace capibara::avx512 {

namespace {

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// 32 packed bytes -> 64 levels: low nibbles (elements 0..31) then high nibbles (32..63).
inline __m512i unpack_nibbles(const uint8_t* q) {
  const __m512i both = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
  const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
  return _mm512_and_si512(_mm512_srlv_epi16(both, shift), _mm512_set1_epi8(0x0F));
}

// Lane index vectors for vpermps: lane i of a 64-element product vector covers elements 4i..4i+3.
inline __m512i lanes_of(int first, int per) {  // sub-block = first + i / per
  alignas(64) int idx[16];
  for (int i = 0; i < 16; ++i) idx[i] = first + i / per;
  return _mm512_load_si512(idx);
}

template <bool kQ5, typename Block>
float dot_k_scale_min(int64_t n, const Block* x, const BlockQ8_K* y) {
  __m512i chunk_lanes[4];
  for (int c = 0; c < 4; ++c) chunk_lanes[c] = lanes_of(2 * c, 8);  // sub-blocks 2c, 2c+1: 8 lanes each
  const __m512i one = _mm512_set1_epi8(1);
  __m512 acc = _mm512_setzero_ps();
  float mins_total = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    uint8_t sc[8], m[8];
    k_scales_mins(x[b].scales, sc, m);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (y[b].bsums[2 * j] + y[b].bsums[2 * j + 1]);
    mins_total += y[b].d * h2f(x[b].dmin) * static_cast<float>(summ);
    const __m256 s8 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc)))),
                                    _mm256_set1_ps(y[b].d * h2f(x[b].d)));
    const __m512 scales = _mm512_castps256_ps512(s8);  // permutexvar only reads lanes 0..7
    __m512i qh = _mm512_setzero_si512();
    if constexpr (kQ5) qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qh)));
    for (int c = 0; c < 4; ++c) {
      __m512i q = unpack_nibbles(x[b].qs + 32 * c);
      if constexpr (kQ5) {  // bit 2c of qh[l] for the low half, bit 2c+1 for the high half
        const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(2 * c)), _mm256_set1_epi16(static_cast<short>(2 * c + 1)), 1);
        q = _mm512_or_si512(q, _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift), one), 4));
      }
      const __m512i i32 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512(y[b].qs + 64 * c));
      acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(chunk_lanes[c], scales), _mm512_cvtepi32_ps(i32), acc);
    }
  }
  return _mm512_reduce_add_ps(acc) - mins_total;
}

}  // namespace

void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<false>(n, static_cast<const BlockQ4_K*>(x), static_cast<const BlockQ8_K*>(y));
}

void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* x, const void* y) {
  *s = dot_k_scale_min<true>(n, static_cast<const BlockQ5_K*>(x), static_cast<const BlockQ8_K*>(y));
}

// Q6_K: per 128-element half h, groups g0|g1 and g2|g3 (32 levels each, 0..63) meet activations
// [0, 64) and [64, 128) of the half; scales are per 16 elements (4 lanes).
void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ6_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  __m512i pair_lanes[4];
  for (int p = 0; p < 4; ++p) pair_lanes[p] = lanes_of(4 * p, 4);
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
  __m512 acc = _mm512_setzero_ps();
  float offsets = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float dd = y[b].d * h2f(x[b].d);
    const __m512 scales = _mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].scales)))), _mm512_set1_ps(dd));
    int offset = 0;
    for (int k = 0; k < 16; ++k) offset += x[b].scales[k] * y[b].bsums[k];
    offsets += dd * static_cast<float>(32 * offset);
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].ql + 64 * h));
      const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].ql + 64 * h + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qh + 32 * h));
      const __m256i g0 = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
      const __m256i g1 = _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
      const __m256i g2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
      const __m256i g3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
      const int8_t* q8 = y[b].qs + 128 * h;
      const __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_inserti64x4(_mm512_castsi256_si512(g0), g1, 1),
                                             _mm512_loadu_si512(q8));
      const __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_inserti64x4(_mm512_castsi256_si512(g2), g3, 1),
                                             _mm512_loadu_si512(q8 + 64));
      acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(pair_lanes[2 * h], scales), _mm512_cvtepi32_ps(lo), acc);
      acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(pair_lanes[2 * h + 1], scales), _mm512_cvtepi32_ps(hi), acc);
    }
  }
  *s = _mm512_reduce_add_ps(acc) - offsets;
}

namespace {
template <VecDotFn Dot, GemmFn Prefill>
void gemm_k(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
            int64_t y_stride) {
  if (n_tok > 1) return Prefill(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
  const auto* wb = static_cast<const uint8_t*>(w);
  for (int64_t r = 0; r < n_rows; ++r) Dot(n, y + r, wb + r * w_row, x);
}
}  // namespace

void gemm_q4_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k<vec_dot_q4_K_q8_K, avx2::gemm_q4_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k<vec_dot_q5_K_q8_K, avx2::gemm_q5_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q6_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k<vec_dot_q6_K_q8_K, avx2::gemm_q6_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx512
