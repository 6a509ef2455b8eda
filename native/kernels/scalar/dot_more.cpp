// Reference dot products of the 32-element legacy types and the IQ4 types, each with the activation
// type ggml pairs it with (integer sums per block, then the block's float scales, as ggml):
//   q4_1 . q8_1: d_w d_x sum(q_w q_x) + m_w s_x    (s_x = d_x sum q_x carries the weight's min)
//   q5_0 . q8_0: d_w d_x sum((q_w - 16) q_x)
//   q5_1 . q8_1: d_w d_x sum(q_w q_x) + m_w s_x
//   iq4_nl . q8_0: d_w d_x sum(level(q_w) q_x)
//   iq4_xs . q8_K: d_w d_x sum_j (ls_j - 32) sum(level(q_w) q_x) over the 8 sub-blocks j
//   q2_K . q8_K: d_x (d_w sum_s sc_s sum(q q_x) - dmin_w sum_s m_s bsum_s) over the 16 sub-blocks s
//   q3_K . q8_K: d_w d_x sum_s (ls_s - 32) sum((q - 4 (1 - hbit)) q_x)
// Every SIMD variant computes the same integer sums, so they agree with these up to float rounding.
#include <cstdint>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

namespace {

// sum over a 32-element block of level(nibble) * q8, nibbles in ggml order (low: 0..15, high: 16..31).
template <typename Level>
int nibble_dot(const uint8_t* qs, const int8_t* q8, Level level) {
  int sum = 0;
  for (int j = 0; j < 16; ++j) sum += level(qs[j] & 0xF, j) * q8[j] + level(qs[j] >> 4, j + 16) * q8[j + 16];
  return sum;
}

uint32_t qh_of(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, sizeof v);
  return v;
}

}  // namespace

void vec_dot_q4_1_q8_1(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ4_1*>(vx);
  const auto* y = static_cast<const BlockQ8_1*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    const int sumi = nibble_dot(x[b].qs, y[b].qs, [](int q, int) { return q; });
    sum += fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d) * sumi + fp16_to_fp32(x[b].m) * fp16_to_fp32(y[b].s);
  }
  *s = sum;
}

void vec_dot_q5_0_q8_0(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ5_0*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    const uint32_t qh = qh_of(x[b].qh);
    const int sumi = nibble_dot(x[b].qs, y[b].qs, [qh](int q, int j) { return q + static_cast<int>(((qh >> j) & 1u) << 4) - 16; });
    sum += fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d) * sumi;
  }
  *s = sum;
}

void vec_dot_q5_1_q8_1(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ5_1*>(vx);
  const auto* y = static_cast<const BlockQ8_1*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    const uint32_t qh = qh_of(x[b].qh);
    const int sumi = nibble_dot(x[b].qs, y[b].qs, [qh](int q, int j) { return q + static_cast<int>(((qh >> j) & 1u) << 4); });
    sum += fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d) * sumi + fp16_to_fp32(x[b].m) * fp16_to_fp32(y[b].s);
  }
  *s = sum;
}

void vec_dot_iq4_nl_q8_0(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockIq4Nl*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    const int sumi = nibble_dot(x[b].qs, y[b].qs, [](int q, int) { return kIq4nlValues[q]; });
    sum += fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d) * sumi;
  }
  *s = sum;
}

void vec_dot_iq4_xs_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockIq4Xs*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int sumi = 0;
    for (int j = 0; j < 8; ++j)
      sumi += (iq4_xs_scale(x[b], j) - 32) * nibble_dot(x[b].qs + 16 * j, y[b].qs + 32 * j, [](int q, int) { return kIq4nlValues[q]; });
    sum += fp16_to_fp32(x[b].d) * y[b].d * sumi;
  }
  *s = sum;
}

namespace {
// Element e (0..255) of a Q2_K/Q3_K block: its 2-bit level and, for Q3_K, its high bit.
inline int two_bits(const uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3; }
inline int high_bit(const uint8_t* hmask, int e) { return (hmask[e % 32] >> (e / 32)) & 1; }
}  // namespace

void vec_dot_q2_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ2_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int sumi = 0, summ = 0;
    for (int sb = 0; sb < 16; ++sb) {
      int part = 0;
      for (int i = 0; i < 16; ++i) part += two_bits(x[b].qs, 16 * sb + i) * y[b].qs[16 * sb + i];
      sumi += (x[b].scales[sb] & 0xF) * part;
      summ += (x[b].scales[sb] >> 4) * y[b].bsums[sb];
    }
    sum += y[b].d * fp16_to_fp32(x[b].d) * sumi - y[b].d * fp16_to_fp32(x[b].dmin) * summ;
  }
  *s = sum;
}

void vec_dot_q3_K_q8_K(int64_t n, float* s, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ3_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    int ls[16];
    q3_k_scales(x[b].scales, ls);
    int sumi = 0;
    for (int sb = 0; sb < 16; ++sb) {
      int part = 0;
      for (int i = 0; i < 16; ++i) {
        const int e = 16 * sb + i;
        part += (two_bits(x[b].qs, e) - (high_bit(x[b].hmask, e) ? 0 : 4)) * y[b].qs[e];
      }
      sumi += (ls[sb] - 32) * part;
    }
    sum += fp16_to_fp32(x[b].d) * y[b].d * sumi;
  }
  *s = sum;
}

}  // namespace capibara::scalar
