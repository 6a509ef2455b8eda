// Packed 32-element GEMMs for AVX-512 VNNI (Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, IQ4_NL): 16-row groups in
// pack.h's layouts, one zmm lane per row. Per 32-element block of a group:
//   - the 16 fp16 row scales convert with one vcvtph2ps (and Q4_1 / Q5_1's 16 mins with another);
//   - the block unpacks to 8 vectors of unsigned bytes, vector j holding elements 4j..4j+3 of every row
//     in its lane, each multiplied by the matching 4 activation bytes broadcast to all lanes (vpdpbusd
//     u8 x s8):
//       Q4_0 / Q4_1: four 64-byte loads of quant words k; & 0x0F is elements 4k.., >> 4 & 0x0F elements
//         16 + 4k.. (the nibble order of the format);
//       Q5_0 / Q5_1: the same nibbles plus 16 where the row's fifth bit is set: one load gives the 16
//         rows' 32-bit qh words; a byte shuffle copies qh byte j / 2 to the 4 bytes of its row's lane
//         and vptestmb against bytes 1, 2, 4, 8 (or 16 .. 128) masks an add of 16 (q = 0..31);
//       IQ4_NL: the nibbles index a vpshufb table of the levels + 128 (1..241);
//       Q8_0: eight loads of bytes stored as w + 128;
//   - an unsigned offset (8 Q4_0, 16 Q5_0, 128 Q8_0 and IQ4_NL) is removed by starting the s32 sum at
//     -offset * sum(y), computed once per token and block (packed_gemm_x86.h);
//   - one FMA per token adds d_w * d_y * sum to 16 row accumulators, and for Q4_1 / Q5_1 another
//     adds m_w * s_y (Q8_1's s = d_y * sum(y), as the scalar reference applies the min).
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

// The 4 quant words of a 4-bit block: wq[k] low nibbles (elements 4k..), wq[k + 4] high ones.
inline void nibbles(const uint8_t* qs, __m512i* wq) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int k = 0; k < 4; ++k) {
    const __m512i q = _mm512_loadu_si512(qs + 64 * k);
    wq[k] = _mm512_and_si512(q, m4);
    wq[k + 4] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
  }
}

// Adds 16 to byte i of row r's lane in wq[j] where bit 4j + i of row r's qh word is set.
inline void fifth_bits(const uint8_t* qh, __m512i* wq) {
  const __m512i h = _mm512_loadu_si512(qh), sixteen = _mm512_set1_epi8(16);
  const __m512i bits[2] = {_mm512_set1_epi32(0x08040201), _mm512_set1_epi32(static_cast<int>(0x80402010u))};
  for (int b = 0; b < 4; ++b) {  // qh byte b holds the bits of words 2b and 2b + 1
    const int spread = 0x01010101 * b;  // byte b of each 32-bit lane, to the lane's 4 bytes
    const __m512i lane = _mm512_set4_epi32(0x0C0C0C0C + spread, 0x08080808 + spread, 0x04040404 + spread, spread);
    const __m512i hb = _mm512_shuffle_epi8(h, lane);
    for (int e = 0; e < 2; ++e) {
      const int j = 2 * b + e;
      wq[j] = _mm512_mask_add_epi8(wq[j], _mm512_test_epi8_mask(hb, bits[e]), wq[j], sixteen);
    }
  }
}

// One format per weight type: block bytes in a group, unsigned offset, where the mins sit (0: none),
// activation blocks, and the unpacking to 8 unsigned word vectors.
template <size_t kBlock, int kOff, size_t kMinAt, typename Act>
struct Format {
  using X = Act;
  static constexpr size_t kBlockBytes = kRows * kBlock;
  static constexpr int kOffset = kOff;
  static constexpr size_t kMins = kMinAt;
};
struct Q4_0 : Format<sizeof(BlockQ4_0), 8, 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, __m512i* wq) { nibbles(blk + 2 * kRows, wq); }
};
struct Q8_0 : Format<sizeof(BlockQ8_0), 128, 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, __m512i* wq) {
    for (int k = 0; k < 8; ++k) wq[k] = _mm512_loadu_si512(blk + 2 * kRows + 64 * k);
  }
};
struct Q4_1 : Format<sizeof(BlockQ4_1), 0, 2 * kRows, BlockQ8_1> {
  static void unpack(const uint8_t* blk, __m512i* wq) { nibbles(blk + 4 * kRows, wq); }
};
struct Q5_0 : Format<sizeof(BlockQ5_0), 16, 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, __m512i* wq) {
    nibbles(blk + 6 * kRows, wq);
    fifth_bits(blk + 2 * kRows, wq);
  }
};
struct Q5_1 : Format<sizeof(BlockQ5_1), 0, 2 * kRows, BlockQ8_1> {
  static void unpack(const uint8_t* blk, __m512i* wq) {
    nibbles(blk + 8 * kRows, wq);
    fifth_bits(blk + 4 * kRows, wq);
  }
};
struct Iq4Nl : Format<sizeof(BlockIq4Nl), 128, 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, __m512i* wq) {
    const __m512i table = _mm512_add_epi8(
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues))), _mm512_set1_epi8(static_cast<char>(0x80)));
    nibbles(blk + 2 * kRows, wq);
    for (int j = 0; j < 8; ++j) wq[j] = _mm512_shuffle_epi8(table, wq[j]);
  }
};

// One group of 16 rows x T tokens; results for token t to s[t * s_stride + 0..15].
template <typename F, int T>
void tile(int64_t nb, const uint8_t* group, const typename F::X* const* y, const PackedPrep* const* p, float* s,
          int64_t s_stride) {
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += F::kBlockBytes) {
    prefetch_ahead<F::kBlockBytes, (T > 1)>(blk);
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
    __m512i wq[8];
    F::unpack(blk, wq);
    for (int t = 0; t < T; ++t) {
      const auto* y32 = reinterpret_cast<const int32_t*>(y[t][b].qs);
      // Two independent chains halve the vpdpbusd latency on the path.
      __m512i a0 = _mm512_set1_epi32(p[t][b].start), a1 = _mm512_setzero_si512();
      for (int k = 0; k < 4; ++k) {
        a0 = _mm512_dpbusd_epi32(a0, wq[2 * k], _mm512_set1_epi32(y32[2 * k]));
        a1 = _mm512_dpbusd_epi32(a1, wq[2 * k + 1], _mm512_set1_epi32(y32[2 * k + 1]));
      }
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(p[t][b].dy)), _mm512_cvtepi32_ps(_mm512_add_epi32(a0, a1)), acc[t]);
      if constexpr (F::kMins != 0) {
        const __m512 mw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + F::kMins)));
        acc[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(p[t][b].sy), acc[t]);
      }
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(s + t * s_stride, acc[t]);
}

template <typename F>
constexpr PackedTileFnOf<typename F::X> kTiles[kMaxTile + 1] = {nullptr,      tile<F, 1>, tile<F, 2>, tile<F, 3>, tile<F, 4>,
                                                                 tile<F, 5>, tile<F, 6>, tile<F, 7>, tile<F, 8>};

template <typename F>
void gemm_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  packed_gemm<kRows, kMaxTile, F::kOffset, typename F::X>(kTiles<F>, n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

template <size_t kFields, const PackField (&kLayout)[kFields], typename Block>
void pack(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, kFields, kLayout>(sizeof(Block), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

}  // namespace

void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ4_0), kPackQ4_0, BlockQ4_0>(src, row_bytes, n_rows, n_cols, dst);
}
void pack_q8_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ8_0Unsigned), kPackQ8_0Unsigned, BlockQ8_0>(src, row_bytes, n_rows, n_cols, dst);
}
void pack_q4_1(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ4_1), kPackQ4_1, BlockQ4_1>(src, row_bytes, n_rows, n_cols, dst);
}
void pack_q5_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ5_0), kPackQ5_0, BlockQ5_0>(src, row_bytes, n_rows, n_cols, dst);
}
void pack_q5_1(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ5_1), kPackQ5_1, BlockQ5_1>(src, row_bytes, n_rows, n_cols, dst);
}
void pack_iq4_nl(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ4_0), kPackQ4_0, BlockIq4Nl>(src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q4_0>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q8_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q8_0>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q4_1_q8_1_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q4_1>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q5_0>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_1_q8_1_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q5_1>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_iq4_nl_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                             int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Iq4Nl>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx512
