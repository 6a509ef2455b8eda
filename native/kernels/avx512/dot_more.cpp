// AVX-512 VNNI dot products and GEMMs of Q4_1, Q5_0, Q5_1 and IQ4_NL: dot32_x86.h's unpacking and 4 rows x
// 2 tokens tiles with the u8 x s8 products summed by one vpdpbusd (256-bit, AVX512VL) instead of AVX2's
// maddubs + madd. IQ4_XS, Q2_K and Q3_K keep the AVX2 kernels (their per-sub-block scales ride in the
// widening madd, which VNNI does not shorten).
#include <immintrin.h>

#include "kernels/avx512/avx512.h"
#include "kernels/dot32_x86.h"

namespace capibara::avx512 {

namespace {

using namespace x86_dot32;

struct VnniDot {
  static __m256i dot_u8s8(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
};

}  // namespace

void vec_dot_q4_1_q8_1(int64_t n, float* s, const void* x, const void* y) { vec_dot<Q4_1<VnniDot>>(n, s, x, y); }
void vec_dot_q5_0_q8_0(int64_t n, float* s, const void* x, const void* y) { vec_dot<Q5_0<VnniDot>>(n, s, x, y); }
void vec_dot_q5_1_q8_1(int64_t n, float* s, const void* x, const void* y) { vec_dot<Q5_1<VnniDot>>(n, s, x, y); }
void vec_dot_iq4_nl_q8_0(int64_t n, float* s, const void* x, const void* y) { vec_dot<Iq4Nl<VnniDot>>(n, s, x, y); }

void gemm_q4_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<Q4_1<VnniDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<Q5_0<VnniDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<Q5_1<VnniDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_iq4_nl_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride) {
  gemm<Iq4Nl<VnniDot>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx512
