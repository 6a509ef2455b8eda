// Reference dot products of a weight row with an activation row of the type's vec_dot_type.
//
//   f32 . f32, f16 . f16, bf16 . bf16: converted to float, accumulated in double.
//   q8_0 . q8_0, q4_0 . q8_0: per 32-block integer sum times d_w * d_x, accumulated in float (ggml).
//   q4_K/q5_K/q6_K . q8_K: per sub-block integer sums times the sub-block scales, times d_w * d_x; the
//   Q4_K/Q5_K mins are applied once per super-block through Q8_K's bsums (dmin * sum m_j * bsum_j).
// The quantised results are exact up to float rounding of the per-block products: they equal the
// f32 dot of the dequantised rows within ~1e-6 relative (checked in test/native/quant_test.cpp).
#include <cstdint>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

void vec_dot_f32(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const float*>(vx);
  const auto* y = static_cast<const float*>(vy);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * y[i];
  *s = static_cast<float>(sum);
}

void vec_dot_f16(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const uint16_t*>(vx);
  const auto* y = static_cast<const uint16_t*>(vy);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(fp16_to_fp32(x[i])) * fp16_to_fp32(y[i]);
  *s = static_cast<float>(sum);
}

void vec_dot_bf16(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const uint16_t*>(vx);
  const auto* y = static_cast<const uint16_t*>(vy);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_fp32(x[i])) * bf16_to_fp32(y[i]);
  *s = static_cast<float>(sum);
}

void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ8_0*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQK0; ++j) sumi += x[b].qs[j] * y[b].qs[j];
    sum += sumi * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
  }
  *s = sum;
}

void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ4_0*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQK0 / 2; ++j) {
      sumi += ((x[b].qs[j] & 0x0F) - 8) * y[b].qs[j];
      sumi += ((x[b].qs[j] >> 4) - 8) * y[b].qs[j + 16];
    }
    sum += sumi * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
  }
  *s = sum;
}

namespace {

// Q4_K/Q5_K share everything but the fifth bit: hbit(c, l, high) returns 0 or 16.
template <typename Block, typename HighBit>
float dot_k_scale_min(int64_t n, const Block* x, const BlockQ8_K* y, HighBit hbit) {
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const int8_t* q8 = y[b].qs;
    int sumi = 0, summ = 0;
    for (int c = 0; c < 4; ++c) {
      uint8_t sc_lo, m_lo, sc_hi, m_hi;
      k_scale_min(2 * c, x[b].scales, &sc_lo, &m_lo);
      k_scale_min(2 * c + 1, x[b].scales, &sc_hi, &m_hi);
      int lo = 0, hi = 0;
      for (int l = 0; l < 32; ++l) {
        const uint8_t q = x[b].qs[32 * c + l];
        lo += ((q & 0xF) + hbit(x[b], c, l, false)) * q8[64 * c + l];
        hi += ((q >> 4) + hbit(x[b], c, l, true)) * q8[64 * c + 32 + l];
      }
      sumi += sc_lo * lo + sc_hi * hi;
      summ += m_lo * (y[b].bsums[4 * c] + y[b].bsums[4 * c + 1]) + m_hi * (y[b].bsums[4 * c + 2] + y[b].bsums[4 * c + 3]);
    }
    sum += y[b].d * fp16_to_fp32(x[b].d) * sumi - y[b].d * fp16_to_fp32(x[b].dmin) * summ;
  }
  return sum;
}

}  // namespace

void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  *s = dot_k_scale_min(n, static_cast<const BlockQ4_K*>(vx), static_cast<const BlockQ8_K*>(vy),
                       [](const BlockQ4_K&, int, int, bool) { return 0; });
}

void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  *s = dot_k_scale_min(n, static_cast<const BlockQ5_K*>(vx), static_cast<const BlockQ8_K*>(vy),
                       [](const BlockQ5_K& blk, int c, int l, bool high) {
                         return ((blk.qh[l] >> (2 * c + (high ? 1 : 0))) & 1) << 4;
                       });
}

void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ6_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int sumi = 0;
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x[b].ql + 64 * h;
      const uint8_t* qh = x[b].qh + 32 * h;
      const int8_t* sc = x[b].scales + 8 * h;
      const int8_t* q8 = y[b].qs + 128 * h;
      int part[8] = {};  // per 16-element sub-block of this half
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        part[is + 0] += (((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32) * q8[l];
        part[is + 2] += (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32) * q8[l + 32];
        part[is + 4] += (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * q8[l + 64];
        part[is + 6] += (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) * q8[l + 96];
      }
      for (int k = 0; k < 8; ++k) sumi += sc[k] * part[k];
    }
    sum += y[b].d * fp16_to_fp32(x[b].d) * sumi;
  }
  *s = sum;
}

}  // namespace capibara::scalar
