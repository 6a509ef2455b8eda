// AVX2/FMA flash attention. Rows (query i, head h) that read the same kv head are processed
// together, up to kRows at a time: GQA heads of one query, and in prefill several queries, so each
// F16 K/V element is widened (F16C) once per block rather than once per row. Keys go in tiles of
// kTile with an online softmax per row in float (running max m and sum l; the output row is the
// accumulator, rescaled by e^(m_old - m_new) when the max grows); a row's keys outside
// [first, last] (causal limit, sliding window) are masked to -inf. A row's result is bit-identical
// whatever the block it is computed in.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"
#include "kernels/fp16.h"

namespace capibara::avx2 {

namespace {

constexpr int64_t kTile = 32;
constexpr int kRows = 8;

struct Row {
  const float* q;
  float* out;
  int64_t first, last;  // visible keys
  float m, l;           // running max and sum
};

inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// s[r * kTile + t] = q_r . k_{j0 + t} for t < nt
template <int NR>
void tile_dots(const Row* rows, const uint16_t* k, int64_t kv_stride, int64_t hd, int64_t nt, float* s) {
  for (int64_t t = 0; t < nt; ++t) {
    const uint16_t* kr = k + t * kv_stride;
    __m256 acc[NR];
    for (int r = 0; r < NR; ++r) acc[r] = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8) {
      const __m256 kf = load_f16(kr + d);
      for (int r = 0; r < NR; ++r) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[r].q + d), kf, acc[r]);
    }
    for (int r = 0; r < NR; ++r) {
      float dot = hsum(acc[r]);
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
  for (; d + 8 <= hd; d += 8) {
    __m256 acc[NR];
    for (int r = 0; r < NR; ++r) acc[r] = _mm256_mul_ps(_mm256_loadu_ps(rows[r].out + d), _mm256_set1_ps(corr[r]));
    for (int64_t t = 0; t < nt; ++t) {
      const __m256 vf = load_f16(v + t * kv_stride + d);
      for (int r = 0; r < NR; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + r * kTile + t), vf, acc[r]);
    }
    for (int r = 0; r < NR; ++r) _mm256_storeu_ps(rows[r].out + d, acc[r]);
  }
  for (; d < hd; ++d) {
    for (int r = 0; r < NR; ++r) {
      float acc = rows[r].out[d] * corr[r];
      for (int64_t t = 0; t < nt; ++t) acc += p[r * kTile + t] * fp16_to_fp32(v[t * kv_stride + d]);
      rows[r].out[d] = acc;
    }
  }
}

// Softcap, mask, online-softmax update of one row's logits s[0, kTile) for keys j0 + t; leaves
// the probabilities in s and returns the factor that rescales the row's previous output.
float row_softmax(const FlashAttnArgs& a, Row& row, float* s, int64_t j0, int64_t nt) {
  const int64_t lo = std::max<int64_t>(0, row.first - j0), hi = std::min(nt, row.last + 1 - j0);  // visible t
  if (lo >= hi) {
    std::fill(s, s + kTile, 0.0f);
    return 1.0f;
  }
  const __m256 scale = _mm256_set1_ps(a.scale);
  const __m256 cap = _mm256_set1_ps(a.softcap), inv_cap = _mm256_set1_ps(1.0f / a.softcap);
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256 vmax = ninf;
  for (int64_t t = 0; t < kTile; t += 8) {
    __m256 x = _mm256_mul_ps(_mm256_load_ps(s + t), scale);
    if (a.softcap > 0.0f) x = _mm256_mul_ps(cap, tanh_ps(_mm256_mul_ps(x, inv_cap)));
    const __m256i j = _mm256_add_epi32(idx, _mm256_set1_epi32(static_cast<int>(t)));
    const __m256 keep = _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(j, _mm256_set1_epi32(static_cast<int>(lo) - 1)),
                                                             _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(hi)), j)));
    x = _mm256_blendv_ps(ninf, x, keep);
    vmax = _mm256_max_ps(vmax, x);
    _mm256_store_ps(s + t, x);
  }
  const float m_new = std::max(row.m, hmax(vmax));
  const float corr = std::exp(row.m - m_new);
  const __m256 vm = _mm256_set1_ps(m_new);
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t t = 0; t < kTile; t += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_load_ps(s + t), vm));  // masked lanes: exp(-inf) = 0
    vsum = _mm256_add_ps(vsum, e);
    _mm256_store_ps(s + t, e);
  }
  row.l = row.l * corr + hsum(vsum);
  row.m = m_new;
  return corr;
}

template <int NR>
void attend_block(const FlashAttnArgs& a, Row* rows, int64_t kv_off) {
  const int64_t hd = a.head_dim;
  alignas(32) float s[kRows * kTile];
  float corr[kRows];
  int64_t lo = rows[0].first, hi = rows[0].last;
  for (int r = 0; r < NR; ++r) {
    lo = std::min(lo, rows[r].first);
    hi = std::max(hi, rows[r].last);
    std::fill(rows[r].out, rows[r].out + hd, 0.0f);
  }
  // Tiles sit on a fixed grid of key indices, so a row's result does not depend on which rows
  // share its block (the same output for any head split across threads).
  for (int64_t j0 = lo / kTile * kTile; j0 <= hi; j0 += kTile) {
    const int64_t nt = std::min(kTile, hi + 1 - j0);
    tile_dots<NR>(rows, a.k + j0 * a.kv_stride + kv_off, a.kv_stride, hd, nt, s);
    for (int r = 0; r < NR; ++r) corr[r] = row_softmax(a, rows[r], s + r * kTile, j0, nt);
    tile_accumulate<NR>(rows, corr, s, a.v + j0 * a.kv_stride + kv_off, a.kv_stride, hd, nt);
  }
  for (int r = 0; r < NR; ++r) {
    const __m256 inv = _mm256_set1_ps(1.0f / rows[r].l);
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8) _mm256_storeu_ps(rows[r].out + d, _mm256_mul_ps(_mm256_loadu_ps(rows[r].out + d), inv));
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

}  // namespace capibara::avx2
