// AVX2 row conversions: the activation quantisers (Q8_0, Q8_K) that run before every quantised
// matmul, and f16/bf16 conversions. Bit-identical to scalar/quantize.cpp (and so to ggml's reference):
// same scale arithmetic, Q8_0 rounds half away from zero like roundf, Q8_K rounds half to even like
// ggml's nearest_int, F16C converts with round-to-nearest-even.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"

namespace capibara::avx2 {

namespace {

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// roundf: half away from zero. v - trunc(v) is exact, so the comparison with 0.5 is too.
inline __m256 round_away(__m256 v) {
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 up = _mm256_cmp_ps(abs_ps(_mm256_sub_ps(v, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, _mm256_set1_ps(-0.0f)));  // copysign(1, v)
  return _mm256_add_ps(t, _mm256_and_ps(up, one));
}
inline __m256 round_even(__m256 v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

// Rounds 32 floats (4 vectors, already scaled) to int8 in element order; returns the int32 values too.
template <__m256 (*Round)(__m256)>
inline void round_pack32(const __m256 v[4], int8_t* out, __m256i q32[4]) {
  for (int k = 0; k < 4; ++k) q32[k] = _mm256_cvtps_epi32(Round(v[k]));
  // packs work per 128-bit lane: [0 1 | 2 3] order is fixed by the final dword permute.
  const __m256i p01 = _mm256_packs_epi32(q32[0], q32[1]);
  const __m256i p23 = _mm256_packs_epi32(q32[2], q32[3]);
  const __m256i p = _mm256_packs_epi16(p01, p23);
  const __m256i ordered = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), ordered);
}

}  // namespace

void quantize_row_q8_0(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + 8 * k);
      amax = _mm256_max_ps(amax, abs_ps(v[k]));
    }
    const float d = hmax(amax) / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    const __m256 vid = _mm256_set1_ps(id);
    for (int k = 0; k < 4; ++k) v[k] = _mm256_mul_ps(v[k], vid);
    __m256i q32[4];
    round_pack32<round_away>(v, y[b].qs, q32);
  }
}

void quantize_row_q8_K(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(vy);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    __m256 amax_v = _mm256_setzero_ps();
    for (int k = 0; k < 32; ++k) amax_v = _mm256_max_ps(amax_v, abs_ps(_mm256_loadu_ps(x + 8 * k)));
    const float amax = hmax(amax_v);
    std::memset(&y[b], 0, sizeof y[b]);
    if (amax == 0) continue;
    // The reference scales by the signed value of the first element of largest magnitude.
    float max = amax;
    for (int k = 0; k < 32; ++k) {
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + 8 * k)), _mm256_set1_ps(amax), _CMP_EQ_OQ));
      if (hit) {
        max = x[8 * k + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int c = 0; c < 8; ++c) {
      __m256 v[4];
      for (int k = 0; k < 4; ++k) v[k] = _mm256_mul_ps(_mm256_loadu_ps(x + 32 * c + 8 * k), vs);
      __m256i q32[4];
      round_pack32<round_even>(v, y[b].qs + 32 * c, q32);
      y[b].bsums[2 * c] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q32[0], q32[1])));
      y[b].bsums[2 * c + 1] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q32[2], q32[3])));
    }
    y[b].d = 1 / iscale;
  }
}

void quantize_row_f16(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<uint16_t*>(vy);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void dequantize_row_f16(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const uint16_t*>(vx);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
  for (; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

void dequantize_row_bf16(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const uint16_t*>(vx);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
  }
  for (; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

}  // namespace capibara::avx2
