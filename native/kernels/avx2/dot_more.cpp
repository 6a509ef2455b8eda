// AVX2 dot products and GEMMs of Q4_1, Q5_0, Q5_1, IQ4_NL (32-element blocks), IQ4_XS, Q2_K and Q3_K, the
// same integer sums as scalar/dot_more.cpp:
//   - the 32-element types run dot32_x86.h's unpacking and 4 rows x 2 tokens tiles with maddubs + madd;
//   - IQ4_XS looks its levels up with pshufb like IQ4_NL and weights each sub-block's s16 pair sums by
//     its scale in the widening madd;
//   - Q2_K/Q3_K multiply unsigned levels (Q3_K: q + 4 hbit) and apply the Q2_K mins and the Q3_K offset of 4
//     through Q8_K's bsums once per super-block.
#include <immintrin.h>

#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/dot32_x86.h"
#include "kernels/quant_blocks.h"

namespace capibara::avx2 {

namespace {

using namespace x86_dot32;

struct MaddDot {
  static __m256i dot_u8s8(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }
};

}  // namespace

void vec_dot_q4_1_q8_1(int64_t n, float* s, const void* x, const void* y) { vec_dot<Q4_1<MaddDot>>(n, s, x, y); }
void vec_dot_q5_0_q8_0(int64_t n, float* s, const void* x, const void* y) { vec_dot<Q5_0<MaddDot>>(n, s, x, y); }
void vec_dot_q5_1_q8_1(int64_t n, float* s, const void* x, const void* y) { vec_dot<Q5_1<MaddDot>>(n, s, x, y); }
void vec_dot_iq4_nl_q8_0(int64_t n, float* s, const void* x, const void* y) { vec_dot<Iq4Nl<MaddDot>>(n, s, x, y); }

void gemm_q4_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<Q4_1<MaddDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<Q5_0<MaddDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<Q5_1<MaddDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_iq4_nl_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride) {
  gemm<Iq4Nl<MaddDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

namespace {

// IQ4_XS, one weight row x T tokens: per sub-block j, the s16 pair sums of levels x q8 are multiplied by
// (ls_j - 32) in the madd that widens them (|pair| <= 2 * 127 * 127 fits s16), so a super-block is one s32
// sum per token times d_w d_x; the row's levels are looked up once for the T tokens.
template <int T>
void iq4_xs_row(int64_t n, const BlockIq4Xs* x, const uint8_t* y, size_t y_row, float* s, int64_t s_stride) {
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQKK; ++b) {
    __m256i sum[T];
    for (int t = 0; t < T; ++t) sum[t] = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      const __m256i q = iq4_levels(x[b].qs + 16 * j);
      const __m256i aq = _mm256_sign_epi8(q, q);
      const __m256i sc = _mm256_set1_epi16(static_cast<int16_t>(iq4_xs_scale(x[b], j) - 32));
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& yb = reinterpret_cast<const BlockQ8_K*>(y + t * y_row)[b];
        const __m256i p16 = _mm256_maddubs_epi16(aq, _mm256_sign_epi8(load256(yb.qs + 32 * j), q));
        sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(p16, sc));
      }
    }
    for (int t = 0; t < T; ++t) {
      const float dy = reinterpret_cast<const BlockQ8_K*>(y + t * y_row)[b].d;
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[b].d) * dy), _mm256_cvtepi32_ps(sum[t]), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) s[t * s_stride] = hsum(acc[t]);
}

}  // namespace

void vec_dot_iq4_xs_q8_K(int64_t n, float* s, const void* x, const void* y) {
  iq4_xs_row<1>(n, static_cast<const BlockIq4Xs*>(x), static_cast<const uint8_t*>(y), 0, s, 0);
}

// Rows one at a time, tokens 4 at a time.
void gemm_iq4_xs_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* row = reinterpret_cast<const BlockIq4Xs*>(wb + r * w_row);
    int64_t t = 0;
    for (; t + 4 <= n_tok; t += 4) iq4_xs_row<4>(n, row, xb + t * x_row, x_row, y + t * y_stride + r, y_stride);
    for (; t < n_tok; ++t) iq4_xs_row<1>(n, row, xb + t * x_row, x_row, y + t * y_stride + r, y_stride);
  }
}

namespace {

// Per super-block: 32 elements at a time (element 128h + 32j + l, two sub-blocks of 16 per 128-bit half), as
// unsigned levels times the Q8_K bytes in s16 pairs, weighted by the two sub-blocks' scales in the madd that
// widens them to s32.
inline __m256i scaled_pairs(__m256i q, const int8_t* y, int sc_lo, int sc_hi) {
  const __m256i p16 = _mm256_maddubs_epi16(q, load256(y));
  return _mm256_madd_epi16(p16, _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(sc_hi)), _mm_set1_epi16(static_cast<int16_t>(sc_lo))));
}

// sum_s c[s] * bsums[s] for 16 int16 coefficients.
inline int dot_bsums(const int16_t* c, const int16_t* bsums) {
  const __m256i p = _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c)), load256(bsums));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

}  // namespace

// Q2_K: levels 0..3 with 4-bit scales; the mins go through bsums once per super-block.
void vec_dot_q2_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ2_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  const __m256i m3 = _mm256_set1_epi8(3);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int16_t mins[16];
    for (int i = 0; i < 16; ++i) mins[i] = static_cast<int16_t>(x[b].scales[i] >> 4);
    const int summ = dot_bsums(mins, y[b].bsums);
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x[b].qs + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const int sb = 8 * h + 2 * j;
        const __m256i lv = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
        acc = _mm256_add_epi32(acc, scaled_pairs(lv, y[b].qs + 16 * sb, x[b].scales[sb] & 0xF, x[b].scales[sb + 1] & 0xF));
      }
    }
    sum += y[b].d * h2f(x[b].d) * hsum(_mm256_cvtepi32_ps(acc)) - y[b].d * h2f(x[b].dmin) * summ;
  }
  *s = sum;
}

// Q3_K: levels q + 4 hbit (0..7) unsigned, and the offset of 4 as -4 * sum_s (ls_s - 32) bsums[s].
void vec_dot_q3_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ3_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
  __m256 total = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int ls[16];
    q3_k_scales(x[b].scales, ls);
    int16_t sc[16];
    for (int i = 0; i < 16; ++i) sc[i] = static_cast<int16_t>(ls[i] - 32);
    const int offset = 4 * dot_bsums(sc, y[b].bsums);
    const __m256i hm = load256(x[b].hmask);
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x[b].qs + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const int sb = 8 * h + 2 * j;
        const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << (4 * h + j)));
        const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), four);
        const __m256i lv = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3), high);
        acc = _mm256_add_epi32(acc, scaled_pairs(lv, y[b].qs + 16 * sb, sc[sb], sc[sb + 1]));
      }
    }
    const __m256i sumi = _mm256_sub_epi32(acc, _mm256_setr_epi32(offset, 0, 0, 0, 0, 0, 0, 0));
    total = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[b].d) * y[b].d), _mm256_cvtepi32_ps(sumi), total);
  }
  *s = hsum(total);
}

}  // namespace capibara::avx2
