// Reference quantisers and dequantisers of the non-linear 4-bit types IQ4_NL (32-element blocks) and
// IQ4_XS (256-element super-blocks of 8 IQ4_NL-like sub-blocks with 6-bit scales). Both map each element
// to the nearest of 16 fixed levels (kIq4nlValues) times a block scale.
//
// The quantiser is ggml's quantize_iq4_nl / quantize_iq4_xs without an importance matrix (what
// llama-quantize writes; ggml_ref_test.cpp checks the bytes against ggml itself): per 32 elements, start
// from d = max / levels[0], fit the least-squares scale for the levels that d chooses (weights x^2),
// then try 15 more inverse scales (levels[0] + t) / max for t in -7..7 and keep the best fit; IQ4_XS
// then quantises the 8 scales to 6 bits against d = -max_scale / 32 and re-picks the levels.
// Round-trip NMSE on uniform data (test/native/quant_test.cpp): iq4_nl < 4.5e-3, iq4_xs < 4.5e-3.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

namespace {

constexpr float kGroupMaxEps = 1e-15f;
constexpr int kTries = 7;

// Index of the level nearest to v (the lower one on an exact tie), by bisection over the sorted levels.
int nearest_level(float v) {
  const int8_t* lv = kIq4nlValues;
  if (v <= lv[0]) return 0;
  if (v >= lv[15]) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (v < lv[mid]) hi = mid;
    else lo = mid;
  }
  return v - lv[hi - 1] < lv[hi] - v ? hi - 1 : hi;
}

// Least-squares fit of 32 elements to the levels chosen by inverse scale id: sum w q x and sum w q^2.
void fit(const float* x, float id, float* sumqx, float* sumq2) {
  *sumqx = *sumq2 = 0;
  for (int j = 0; j < 32; ++j) {
    const int l = nearest_level(id * x[j]);
    const float q = kIq4nlValues[l];
    const float w = x[j] * x[j];
    *sumqx += w * q * x[j];
    *sumq2 += w * q * q;
  }
}

// The best scale of one 32-element block (0 for an all-zero block).
float block_scale(const float* x) {
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  if (amax < kGroupMaxEps) return 0.0f;
  float sumqx, sumq2;
  fit(x, 1 / (-max / kIq4nlValues[0]), &sumqx, &sumq2);
  float d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
  float best = d * sumqx;
  for (int t = -kTries; t <= kTries; ++t) {
    fit(x, (t + kIq4nlValues[0]) / max, &sumqx, &sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// Levels of a 32-element block for scale d into qs (low nibbles: elements 0..15).
void pack_levels(const float* x, float d, uint8_t* qs) {
  const float id = d != 0 ? 1 / d : 0.0f;
  for (int j = 0; j < 16; ++j)
    qs[j] = static_cast<uint8_t>(nearest_level(id * x[j]) | (nearest_level(id * x[j + 16]) << 4));
}

void dequantize_levels(const uint8_t* qs, float d, float* y) {
  for (int j = 0; j < 16; ++j) {
    y[j] = d * kIq4nlValues[qs[j] & 0xF];
    y[j + 16] = d * kIq4nlValues[qs[j] >> 4];
  }
}

}  // namespace

void quantize_row_iq4_nl(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockIq4Nl*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    const float d = block_scale(x);
    y[b].d = fp32_to_fp16(d);
    pack_levels(x, d, y[b].qs);  // with the unrounded scale, as ggml (d = 0: every level is 8, value 1)
  }
}

void dequantize_row_iq4_nl(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockIq4Nl*>(vx);
  for (int64_t b = 0; b < n / kQK0; ++b, y += kQK0) dequantize_levels(x[b].qs, fp16_to_fp32(x[b].d), y);
}

void quantize_row_iq4_xs(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockIq4Xs*>(vy);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockIq4Xs& blk = y[b];
    std::memset(&blk, 0, sizeof blk);
    float scales[8], max_scale = 0, amax_scale = 0;
    for (int ib = 0; ib < 8; ++ib) {
      scales[ib] = block_scale(x + 32 * ib);
      if (std::fabs(scales[ib]) > amax_scale) {
        amax_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    const float d = -max_scale / 32;
    blk.d = fp32_to_fp16(d);
    const float id = d != 0 ? 1 / d : 0.0f;
    for (int ib = 0; ib < 8; ++ib) {
      const int l = std::clamp(static_cast<int>(std::nearbyint(id * scales[ib])), -32, 31);
      pack_levels(x + 32 * ib, d * l, blk.qs + 16 * ib);
      const int ls = l + 32;
      blk.scales_l[ib / 2] |= static_cast<uint8_t>((ls & 0xF) << (4 * (ib % 2)));
      blk.scales_h |= static_cast<uint16_t>((ls >> 4) << (2 * ib));
    }
  }
}


void dequantize_row_iq4_xs(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockIq4Xs*>(vx);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    for (int j = 0; j < 8; ++j, y += 32) dequantize_levels(x[b].qs + 16 * j, d * (iq4_xs_scale(x[b], j) - 32), y);
  }
}

}  // namespace capibara::scalar
