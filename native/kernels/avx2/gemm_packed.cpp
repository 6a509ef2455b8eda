// Packed Q4_0 / Q8_0 GEMM for AVX2 (no VNNI): 8-row groups in pack.h's layout, one 32-bit ymm lane per
// row. Per 32-element block of a group:
//   - the 8 fp16 row scales convert with one vcvtph2ps;
//   - a 32-byte load at word k gives bytes 4k..4k+3 of every row; vpmaddubsw (u8 x s8, adjacent products
//     summed in saturating s16) multiplies them by the matching 4 activation bytes broadcast to all
//     lanes, and vpmaddwd with ones adds each lane's two s16 pairs into s32;
//   - Q4_0: & 0x0F is elements 4k..4k+3 and >> 4 & 0x0F elements 16+4k..16+4k+3 (unsigned 0..15). A pair
//     is at most 2 * 15 * 128 = 3840 in size, so the pairs of all 8 activation words add up in s16
//     (<= 30720, never saturating) before a single vpmaddwd; the +8 offset is removed by starting the
//     s32 sum at -8 * sum(y) (packed_gemm_x86.h);
//   - Q8_0 (bytes kept signed): the sign trick multiplies |w| (u8) by y carrying w's sign, pairs at most
//     2 * 128 * 127 = 32512 (exact, for activations in -127..127 as quantize_row_q8_0 makes them), but
//     two pairs could saturate s16, so every word gets its own vpmaddwd;
//   - one FMA per token adds d_w * d_y * sum to 8 row accumulators.
// No horizontal sums and no per-row scale loads: the weights stream in one sequential pass. Each row's
// result is the same exact integer block sums scaled and added in block order as the scalar reference,
// so only float rounding differs.
#include <immintrin.h>

#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/pack.h"
#include "kernels/packed_gemm_x86.h"

namespace capibara::avx2 {

namespace {

constexpr int kRows = 8;
// Tokens per tile, the fastest of 2, 3, 4 and 6 on Zen 4: a Q4_0 tile holds 8 unpacked words and 4 token
// accumulators, more than the 16 ymm registers with temporaries, but the few values that spill to L1 cost
// less than unpacking the block again for fewer tokens.
constexpr int kMaxTile = 4;

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m256i bcast32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// One group of 8 rows x T tokens; results for token t to s[t * s_stride + 0..7]. A block's weights are
// loaded and unpacked once for the T tokens (the faster of token-inner and word-outer order, measured on Zen 4).
template <bool kQ4, int T>
void tile(int64_t nb, const uint8_t* group, const BlockQ8_0* const* y, const PackedPrep* const* p, float* s,
          int64_t s_stride) {
  constexpr size_t kBlockBytes = kRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += kBlockBytes) {
    prefetch_ahead<kBlockBytes>(blk);
    __m256i sum[T];  // s32 block sums
    if constexpr (kQ4) {
      // wq[j] multiplies activation word j: low nibbles of word k are elements 4k.., high nibbles 16 + 4k...
      __m256i wq[8];
      for (int k = 0; k < 4; ++k) {
        const __m256i q = load256(blk + 2 * kRows + 32 * k);
        wq[k] = _mm256_and_si256(q, m4);
        wq[k + 4] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      }
      for (int t = 0; t < T; ++t) {
        __m256i s16 = _mm256_maddubs_epi16(wq[0], bcast32(y[t][b].qs));
        for (int k = 1; k < 8; ++k) s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(wq[k], bcast32(y[t][b].qs + 4 * k)));
        sum[t] = _mm256_add_epi32(_mm256_madd_epi16(s16, ones), _mm256_set1_epi32(p[t][b].start));
      }
    } else {
      // Word by word (|w| and the stored signs of all 8 words would take every register).
      for (int k = 0; k < 8; ++k) {
        const __m256i q = load256(blk + 2 * kRows + 32 * k), a = _mm256_abs_epi8(q);
        for (int t = 0; t < T; ++t) {
          const __m256i d =
              _mm256_madd_epi16(_mm256_maddubs_epi16(a, _mm256_sign_epi8(bcast32(y[t][b].qs + 4 * k), q)), ones);
          sum[t] = k == 0 ? d : _mm256_add_epi32(sum[t], d);
        }
      }
    }
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk)));
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(p[t][b].dy)), _mm256_cvtepi32_ps(sum[t]), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(s + t * s_stride, acc[t]);
}

template <bool kQ4>
constexpr PackedTileFn kTiles[kMaxTile + 1] = {nullptr, tile<kQ4, 1>, tile<kQ4, 2>, tile<kQ4, 3>, tile<kQ4, 4>};

}  // namespace

void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ4_0), kPackQ4_0>(sizeof(BlockQ4_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q8_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ8_0), kPackQ8_0>(sizeof(BlockQ8_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  packed_gemm<kRows, kMaxTile, 8>(kTiles<true>, n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q8_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  // No offset to remove: the sign trick multiplies the signed weights directly.
  packed_gemm<kRows, kMaxTile, 0>(kTiles<false>, n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx2
