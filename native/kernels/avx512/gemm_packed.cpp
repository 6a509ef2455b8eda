// Packed Q4_0 / Q8_0 GEMM for AVX-512 VNNI: 16-row groups in pack.h's layouts (kPackQ4_0,
// kPackQ8_0Unsigned), one zmm lane per row.
// Per 32-element block of a group:
//   - the 16 fp16 row scales convert with one vcvtph2ps;
//   - Q4_0: four 64-byte loads give bytes 4k..4k+3 of every row; & 0x0F is elements 4k..4k+3 and
//     >> 4 & 0x0F elements 16+4k..16+4k+3 (Q4_0's nibble order), each multiplied by the matching 4
//     activation bytes broadcast to all lanes (vpdpbusd u8 x s8). Q8_0: eight loads of bytes stored
//     as w + 128;
//   - the unsigned offset (8 for Q4_0, 128 for Q8_0) is removed by starting the s32 sum at
//     -offset * sum(y), computed once per token and block;
//   - one FMA per token adds d_w * d_y * sum to 16 row accumulators.
// No horizontal sums and no per-row scale loads: the weights stream in one sequential pass. Each row's
// result is the same exact integer block sums scaled and added in block order as the scalar
// reference, so only float rounding differs (|err| ~ 1e-6 relative).
#include <immintrin.h>

#include "kernels/avx512/avx512.h"
#include "kernels/pack.h"
#include "kernels/packed_gemm_x86.h"

namespace capibara::avx512 {

namespace {

constexpr int kRows = 16;
constexpr int kMaxTile = 8;  // tokens per tile: 8 accumulators + 8 unpacked weight vectors fit the 32 zmm

// One group of 16 rows x T tokens; results for token t to s[t * s_stride + 0..15].
template <bool kQ4, int T>
void tile(int64_t nb, const uint8_t* group, const BlockQ8_0* const* y, const PackedPrep* const* p, float* s,
          int64_t s_stride) {
  constexpr size_t kBlockBytes = kRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += kBlockBytes) {
    prefetch_ahead<kBlockBytes>(blk);
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
    // wq[j] multiplies activation word j (elements 4j..4j+3): for Q4_0, low nibbles of word k are
    // elements 4k.. and high nibbles elements 16 + 4k.., i.e. words k and k + 4.
    __m512i wq[8];
    for (int k = 0; k < (kQ4 ? 4 : 8); ++k) {
      const __m512i q = _mm512_loadu_si512(blk + 2 * kRows + 64 * k);
      if constexpr (kQ4) {
        wq[k] = _mm512_and_si512(q, m4);
        wq[k + 4] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
      } else {
        wq[k] = q;
      }
    }
    for (int t = 0; t < T; ++t) {
      const auto* y32 = reinterpret_cast<const int32_t*>(y[t][b].qs);
      // Two independent chains halve the vpdpbusd latency on the path.
      __m512i a0 = _mm512_set1_epi32(p[t][b].start), a1 = _mm512_setzero_si512();
      for (int k = 0; k < 4; ++k) {
        a0 = _mm512_dpbusd_epi32(a0, wq[2 * k], _mm512_set1_epi32(y32[2 * k]));
        a1 = _mm512_dpbusd_epi32(a1, wq[2 * k + 1], _mm512_set1_epi32(y32[2 * k + 1]));
      }
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(p[t][b].dy)), _mm512_cvtepi32_ps(_mm512_add_epi32(a0, a1)), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(s + t * s_stride, acc[t]);
}

template <bool kQ4>
constexpr PackedTileFn kTiles[kMaxTile + 1] = {nullptr,         tile<kQ4, 1>, tile<kQ4, 2>, tile<kQ4, 3>, tile<kQ4, 4>,
                                               tile<kQ4, 5>, tile<kQ4, 6>, tile<kQ4, 7>, tile<kQ4, 8>};

template <bool kQ4>
void gemm_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  packed_gemm<kRows, kMaxTile, kQ4 ? 8 : 128>(kTiles<kQ4>, n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace

void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ4_0), kPackQ4_0>(sizeof(BlockQ4_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q8_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ8_0Unsigned), kPackQ8_0Unsigned>(sizeof(BlockQ8_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q8_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx512
