// Packed Q4_0 / Q8_0 GEMM for NEON with the dot-product extension: 4-row groups in pack.h's layout, one
// s32 / f32 lane per row. Per 32-element block of a group:
//   - the 4 fp16 row scales convert with one fcvtl and are multiplied by each token's d_y;
//   - each 16-byte load is 4-byte word k of the 4 rows; `sdot acc.4s, w.16b, y.4b[lane]` multiplies
//     every row lane by the 4 activation bytes in one lane of y, the block's activations being loaded
//     once as y0 (elements 0..15) and y1 (16..31). Q8_0 word k meets y0 lane k (k < 4) or y1 lane k - 4;
//   - Q4_0 is packed with every byte XORed with 0x88, which turns each nibble n into the 4-bit two's
//     complement of n - 8, so (b << 4) and (b & 0xF0) read as signed bytes are 16 * (low - 8) and
//     16 * (high - 8): one instruction per 16 weights and no offset term. Low nibbles of word k are
//     elements 4k..4k+3 (y0 lane k), high nibbles elements 16+4k..16+4k+3 (y1 lane k). The factor 16
//     (a power of two: exact in the integer sums, in every float product and sum) is removed by one
//     multiply by 1/16 per result;
//   - one FMA per token adds d_w * d_y * sum to the 4 row lanes. No horizontal sums.
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

// One group of 4 rows x T tokens (Q8_0 rows x + t * x_row); results for token t to s[t * s_stride + 0..3].
template <bool kQ4, int T>
void tile(int64_t nb, const uint8_t* group, const uint8_t* x, size_t x_row, float* s, int64_t s_stride) {
  constexpr size_t kBlockBytes = kRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const int8x16_t high = vdupq_n_s8(static_cast<int8_t>(0xF0));
  float32x4_t acc[T];
  for (int t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += kBlockBytes) {
    const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2 * kRows);
    int8x16_t wq[8];
    for (int k = 0; k < (kQ4 ? 4 : 8); ++k) {
      const int8x16_t v = vld1q_s8(q + 16 * k);
      if constexpr (kQ4) {
        wq[k] = vshlq_n_s8(v, 4);
        wq[k + 4] = vandq_s8(v, high);
      } else {
        wq[k] = v;
      }
    }
    for (int t = 0; t < T; ++t) {
      const BlockQ8_0& yb = reinterpret_cast<const BlockQ8_0*>(x + t * x_row)[b];
      const float32x4_t dy = vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(&yb.d)));
      const int32x4_t sum = block_sum(wq, vld1q_s8(yb.qs), vld1q_s8(yb.qs + 16));
      acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(sum), vmulq_f32(dw, dy));
    }
  }
  for (int t = 0; t < T; ++t) vst1q_f32(s + t * s_stride, kQ4 ? vmulq_n_f32(acc[t], 1.0f / 16) : acc[t]);
}

template <bool kQ4>
using TileFn = void (*)(int64_t, const uint8_t*, const uint8_t*, size_t, float*, int64_t);

template <bool kQ4>
constexpr TileFn<kQ4> kTiles[kMaxTile + 1] = {nullptr, tile<kQ4, 1>, tile<kQ4, 2>, tile<kQ4, 3>, tile<kQ4, 4>};

template <bool kQ4>
void gemm_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  const int64_t nb = n / kQK0;
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    kTiles<kQ4>[nt](nb, group, xb + t0 * x_row, x_row, out, y_stride);
  });
}

}  // namespace

void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ4_0Signed), kPackQ4_0Signed>(sizeof(BlockQ4_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q8_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ8_0), kPackQ8_0>(sizeof(BlockQ8_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q8_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
