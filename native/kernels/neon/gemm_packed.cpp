// Packed 32-element GEMMs for NEON with the dot-product extension (Q4_0, Q8_0, Q4_1, Q5_0, Q5_1,
// IQ4_NL): 4-row groups in pack.h's layouts, one s32 / f32 lane per row. Per 32-element block of a group:
//   - the 4 fp16 row scales convert with one fcvtl and are multiplied by each token's d_y (Q4_1 / Q5_1's
//     4 mins convert the same way);
//   - the block unpacks to 8 vectors of signed bytes, vector j holding elements 4j..4j+3 of every row in
//     its lane; `sdot acc.4s, w.16b, y.4b[lane]` multiplies every row lane by the 4 activation bytes in
//     one lane of y, the block's activations being loaded once as y0 (elements 0..15) and y1 (16..31):
//       Q8_0: each 16-byte load is word k of the 4 rows;
//       Q4_0: packed with every byte XORed with 0x88, which turns each nibble n into the 4-bit two's
//         complement of n - 8, so (b << 4) and (b & 0xF0) read as signed bytes are 16 * (low - 8) and
//         16 * (high - 8): one instruction per 16 weights and no offset term. The factor 16 (a power of
//         two: exact in the integer sums, in every float product and sum) is removed by one multiply by
//         1/16 per result;
//       Q4_1: b & 0x0F and b >> 4 (0..15); Q5_1 adds 16 where the fifth bit is set, Q5_0 reads the same
//         5 bits as q - 16 by filling the top nibble (0xF0 | n = n - 16) where it is clear. One load gives
//         the 4 rows' qh words; a table lookup copies qh byte j / 2 to the 4 bytes of its row's lane and
//         cmtst against bytes 1, 2, 4, 8 (or 16 .. 128) selects them;
//       IQ4_NL: the nibbles index a 16-byte table of the levels (tbl);
//     low nibbles of word k are elements 4k..4k+3 (y0 lane k), high nibbles 16+4k.. (y1 lane k);
//   - one FMA per token adds d_w * d_y * sum to the 4 row lanes, and for Q4_1 / Q5_1 another adds
//     m_w * s_y (Q8_1's s = d_y * sum(y)). No horizontal sums.
// Each row's result is the same exact integer block sums scaled and added in block order as the
// unpacked kernels, so only float rounding differs.
//
// Tile: 4 rows x up to 4 tokens; each block's weights are unpacked once for the tile's tokens. That
// holds 8 weight registers, 4 accumulators and the per-token temporaries in the 32 q-registers. Larger
// token tiles made GCC 12 keep the accumulators on the stack (seen in the disassembly) to save only the
// unpack, 8 instructions per 32 sdot. 8 rows would need 16 weight registers (tiles of 2 tokens) for
// the same instruction count per multiply-add: the scale multiply, convert and FMA cost one
// instruction per 4 row lanes either way.
// SDOT is emitted through inline assembly as in int8_dot.h (this folder targets base ARMv8-A), so
// dispatch.cpp installs these kernels only when the CPU reports dotprod.
#include <arm_neon.h>

#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/pack.h"

namespace capibara::neon {

namespace {

constexpr int kRows = 4;
constexpr int kMaxTile = 4;  // tokens per tile (see above)

// The block's integer sums of the 4 rows; wq[j] holds the rows' elements 4j..4j+3. Two independent
// chains halve the sdot latency on the path.
inline int32x4_t block_sum(const int8x16_t* wq, int8x16_t y0, int8x16_t y1) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = vdupq_n_s32(0);
  a0 = sdot_lane<0>(a0, wq[0], y0);
  a1 = sdot_lane<1>(a1, wq[1], y0);
  a0 = sdot_lane<2>(a0, wq[2], y0);
  a1 = sdot_lane<3>(a1, wq[3], y0);
  a0 = sdot_lane<0>(a0, wq[4], y1);
  a1 = sdot_lane<1>(a1, wq[5], y1);
  a0 = sdot_lane<2>(a0, wq[6], y1);
  a1 = sdot_lane<3>(a1, wq[7], y1);
  return vaddq_s32(a0, a1);
}

// The 4 quant words of a 4-bit block as unsigned levels: wq[k] low nibbles (elements 4k..), wq[k + 4] high.
inline void nibbles(const uint8_t* qs, int8x16_t* wq) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  for (int k = 0; k < 4; ++k) {
    const uint8x16_t v = vld1q_u8(qs + 16 * k);
    wq[k] = vreinterpretq_s8_u8(vandq_u8(v, m4));
    wq[k + 4] = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
  }
}

// The fifth bits of word j: 0xFF in byte i of row r's lane where bit 4j + i of row r's qh word is set.
template <typename Fn>
inline void fifth_bits(const uint8_t* qh, Fn&& fn) {
  static const uint8_t kSpread[16] = {0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12};
  const uint8x16_t h = vld1q_u8(qh), spread = vld1q_u8(kSpread);
  const uint8x16_t bits[2] = {vreinterpretq_u8_u32(vdupq_n_u32(0x08040201)), vreinterpretq_u8_u32(vdupq_n_u32(0x80402010u))};
  for (int b = 0; b < 4; ++b) {  // qh byte b holds the bits of words 2b and 2b + 1
    const uint8x16_t hb = vqtbl1q_u8(h, vaddq_u8(spread, vdupq_n_u8(static_cast<uint8_t>(b))));
    for (int e = 0; e < 2; ++e) fn(2 * b + e, vtstq_u8(hb, bits[e]));
  }
}

// One format per weight type: block bytes in a group, where the mins sit (0: none), the factor that
// undoes a scaled encoding, activation blocks, and the unpacking to 8 signed word vectors.
template <size_t kBlock, size_t kMinAt, typename Act>
struct Format {
  using X = Act;
  static constexpr size_t kBlockBytes = kRows * kBlock;
  static constexpr size_t kMins = kMinAt;
  static constexpr float kScale = 1.0f;
};
struct Q4_0 : Format<sizeof(BlockQ4_0), 0, BlockQ8_0> {
  static constexpr float kScale = 1.0f / 16;
  static void unpack(const uint8_t* blk, int8x16_t* wq) {
    const int8x16_t high = vdupq_n_s8(static_cast<int8_t>(0xF0));
    for (int k = 0; k < 4; ++k) {
      const int8x16_t v = vld1q_s8(reinterpret_cast<const int8_t*>(blk + 2 * kRows + 16 * k));
      wq[k] = vshlq_n_s8(v, 4);
      wq[k + 4] = vandq_s8(v, high);
    }
  }
};
struct Q8_0 : Format<sizeof(BlockQ8_0), 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, int8x16_t* wq) {
    for (int k = 0; k < 8; ++k) wq[k] = vld1q_s8(reinterpret_cast<const int8_t*>(blk + 2 * kRows + 16 * k));
  }
};
struct Q4_1 : Format<sizeof(BlockQ4_1), 2 * kRows, BlockQ8_1> {
  static void unpack(const uint8_t* blk, int8x16_t* wq) { nibbles(blk + 4 * kRows, wq); }
};
struct Q5_0 : Format<sizeof(BlockQ5_0), 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, int8x16_t* wq) {
    nibbles(blk + 6 * kRows, wq);
    const uint8x16_t top = vdupq_n_u8(0xF0);
    fifth_bits(blk + 2 * kRows, [&](int j, uint8x16_t set) { wq[j] = vorrq_s8(wq[j], vreinterpretq_s8_u8(vbicq_u8(top, set))); });
  }
};
struct Q5_1 : Format<sizeof(BlockQ5_1), 2 * kRows, BlockQ8_1> {
  static void unpack(const uint8_t* blk, int8x16_t* wq) {
    nibbles(blk + 8 * kRows, wq);
    const uint8x16_t sixteen = vdupq_n_u8(0x10);
    fifth_bits(blk + 4 * kRows, [&](int j, uint8x16_t set) { wq[j] = vorrq_s8(wq[j], vreinterpretq_s8_u8(vandq_u8(set, sixteen))); });
  }
};
struct Iq4Nl : Format<sizeof(BlockIq4Nl), 0, BlockQ8_0> {
  static void unpack(const uint8_t* blk, int8x16_t* wq) {
    const int8x16_t table = vld1q_s8(kIq4nlValues);
    nibbles(blk + 2 * kRows, wq);
    for (int j = 0; j < 8; ++j) wq[j] = vqtbl1q_s8(table, vreinterpretq_u8_s8(wq[j]));
  }
};

inline float32x4_t f16x1(const uint16_t* h) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(h))); }

// One group of 4 rows x T tokens (activation rows x + t * x_row); results for token t to s[t * s_stride + 0..3].
template <typename F, int T>
void tile(int64_t nb, const uint8_t* group, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  using X = typename F::X;
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += F::kBlockBytes) {
    const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    int8x16_t wq[8];
    F::unpack(blk, wq);
    for (int t = 0; t < T; ++t) {
      const X& yb = reinterpret_cast<const X*>(x + t * x_row)[b];
      const int32x4_t sum = block_sum(wq, vld1q_s8(yb.qs), vld1q_s8(yb.qs + 16));
      acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(sum), vmulq_f32(dw, f16x1(&yb.d)));
      if constexpr (F::kMins != 0) acc[t] = vfmaq_f32(acc[t], vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk + F::kMins))), f16x1(&yb.s));
    }
  }
  for (int t = 0; t < T; ++t) vst1q_f32(s + t * s_stride, F::kScale != 1.0f ? vmulq_n_f32(acc[t], F::kScale) : acc[t]);
}

using TileFn = void (*)(int64_t, const uint8_t*, const uint8_t*, size_t, float*, int64_t);

template <typename F>
constexpr TileFn kTiles[kMaxTile + 1] = {nullptr, tile<F, 1>, tile<F, 2>, tile<F, 3>, tile<F, 4>};

template <typename F>
void gemm_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  const int64_t nb = n / kQK0;
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    kTiles<F>[nt](nb, group, xb + t0 * x_row, x_row, out, y_stride);
  });
}

template <size_t kFields, const PackField (&kLayout)[kFields], typename Block>
void pack(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, kFields, kLayout>(sizeof(Block), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

}  // namespace

void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack<std::size(kPackQ4_0Signed), kPackQ4_0Signed, BlockQ4_0>(src, row_bytes, n_rows, n_cols, dst);
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

void gemm_q4_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q4_0>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q8_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q8_0>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q4_1_q8_1_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q4_1>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q5_0>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_q5_1_q8_1_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Q5_1>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}
void gemm_iq4_nl_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                     int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<Iq4Nl>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
