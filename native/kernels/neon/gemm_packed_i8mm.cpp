// Packed Q4_0 / Q8_0 GEMM for NEON with i8mm (SMMLA): 4-row groups in pack.h's layout with 8-byte
// interleave units, so one 16-byte load at unit u of the group is bytes 8u..8u+7 of rows 0 and 1 (the next
// load: rows 2 and 3), which is SMMLA's 2 x 8 left operand as it stands. Per 32-element block:
//   - the activations of a token pair (t, t') become SMMLA's right operands with one zip per 8 bytes:
//     [t bytes 8u..8u+7 | t' bytes 8u..8u+7] for u = 0..3;
//   - 4 SMMLA per row pair and token pair give the whole block's integer sums in lanes
//     (r t, r t', r+1 t, r+1 t'); one FMA scales them by d_w * d_y (scales laid out the same way);
//   - Q4_0 is packed XORed with 0x88 as for the SDOT kernels (gemm_packed.cpp): (b << 4) and (b & 0xF0)
//     are 16 * (low - 8) and 16 * (high - 8). Unit 0 holds bytes 0..7, i.e. elements 0..7 (low nibbles)
//     and 16..23 (high), unit 1 elements 8..15 and 24..31: they meet activation units 0, 2, 1, 3.
// SMMLA does 32 multiply-adds where SDOT does 16, at the same issue rate on Neoverse V2, so a GEMM of
// 4 rows x 4 tokens takes 16 SMMLA per block instead of 32 SDOT. An odd last token is paired with itself
// (its duplicate's results are dropped); a single token (decode) runs the same operands through SDOT.
// Each result is the same exact integer block sums scaled and added in block order as the other
// kernels, so only float rounding differs. dispatch.cpp installs these only when the CPU reports i8mm.
#include <arm_neon.h>

#include "kernels/neon/int8_dot.h"
#include "kernels/neon/neon.h"
#include "kernels/pack.h"

namespace capibara::neon {

namespace {

constexpr int kRows = 4;
constexpr int kPairs = 2;            // token pairs per tile: 4 weight, 8 activation and 4 accumulator registers
constexpr int kMaxTile = 2 * kPairs;  // tokens per tile

constexpr PackField kPackQ4_0Mm[] = {{0, 2, 2, 0}, {2, 16, 8, 0x88}};  // d | qs ^ 0x88, 8-byte units
constexpr PackField kPackQ8_0Mm[] = {{0, 2, 2, 0}, {2, 32, 8, 0}};     // d | qs, 8-byte units

// A block's weights as SMMLA left operands: wq[p][u] holds rows 2p, 2p + 1 against activation unit u.
template <bool kQ4>
inline void load_weights(const uint8_t* blk, int8x16_t high, int8x16_t (&wq)[2][4]) {
  const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2 * kRows);
  for (int p = 0; p < 2; ++p) {
    if constexpr (kQ4) {
      for (int u = 0; u < 2; ++u) {
        const int8x16_t v = vld1q_s8(q + 32 * u + 16 * p);
        wq[p][u] = vshlq_n_s8(v, 4);
        wq[p][u + 2] = vandq_s8(v, high);
      }
    } else {
      for (int u = 0; u < 4; ++u) wq[p][u] = vld1q_s8(q + 32 * u + 16 * p);
    }
  }
}

// One token (the GEMV of decode): SMMLA would waste half its work on a duplicate token, so the same
// operands go through SDOT instead, against activation unit u in both halves. Lanes of row pair p are
// (row 2p bytes 0..3, its bytes 4..7, row 2p + 1 bytes 0..3, 4..7); one pairwise add gives rows 0..3.
template <bool kQ4>
void tile_gemv(int64_t nb, const uint8_t* group, const uint8_t* x, float* s) {
  constexpr size_t kBlockBytes = kRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const int8x16_t high = vdupq_n_s8(static_cast<int8_t>(0xF0));
  float32x4_t acc = vdupq_n_f32(0.0f);
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += kBlockBytes) {
    const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    int8x16_t wq[2][4];
    load_weights<kQ4>(blk, high, wq);
    const BlockQ8_0& yb = reinterpret_cast<const BlockQ8_0*>(x)[b];
    const int64x2_t y0 = vreinterpretq_s64_s8(vld1q_s8(yb.qs)), y1 = vreinterpretq_s64_s8(vld1q_s8(yb.qs + 16));
    const int8x16_t yq[4] = {vreinterpretq_s8_s64(vdupq_laneq_s64(y0, 0)), vreinterpretq_s8_s64(vdupq_laneq_s64(y0, 1)),
                             vreinterpretq_s8_s64(vdupq_laneq_s64(y1, 0)), vreinterpretq_s8_s64(vdupq_laneq_s64(y1, 1))};
    int32x4_t a[2];
    for (int p = 0; p < 2; ++p) {
      a[p] = vdupq_n_s32(0);
      for (int u = 0; u < 4; ++u) a[p] = dot16_acc<true>(a[p], wq[p][u], yq[u]);
    }
    const float32x4_t dy = vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(&yb.d)));
    acc = vfmaq_f32(acc, vcvtq_f32_s32(vpaddq_s32(a[0], a[1])), vmulq_f32(dw, dy));
  }
  vst1q_f32(s, kQ4 ? vmulq_n_f32(acc, 1.0f / 16) : acc);
}

// One group of 4 rows x P token pairs; x[2p], x[2p + 1] are the pair's Q8_0 rows, token j's 4 results go
// to s[j * s_stride + 0..3] for j < nt.
template <bool kQ4, int P>
void tile(int64_t nb, const uint8_t* group, const uint8_t* const* x, int nt, float* s, int64_t s_stride) {
  constexpr size_t kBlockBytes = kRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const int8x16_t high = vdupq_n_s8(static_cast<int8_t>(0xF0));
  float32x4_t acc[2][P];  // [row pair][token pair]
  for (auto& a : acc)
    for (auto& v : a) v = vdupq_n_f32(0.0f);
  const uint8_t* blk = group;
  for (int64_t b = 0; b < nb; ++b, blk += kBlockBytes) {
    const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(blk)));
    const float32x4_t dwp[2] = {vzip1q_f32(dw, dw), vzip2q_f32(dw, dw)};  // (d0, d0, d1, d1), (d2, d2, d3, d3)
    int8x16_t wq[2][4];  // [row pair][activation unit]
    load_weights<kQ4>(blk, high, wq);
    for (int j = 0; j < P; ++j) {
      const BlockQ8_0& ya = reinterpret_cast<const BlockQ8_0*>(x[2 * j])[b];
      const BlockQ8_0& yb = reinterpret_cast<const BlockQ8_0*>(x[2 * j + 1])[b];
      const int8x16_t a0 = vld1q_s8(ya.qs), a1 = vld1q_s8(ya.qs + 16);
      const int8x16_t b0 = vld1q_s8(yb.qs), b1 = vld1q_s8(yb.qs + 16);
      const int8x16_t yq[4] = {lo_pair(a0, b0), hi_pair(a0, b0), lo_pair(a1, b1), hi_pair(a1, b1)};
      // (d_a, d_b, d_a, d_b): both fp16 scales into one 32-bit lane, duplicated.
      const uint16x4_t dd = vld1_lane_u16(&yb.d, vld1_dup_u16(&ya.d), 1);
      const float32x4_t dy = vcvt_f32_f16(vreinterpret_f16_u32(vdup_lane_u32(vreinterpret_u32_u16(dd), 0)));
      // One chain per row pair: the 2 P chains of a block and the next block's overlap out of order.
      for (int p = 0; p < 2; ++p)
        acc[p][j] = vfmaq_f32(acc[p][j], vcvtq_f32_s32(smmla_sum4(wq[p], yq)), vmulq_f32(dwp[p], dy));
    }
  }
  // Lanes (r t, r t', r+1 t, r+1 t') of row pair p, token pair j back to token-major rows.
  const float f = kQ4 ? 1.0f / 16 : 1.0f;
  for (int j = 0; j < P; ++j) {
    const float32x4_t lo = vmulq_n_f32(acc[0][j], f), hi = vmulq_n_f32(acc[1][j], f);
    vst1q_f32(s + 2 * j * s_stride, vuzp1q_f32(lo, hi));  // even lanes: token t, rows 0..3
    if (2 * j + 1 < nt) vst1q_f32(s + (2 * j + 1) * s_stride, vuzp2q_f32(lo, hi));
  }
}

template <bool kQ4>
void gemm_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  const int64_t nb = n / kQK0;
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    if (nt == 1) return tile_gemv<kQ4>(nb, group, xb + t0 * x_row, out);
    const uint8_t* rows[kMaxTile];
    for (int j = 0; j < kMaxTile; ++j) rows[j] = xb + (t0 + (j < nt ? j : nt - 1)) * x_row;  // odd: last token twice
    if (nt > 2)
      tile<kQ4, 2>(nb, group, rows, nt, out, y_stride);
    else
      tile<kQ4, 1>(nb, group, rows, nt, out, y_stride);
  });
}

}  // namespace

void pack_q4_0_i8mm(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ4_0Mm), kPackQ4_0Mm>(sizeof(BlockQ4_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q8_0_i8mm(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ8_0Mm), kPackQ8_0Mm>(sizeof(BlockQ8_0), kQK0, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_0_q8_0_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q8_0_q8_0_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride) {
  gemm_packed<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::neon
