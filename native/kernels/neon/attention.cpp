// NEON flash attention, structured as avx2/attention.cpp: rows (query i, head h) reading the same
// kv head are processed together, up to kRows at a time, so each F16 K/V element is widened
// (vcvt_f32_f16) once per block; keys in tiles of kTile on a fixed grid with an online softmax per
// row in float; a row's keys outside [first, last] (causal limit, sliding window) are masked to
// -inf. A row's result is bit-identical whatever the block it is computed in.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "kernels/fp16.h"
#include "kernels/neon/neon.h"
#include "kernels/neon/vmath.h"

namespace capibara::neon {

namespace {

constexpr int64_t kTile = 32;
constexpr int kRows = 8;

struct Row {
  const float* q;
  float* out;
  int64_t first, last;  // visible keys
  float m, l;           // running max and sum
};

// s[r * kTile + t] = q_r . k_{j0 + t} for t < nt
template <int NR>
void tile_dots(const Row* rows, const uint16_t* k, int64_t kv_stride, int64_t hd, int64_t nt, float* s) {
  for (int64_t t = 0; t < nt; ++t) {
    const uint16_t* kr = k + t * kv_stride;
    float32x4_t acc[NR];
    for (int r = 0; r < NR; ++r) acc[r] = vdupq_n_f32(0.0f);
    int64_t d = 0;
    for (; d + 4 <= hd; d += 4) {
      const float32x4_t kf = load_f16(kr + d);
      for (int r = 0; r < NR; ++r) acc[r] = vfmaq_f32(acc[r], vld1q_f32(rows[r].q + d), kf);
    }
    for (int r = 0; r < NR; ++r) {
      float dot = vaddvq_f32(acc[r]);
      for (int64_t e = d; e < hd; ++e) dot += rows[r].q[e] * fp16_to_fp32(kr[e]);
      s[r * kTile + t] = dot;
    }
  }
}

// out_r = out_r * corr_r + sum_t p[r * kTile + t] v_{j0 + t}
template <int NR>
void tile_accumulate(Row* rows, const float* corr, const float* p, const uint16_t* v, int64_t kv_stride, int64_t hd,
                     int64_t nt) {
  int64_t d = 0;
  for (; d + 4 <= hd; d += 4) {
    float32x4_t acc[NR];
    for (int r = 0; r < NR; ++r) acc[r] = vmulq_n_f32(vld1q_f32(rows[r].out + d), corr[r]);
    for (int64_t t = 0; t < nt; ++t) {
      const float32x4_t vf = load_f16(v + t * kv_stride + d);
      for (int r = 0; r < NR; ++r) acc[r] = vfmaq_n_f32(acc[r], vf, p[r * kTile + t]);
    }
    for (int r = 0; r < NR; ++r) vst1q_f32(rows[r].out + d, acc[r]);
  }
  for (; d < hd; ++d) {
    for (int r = 0; r < NR; ++r) {
      float acc = rows[r].out[d] * corr[r];
      for (int64_t t = 0; t < nt; ++t) acc += p[r * kTile + t] * fp16_to_fp32(v[t * kv_stride + d]);
      rows[r].out[d] = acc;
    }
  }
}

// Scale, softcap, mask, online-softmax update of one row's dots s[0, kTile) for keys j0 + t;
// leaves the probabilities in s and returns the factor that rescales the row's previous output.
float row_softmax(const FlashAttnArgs& a, Row& row, float* s, int64_t j0, int64_t nt) {
  const int64_t lo = std::max<int64_t>(0, row.first - j0), hi = std::min(nt, row.last + 1 - j0);  // visible t
  if (lo >= hi) {
    std::fill(s, s + kTile, 0.0f);
    return 1.0f;
  }
  const float32x4_t ninf = vdupq_n_f32(-INFINITY);
  const int32_t idx0[4] = {0, 1, 2, 3};
  const int32x4_t idx = vld1q_s32(idx0);
  float32x4_t vmax = ninf;
  for (int64_t t = 0; t < kTile; t += 4) {
    float32x4_t x = vmulq_n_f32(vld1q_f32(s + t), a.scale);
    if (a.softcap > 0.0f) x = vmulq_n_f32(tanh_ps(vmulq_n_f32(x, 1.0f / a.softcap)), a.softcap);
    const int32x4_t j = vaddq_s32(idx, vdupq_n_s32(static_cast<int32_t>(t)));
    const uint32x4_t keep = vandq_u32(vcgeq_s32(j, vdupq_n_s32(static_cast<int32_t>(lo))),
                                      vcltq_s32(j, vdupq_n_s32(static_cast<int32_t>(hi))));
    x = vbslq_f32(keep, x, ninf);
    vmax = vmaxq_f32(vmax, x);
    vst1q_f32(s + t, x);
  }
  const float m_new = std::max(row.m, vmaxvq_f32(vmax));
  const float corr = std::exp(row.m - m_new);
  const float32x4_t vm = vdupq_n_f32(m_new);
  float32x4_t vsum = vdupq_n_f32(0.0f);
  for (int64_t t = 0; t < kTile; t += 4) {
    const float32x4_t e = exp_ps(vsubq_f32(vld1q_f32(s + t), vm));  // masked lanes: exp(-inf) = 0
    vsum = vaddq_f32(vsum, e);
    vst1q_f32(s + t, e);
  }
  row.l = row.l * corr + vaddvq_f32(vsum);
  row.m = m_new;
  return corr;
}

template <int NR>
void attend_block(const FlashAttnArgs& a, Row* rows, int64_t kv_off) {
  const int64_t hd = a.head_dim;
  alignas(16) float s[kRows * kTile];
  float corr[kRows];
  int64_t lo = rows[0].first, hi = rows[0].last;
  for (int r = 0; r < NR; ++r) {
    lo = std::min(lo, rows[r].first);
    hi = std::max(hi, rows[r].last);
    std::fill(rows[r].out, rows[r].out + hd, 0.0f);
  }
  for (int64_t j0 = lo / kTile * kTile; j0 <= hi; j0 += kTile) {
    const int64_t nt = std::min(kTile, hi + 1 - j0);
    tile_dots<NR>(rows, a.k + j0 * a.kv_stride + kv_off, a.kv_stride, hd, nt, s);
    for (int r = 0; r < NR; ++r) corr[r] = row_softmax(a, rows[r], s + r * kTile, j0, nt);
    tile_accumulate<NR>(rows, corr, s, a.v + j0 * a.kv_stride + kv_off, a.kv_stride, hd, nt);
  }
  for (int r = 0; r < NR; ++r) {
    const float inv = 1.0f / rows[r].l;
    int64_t d = 0;
    for (; d + 4 <= hd; d += 4) vst1q_f32(rows[r].out + d, vmulq_n_f32(vld1q_f32(rows[r].out + d), inv));
    for (; d < hd; ++d) rows[r].out[d] /= rows[r].l;
  }
}

using BlockFn = void (*)(const FlashAttnArgs&, Row*, int64_t);
constexpr BlockFn kBlock[kRows + 1] = {nullptr,          attend_block<1>, attend_block<2>, attend_block<3>, attend_block<4>,
                                       attend_block<5>, attend_block<6>, attend_block<7>, attend_block<8>};

}  // namespace

void flash_attn(const FlashAttnArgs& a) {
  const int64_t group = a.n_head / a.n_kv_head;
  // Heads [h0, h1) of one kv head within [head_begin, head_end), at most kRows of them.
  for (int64_t h0 = a.head_begin; h0 < a.head_end;) {
    const int64_t hk = h0 / group;
    const int64_t h1 = std::min({a.head_end, (hk + 1) * group, h0 + kRows});
    const int64_t nh = h1 - h0, queries = kRows / nh;
    for (int64_t i0 = 0; i0 < a.n_q; i0 += queries) {
      Row rows[kRows];
      int nr = 0;
      for (int64_t i = i0; i < std::min(a.n_q, i0 + queries); ++i) {
        const int64_t pos = a.q_pos0 + i;
        const int64_t first = a.window > 0 ? std::max<int64_t>(0, pos - a.window + 1) : 0;
        const int64_t last = std::max(pos, a.kv_end - 1);
        for (int64_t h = h0; h < h1; ++h)
          rows[nr++] = {a.q + i * a.q_stride + h * a.head_dim, a.out + i * a.out_stride + h * a.head_dim, first, last,
                        -INFINITY, 0.0f};
      }
      kBlock[nr](a, rows, hk * a.head_dim);
    }
    h0 = h1;
  }
}

}  // namespace capibara::neon
