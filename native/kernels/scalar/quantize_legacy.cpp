// Reference quantisers and dequantisers of ggml's other 32-element types: Q4_1, Q5_0, Q5_1 (weights)
// and Q8_1 (the activations Q4_1/Q5_1 multiply with). Same float operations in the same order as ggml's
// quantize_row_*_ref / dequantize_row_* (fp-contraction off, as in quantize.cpp), so the bytes are ggml's
// (checked against ggml itself in test/native/ggml_ref_test.cpp).
//   Q4_1 / Q5_1: d = (max - min) / (2^bits - 1), m = min, q = trunc((x - min) / d + 0.5).
//   Q5_0: d = -(signed value of largest magnitude) / 16, q = trunc(x / d + 16.5), clamped to 31.
// Round-trip NMSE on uniform data (test/native/quant_test.cpp): q5_1 < 1e-3, q5_0 < 3e-3 (measured 1e-3, the
// bound also covers rows with outliers), q4_1 < 4e-3.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

namespace {

void min_max(const float* x, float* lo, float* hi) {
  *lo = FLT_MAX;
  *hi = -FLT_MAX;
  for (int j = 0; j < kQK0; ++j) {
    *lo = std::min(*lo, x[j]);
    *hi = std::max(*hi, x[j]);
  }
}

// Element j's fifth bit (0 or 16) in a Q5 block's qh.
inline int high_bit(uint32_t qh, int j) { return static_cast<int>((qh >> j) & 1u) << 4; }

// Levels 0..31 of two halves into a Q5 block's qs/qh.
template <typename Block>
void pack_q5(Block& b, const uint8_t* lo, const uint8_t* hi) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK0 / 2; ++j) {
    b.qs[j] = static_cast<uint8_t>((lo[j] & 0x0F) | ((hi[j] & 0x0F) << 4));
    qh |= static_cast<uint32_t>((lo[j] & 0x10u) >> 4) << j;
    qh |= static_cast<uint32_t>((hi[j] & 0x10u) >> 4) << (j + kQK0 / 2);
  }
  std::memcpy(b.qh, &qh, sizeof qh);
}

}  // namespace

void quantize_row_q4_1(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ4_1*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    float lo, hi;
    min_max(x, &lo, &hi);
    const float d = (hi - lo) / 15;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    y[b].m = fp32_to_fp16(lo);
    for (int j = 0; j < kQK0 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j] - lo) * id + 0.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j + 16] - lo) * id + 0.5f)));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void dequantize_row_q4_1(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockQ4_1*>(vx);
  for (int64_t b = 0; b < n / kQK0; ++b, y += kQK0) {
    const float d = fp16_to_fp32(x[b].d), m = fp16_to_fp32(x[b].m);
    for (int j = 0; j < kQK0 / 2; ++j) {
      y[j] = (x[b].qs[j] & 0x0F) * d + m;
      y[j + 16] = (x[b].qs[j] >> 4) * d + m;
    }
  }
}

void quantize_row_q5_0(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ5_0*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK0; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    uint8_t lo[16], hi[16];
    for (int j = 0; j < kQK0 / 2; ++j) {
      lo[j] = static_cast<uint8_t>(std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f))));
      hi[j] = static_cast<uint8_t>(std::min(31, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 16.5f))));
    }
    pack_q5(y[b], lo, hi);
  }
}

void dequantize_row_q5_0(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockQ5_0*>(vx);
  for (int64_t b = 0; b < n / kQK0; ++b, y += kQK0) {
    const float d = fp16_to_fp32(x[b].d);
    uint32_t qh;
    std::memcpy(&qh, x[b].qh, sizeof qh);
    for (int j = 0; j < kQK0 / 2; ++j) {
      y[j] = ((x[b].qs[j] & 0x0F) + high_bit(qh, j) - 16) * d;
      y[j + 16] = ((x[b].qs[j] >> 4) + high_bit(qh, j + 16) - 16) * d;
    }
  }
}

void quantize_row_q5_1(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ5_1*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    float lo, hi;
    min_max(x, &lo, &hi);
    const float d = (hi - lo) / 31;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    y[b].m = fp32_to_fp16(lo);
    uint8_t l0[16], l1[16];
    for (int j = 0; j < kQK0 / 2; ++j) {
      l0[j] = static_cast<uint8_t>((x[j] - lo) * id + 0.5f);
      l1[j] = static_cast<uint8_t>((x[j + 16] - lo) * id + 0.5f);
    }
    pack_q5(y[b], l0, l1);
  }
}

void dequantize_row_q5_1(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockQ5_1*>(vx);
  for (int64_t b = 0; b < n / kQK0; ++b, y += kQK0) {
    const float d = fp16_to_fp32(x[b].d), m = fp16_to_fp32(x[b].m);
    uint32_t qh;
    std::memcpy(&qh, x[b].qh, sizeof qh);
    for (int j = 0; j < kQK0 / 2; ++j) {
      y[j] = ((x[b].qs[j] & 0x0F) + high_bit(qh, j)) * d + m;
      y[j + 16] = ((x[b].qs[j] >> 4) + high_bit(qh, j + 16)) * d + m;
    }
  }
}

// Q8_0's rounding (d = amax / 127, q = round(x / d)) plus s = d * sum(q).
void quantize_row_q8_1(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(vy);
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    float amax = 0;
    for (int j = 0; j < kQK0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < kQK0; ++j) {
      y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
      sum += y[b].qs[j];
    }
    y[b].s = fp32_to_fp16(sum * d);
  }
}

void dequantize_row_q8_1(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockQ8_1*>(vx);
  for (int64_t b = 0; b < n / kQK0; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    for (int j = 0; j < kQK0; ++j) y[b * kQK0 + j] = x[b].qs[j] * d;
  }
}

}  // namespace capibara::scalar
