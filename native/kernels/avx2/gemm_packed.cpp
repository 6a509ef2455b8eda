// Packed 32-element GEMMs for AVX2 (no VNNI): Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, IQ4_NL in 8-row groups of
// pack.h's layouts, one 32-bit ymm lane per row. Per 32-element block of a group:
//   - the 8 fp16 row scales convert with one vcvtph2ps (and Q4_1 / Q5_1's 8 mins with another);
//   - a 32-byte load at word k gives bytes 4k..4k+3 of every row; vpmaddubsw (u8 x s8, adjacent products
//     summed in saturating s16) multiplies them by the matching 4 activation bytes broadcast to all
//     lanes, and vpmaddwd with ones adds each lane's s16 pairs into s32;
//   - unsigned formats unpack the block to 8 word vectors, vector j holding elements 4j..4j+3:
//       Q4_0 / Q4_1: & 0x0F is elements 4k.., >> 4 & 0x0F elements 16 + 4k.. (0..15). A pair is at most
//         2 * 15 * 128 = 3840 in size, so all 8 words' pairs add up in s16 (<= 30720, never saturating)
//         before a single vpmaddwd;
//       Q5_0 / Q5_1: plus 16 where the fifth bit is set (one load gives the 8 rows' qh words, a byte
//         shuffle copies qh byte j / 2 to the 4 bytes of its row's lane, a compare against bytes 1, 2, 4,
//         8 (or 16 .. 128) selects them): pairs up to 2 * 31 * 128 = 7936, so 4 words per vpmaddwd;
//     and an unsigned offset (8 Q4_0, 16 Q5_0) is removed by starting the s32 sum at -offset * sum(y)
//     (packed_gemm_x86.h);
//   - signed formats go word by word with the sign trick, |w| (u8) times y carrying w's sign: Q8_0's
//     bytes (kept signed) and IQ4_NL's levels (a vpshufb lookup of the nibbles). Pairs reach
//     2 * 128 * 127 = 32512 (exact, for activations in -127..127 as quantize_row_q8_0 makes them), and
//     two pairs could saturate s16, so every word gets its own vpmaddwd;
//   - one FMA per token adds d_w * d_y * sum to 8 row accumulators, and for Q4_1 / Q5_1 another adds
//     m_w * s_y (Q8_1's s = d_y * sum(y)).
// No horizontal sums and no per-row scale loads: the weights stream in one sequential pass. Each row's
// result is the same exact integer block sums scaled and added in block order as the scalar reference,
// so only float rounding differs.
#include <immintrin.h>


#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"
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
// The 4 quant words of a 4-bit block: wq[k] low nibbles (elements 4k..), wq[k + 4] high ones.
inline void nibbles(const uint8_t* qs, __m256i* wq) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int k = 0; k < 4; ++k) {
    const __m256i q = load256(qs + 32 * k);
    wq[k] = _mm256_and_si256(q, m4);
    wq[k + 4] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
  }
}

// ORs 16 into byte i of row r's lane in wq[j] where bit 4j + i of row r's qh word is set.
inline void fifth_bits(const uint8_t* qh, __m256i* wq) {
  const __m256i h = load256(qh), sixteen = _mm256_set1_epi8(16);
  const __m256i bits[2] = {_mm256_set1_epi32(0x08040201), _mm256_set1_epi32(static_cast<int>(0x80402010u))};
  for (int b = 0; b < 4; ++b) {  // qh byte b holds the bits of words 2b and 2b + 1
    const int spread = 0x01010101 * b;  // byte b of each 32-bit lane, to the lane's 4 bytes
    const __m256i lane = _mm256_setr_epi32(spread, 0x04040404 + spread, 0x08080808 + spread, 0x0C0C0C0C + spread, spread,
                                           0x04040404 + spread, 0x08080808 + spread, 0x0C0C0C0C + spread);
    const __m256i hb = _mm256_shuffle_epi8(h, lane);
    for (int e = 0; e < 2; ++e) {
      const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(hb, bits[e]), bits[e]);
      wq[2 * b + e] = _mm256_or_si256(wq[2 * b + e], _mm256_and_si256(set, sixteen));
    }
  }
}

inline __m256i iq4_table() { return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues))); }

// One format per weight type: block bytes in a group, unsigned offset, where the mins sit (0: none),
// activation blocks, and either unpack (unsigned words, kWords of them summed in s16 per vpmaddwd) or
// words (signed words handed one by one to the tile as fn(j, w)).
template <size_t kBlock, int kOff, size_t kMinAt, typename Act, int kWordsPerSum>
struct Format {
  using X = Act;
  static constexpr size_t kBlockBytes = kRows * kBlock;
  static constexpr int kOffset = kOff;
  static constexpr size_t kMins = kMinAt;
  static constexpr int kWords = kWordsPerSum;  // 0: a signed format
};
struct Q4_0 : Format<sizeof(BlockQ4_0), 8, 0, BlockQ8_0, 8> {
  static void unpack(const uint8_t* blk, __m256i* wq) { nibbles(blk + 2 * kRows, wq); }
};
struct Q4_1 : Format<sizeof(BlockQ4_1), 0, 2 * kRows, BlockQ8_1, 8> {
  static void unpack(const uint8_t* blk, __m256i* wq) { nibbles(blk + 4 * kRows, wq); }
};
struct Q5_0 : Format<sizeof(BlockQ5_0), 16, 0, BlockQ8_0, 4> {
  static void unpack(const uint8_t* blk, __m256i* wq) {
    nibbles(blk + 6 * kRows, wq);
    fifth_bits(blk + 2 * kRows, wq);
  }
};
struct Q5_1 : Format<sizeof(BlockQ5_1), 0, 2 * kRows, BlockQ8_1, 4> {
  static void unpack(const uint8_t* blk, __m256i* wq) {
    nibbles(blk + 8 * kRows, wq);
    fifth_bits(blk + 4 * kRows, wq);
  }
};
struct Q8_0 : Format<sizeof(BlockQ8_0), 0, 0, BlockQ8_0, 0> {
  // Word by word (|w| and the stored signs of all 8 words would take every register).
  template <typename Fn>
  static void words(const uint8_t* blk, Fn&& fn) {
    for (int k = 0; k < 8; ++k) fn(k, load256(blk + 2 * kRows + 32 * k));
  }
};
struct Iq4Nl : Format<sizeof(BlockIq4Nl), 0, 0, BlockQ8_0, 0> {
  template <typename Fn>
  static void words(const uint8_t* blk, Fn&& fn) {
    const __m256i table = iq4_table(), m4 = _mm256_set1_epi8(0x0F);
    for (int k = 0; k < 4; ++k) {
      const __m256i q = load256(blk + 2 * kRows + 32 * k);
      fn(k, _mm256_shuffle_epi8(table, _mm256_and_si256(q, m4)));
      fn(k + 4, _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)));
    }
  }
};

// One group of 8 rows x T tokens; results for token t to s[t * s_stride + 0..7]. A block's weights are
// loaded and unpacked once for the T tokens (the faster of token-inner and word-outer order, measured on Zen 4).
template <typename F, int T>
void tile(int64_t nb, const uint8_t* group, const typename F::X* const* y, const PackedPrep* const* p, float* s,
          int64_t s_stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += F::kBlockBytes) {
    prefetch_ahead<F::kBlockBytes>(blk);
    __m256i sum[T];  // s32 block sums
    for (int t = 0; t < T; ++t) sum[t] = _mm256_set1_epi32(p[t][b].start);
    if constexpr (F::kWords > 0) {
      __m256i wq[8];  // wq[j] multiplies activation word j
      F::unpack(blk, wq);
      for (int t = 0; t < T; ++t) {
        for (int k0 = 0; k0 < 8; k0 += F::kWords) {
          __m256i s16 = _mm256_maddubs_epi16(wq[k0], bcast32(y[t][b].qs + 4 * k0));
          for (int k = k0 + 1; k < k0 + F::kWords; ++k) s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(wq[k], bcast32(y[t][b].qs + 4 * k)));
          sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(s16, ones));
        }
      }
    } else {
      F::words(blk, [&](int j, __m256i q) {
        const __m256i a = _mm256_abs_epi8(q);
        for (int t = 0; t < T; ++t)
          sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(_mm256_maddubs_epi16(a, _mm256_sign_epi8(bcast32(y[t][b].qs + 4 * j), q)), ones));
      });
    }
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk)));
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(p[t][b].dy)), _mm256_cvtepi32_ps(sum[t]), acc[t]);
      if constexpr (F::kMins != 0) {
        const __m256 mw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + F::kMins)));
        acc[t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(p[t][b].sy), acc[t]);
      }
    }
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(s + t * s_stride, acc[t]);
}

template <typename F>
constexpr PackedTileFnOf<typename F::X> kTiles[kMaxTile + 1] = {nullptr, tile<F, 1>, tile<F, 2>, tile<F, 3>, tile<F, 4>};

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
  pack<std::size(kPackQ8_0), kPackQ8_0, BlockQ8_0>(src, row_bytes, n_rows, n_cols, dst);
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
  // No offset to remove: the sign trick multiplies the signed weights directly.
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

}  // namespace capibara::avx2
