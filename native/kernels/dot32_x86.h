// The ISA-independent half of the x86 dot products and GEMMs of the 32-element legacy and IQ4_NL types
// (avx2/ and avx512/ dot_more.cpp): unpacking each weight block to 32 bytes in element order, and the
// 4 rows x 2 tokens tile loop. The 8-bit product is the policy `Dot`: dot_u8s8(u, s) gives 8 s32 lane sums
// of 4 adjacent u8 x s8 products (AVX2: maddubs + madd; AVX-512 VNNI: one vpdpbusd).
//   - unsigned levels (Q4_1, Q5_1) multiply directly; signed values (Q5_0 as q - 16, IQ4_NL's levels from
//     a pshufb lookup) by the sign trick |w| x sign(y, w) (no value is -128);
//   - Q4_1/Q5_1 add m_w * s_x per block (Q8_1's s = d sum q), as ggml;
//   - the fifth bits of Q5_0/Q5_1 are spread from qh to bytes with a shuffle and a per-byte bit mask.
// Everything sits in an unnamed namespace: each including file is compiled with its own ISA flags (see
// packed_gemm_x86.h).
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_blocks.h"

namespace capibara {
namespace x86_dot32 {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

template <typename Dot>
inline __m256i dot_s8s8(__m256i a, __m256i b) { return Dot::dot_u8s8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a)); }

// 32 nibbles as bytes in element order (low nibbles: elements 0..15).
inline __m256i nibbles(const uint8_t* qs) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
}

// Byte i = 0x10 where bit i of the 32-bit qh is set, else 0.
inline __m256i fifth_bits(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, 4);
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(v)),
                                             _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

inline __m256i iq4_levels(const uint8_t* qs) {
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues)));
  return _mm256_shuffle_epi8(table, nibbles(qs));
}

// One format per weight type: its activation block, how a block unpacks and multiplies, and its min.
template <typename Dot>
struct Q4_1 {
  using W = BlockQ4_1;
  using X = BlockQ8_1;
  static __m256i dot(const W& b, __m256i y) { return Dot::dot_u8s8(nibbles(b.qs), y); }
  static float min(const W& b, const X& x) { return h2f(b.m) * h2f(x.s); }
};
template <typename Dot>
struct Q5_0 {
  using W = BlockQ5_0;
  using X = BlockQ8_0;
  static __m256i dot(const W& b, __m256i y) {
    const __m256i q = _mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh));
    return dot_s8s8<Dot>(_mm256_sub_epi8(q, _mm256_set1_epi8(16)), y);
  }
  static float min(const W&, const X&) { return 0.0f; }
};
template <typename Dot>
struct Q5_1 {
  using W = BlockQ5_1;
  using X = BlockQ8_1;
  static __m256i dot(const W& b, __m256i y) { return Dot::dot_u8s8(_mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)), y); }
  static float min(const W& b, const X& x) { return h2f(b.m) * h2f(x.s); }
};
template <typename Dot>
struct Iq4Nl {
  using W = BlockIq4Nl;
  using X = BlockQ8_0;
  static __m256i dot(const W& b, __m256i y) { return dot_s8s8<Dot>(iq4_levels(b.qs), y); }
  static float min(const W&, const X&) { return 0.0f; }
};

// R weight rows x T activation rows; per block, acc += d_w d_x sum, and the min term in a float.
template <typename F, int R, int T>
void tile(int64_t n, const uint8_t* w, size_t w_row, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  __m256 acc[R][T];
  float mins[R][T] = {};
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK0; ++b) {
    for (int t = 0; t < T; ++t) {
      const typename F::X& xb = reinterpret_cast<const typename F::X*>(x + t * x_row)[b];
      const __m256i yq = load256(xb.qs);
      const float dx = h2f(xb.d);
      for (int r = 0; r < R; ++r) {
        const typename F::W& wb = reinterpret_cast<const typename F::W*>(w + r * w_row)[b];
        acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(wb.d) * dx), _mm256_cvtepi32_ps(F::dot(wb, yq)), acc[r][t]);
        mins[r][t] += F::min(wb, xb);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) s[t * s_stride + r] = hsum(acc[r][t]) + mins[r][t];
}

template <typename F>
void vec_dot(int64_t n, float* s, const void* x, const void* y) {
  tile<F, 1, 1>(n, static_cast<const uint8_t*>(x), 0, static_cast<const uint8_t*>(y), 0, s, 0);
}

template <typename F>
void gemm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
          int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t r = 0; r < n_rows; r += 4) {
    const bool full = n_rows - r >= 4;
    for (int64_t t = 0; t < n_tok;) {
      const int step = n_tok - t >= 2 ? 2 : 1;
      float* out = y + t * y_stride + r;
      const uint8_t* xt = xb + t * x_row;
      if (full) {
        if (step == 2) tile<F, 4, 2>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
        else tile<F, 4, 1>(n, wb + r * w_row, w_row, xt, x_row, out, y_stride);
      } else {
        for (int64_t i = r; i < n_rows; ++i) {
          if (step == 2) tile<F, 1, 2>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
          else tile<F, 1, 1>(n, wb + i * w_row, w_row, xt, x_row, out + (i - r), y_stride);
        }
      }
      t += step;
    }
  }
}

}  // namespace
}  // namespace x86_dot32
}  // namespace capibara
