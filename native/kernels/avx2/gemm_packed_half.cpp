// Packed F16 / BF16 GEMM for AVX2: 8-row groups in pack.h's kPackHalf layout (the 8 rows' values of
// one column side by side, 16 bytes), one ymm lane per row, as avx512/gemm_packed_half.cpp does for 16
// rows. Each column converts to 8 floats once (vcvtph2ps, or a widen and shift for bf16) and meets each
// token's activation in one FMA with a broadcast; the activations (F16 / BF16, the types' vec_dot_type)
// are widened to f32 once per call, exactly. No horizontal sums; a GEMV keeps 4 column accumulators so
// the FMA latency never limits the weight stream. Sums are f32 like the avx2 dot products:
// |err| <= ~1e-6 * sum |x_i y_i|.
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "kernels/avx2/avx2.h"
#include "kernels/pack.h"

namespace capibara::avx2 {

namespace {

constexpr int kRows = 8;
constexpr int kMaxTile = 8;  // 8 accumulators, the weight column and a broadcast within 16 ymm

template <bool kBf16>
inline __m256 widen8(const void* p) {
  const __m128i h = _mm_loadu_si128(static_cast<const __m128i*>(p));
  if constexpr (kBf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  return _mm256_cvtph_ps(h);
}

template <bool kBf16>
inline float widen1(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  if constexpr (kBf16) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  return _cvtsh_ss(h);
}

// Activations of one call widened to f32, per thread, grown on demand and then reused.
float* act_buffer(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

template <bool kBf16, int T>
void tile(int64_t n, const uint8_t* group, const float* const* x, float* s, int64_t s_stride) {
  constexpr int kSplit = T >= 4 ? 1 : 4;  // independent accumulator chains per token
  __m256 acc[kSplit][T];
  for (int u = 0; u < kSplit; ++u)
    for (int t = 0; t < T; ++t) acc[u][t] = _mm256_setzero_ps();
  const int64_t n_main = n / kSplit * kSplit;
  for (int64_t c = 0; c < n_main; c += kSplit)
    for (int u = 0; u < kSplit; ++u) {
      const __m256 w = widen8<kBf16>(group + (c + u) * 2 * kRows);
      for (int t = 0; t < T; ++t) acc[u][t] = _mm256_fmadd_ps(w, _mm256_broadcast_ss(x[t] + c + u), acc[u][t]);
    }
  for (int64_t c = n_main; c < n; ++c) {
    const __m256 w = widen8<kBf16>(group + c * 2 * kRows);
    for (int t = 0; t < T; ++t) acc[0][t] = _mm256_fmadd_ps(w, _mm256_broadcast_ss(x[t] + c), acc[0][t]);
  }
  for (int t = 0; t < T; ++t) {
    __m256 sum = acc[0][t];
    for (int u = 1; u < kSplit; ++u) sum = _mm256_add_ps(sum, acc[u][t]);
    _mm256_storeu_ps(s + t * s_stride, sum);
  }
}

using TileFn = void (*)(int64_t, const uint8_t*, const float* const*, float*, int64_t);

template <bool kBf16>
constexpr TileFn kTiles[kMaxTile + 1] = {nullptr,        tile<kBf16, 1>, tile<kBf16, 2>, tile<kBf16, 3>, tile<kBf16, 4>,
                                         tile<kBf16, 5>, tile<kBf16, 6>, tile<kBf16, 7>, tile<kBf16, 8>};

template <bool kBf16>
void gemm_half(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
               int64_t y_stride) {
  const auto* xb = static_cast<const uint8_t*>(x);
  float* xf = act_buffer(static_cast<size_t>(n * n_tok));
  for (int64_t t = 0; t < n_tok; ++t) {
    const uint8_t* src = xb + t * x_row;
    float* dst = xf + t * n;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen8<kBf16>(src + 2 * i));
    for (; i < n; ++i) dst[i] = widen1<kBf16>(src + 2 * i);
  }
  for_each_packed_row_tile<kRows, kMaxTile, float>(
      w, w_row, n_rows, xf, static_cast<size_t>(n) * sizeof(float), n_tok, y, y_stride,
      [&](const uint8_t* group, const float* const* xs, int nt, float* out) { kTiles<kBf16>[nt](n, group, xs, out, y_stride); });
}

}  // namespace

void pack_half(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackHalf), kPackHalf>(2, 1, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_f16_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                     float* y, int64_t y_stride) {
  gemm_half<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_bf16_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride) {
  gemm_half<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx2
