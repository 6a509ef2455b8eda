// AVX2 GEMM for the K-quants on file-layout rows (prefill): the unpacked form and its dot product for
// the shared loop of gemm_k_rows.h, which unpacks each weight row once per call into byte levels,
// per-16 scale vectors and per-16 mins, then dots it with every token. The three types share one
// form after unpacking:
//   value = d * sc16[g] * q - dmin * m16[g]   for element 16g..16g+15 of a super-block
//   Q4_K/Q5_K: sc16/m16 = the sub-block's 6-bit scale/min (each covers two groups of 16);
//   Q6_K:      q in 0..63 unsigned, m16 = 32 * sc16 and dmin = d (the -32 offset).
// The integer sums are exact, so results equal avx2 vec_dot's up to float rounding of the scaling.
#include <immintrin.h>

#include "kernels/avx2/avx2.h"
#include "kernels/gemm_k_rows.h"
#include "kernels/quant_blocks.h"

namespace capibara::avx2 {

namespace {

struct alignas(32) UnpackedK {
  uint8_t q[kQKK];        // levels in element order
  __m256i scales[8];      // group pair g: [sc16[2g] x 8 | sc16[2g+1] x 8] as s16
  int16_t m16[16];
  float d, dmin;
};

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline void store256(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
inline __m256i scale_pair(int a, int b) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a)));
}

template <typename Block, bool kQ5>
void unpack_k_scale_min(const Block& b, UnpackedK& u) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  __m256i qh = _mm256_setzero_si256();
  if constexpr (kQ5) qh = load256(b.qh);
  for (int c = 0; c < 4; ++c) {
    const __m256i q = load256(b.qs + 32 * c);
    __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
    if constexpr (kQ5) {
      lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
      hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
    }
    store256(u.q + 64 * c, lo);
    store256(u.q + 64 * c + 32, hi);
  }
  uint8_t sc8[8], m8[8];
  k_scales_mins(b.scales, sc8, m8);
  for (int j = 0; j < 8; ++j) {
    const uint8_t sc = sc8[j], m = m8[j];
    u.scales[j] = scale_pair(sc, sc);
    u.m16[2 * j] = u.m16[2 * j + 1] = m;
  }
  u.d = _cvtsh_ss(b.d);
  u.dmin = _cvtsh_ss(b.dmin);
}

void unpack_q4_K(const BlockQ4_K& b, UnpackedK& u) { unpack_k_scale_min<BlockQ4_K, false>(b, u); }
void unpack_q5_K(const BlockQ5_K& b, UnpackedK& u) { unpack_k_scale_min<BlockQ5_K, true>(b, u); }

void unpack_q6_K(const BlockQ6_K& b, UnpackedK& u) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
  for (int h = 0; h < 2; ++h) {
    const __m256i ql0 = load256(b.ql + 64 * h), ql1 = load256(b.ql + 64 * h + 32), qh = load256(b.qh + 32 * h);
    uint8_t* q = u.q + 128 * h;
    store256(q, _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4)));
    store256(q + 32, _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                     _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4)));
    store256(q + 64, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                     _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4)));
    store256(q + 96, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                     _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4)));
  }
  for (int g = 0; g < 8; ++g) u.scales[g] = scale_pair(b.scales[2 * g], b.scales[2 * g + 1]);
  for (int s = 0; s < 16; ++s) u.m16[s] = static_cast<int16_t>(32 * b.scales[s]);
  u.d = u.dmin = _cvtsh_ss(b.d);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline float dot_unpacked(const UnpackedK& u, const BlockQ8_K& y) {
  __m256i acc = _mm256_setzero_si256();
  for (int g = 0; g < 8; ++g)
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(load256(u.q + 32 * g), load256(y.qs + 32 * g)), u.scales[g]));
  const int mins = hsum_i32(_mm256_madd_epi16(load256(y.bsums), load256(u.m16)));
  return y.d * (u.d * static_cast<float>(hsum_i32(acc)) - u.dmin * static_cast<float>(mins));
}

}  // namespace

void gemm_q4_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ4_K, unpack_q4_K, dot_unpacked, vec_dot_q4_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q5_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ5_K, unpack_q5_K, dot_unpacked, vec_dot_q5_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q6_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm_k_rows<UnpackedK, BlockQ6_K, unpack_q6_K, dot_unpacked, vec_dot_q6_K_q8_K>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx2
