// The flash-attention tiling shared by the SIMD folders (avx2/ and neon/ attention.cpp), as pack.h
// shares the packed GEMM loop. Rows (query i, head h) that read the same kv head are processed
// together, up to kFlashRows at a time: GQA heads of one query, and in prefill several queries, so each
// F16 K/V element is widened once per block rather than once per row. Keys go in tiles of kFlashTile
// on a fixed grid of key indices with an online softmax per row in float (running max m and sum l; the
// output row is the accumulator, rescaled by e^(m_old - m_new) when the max grows); a row's keys
// outside [first, last] (causal limit, sliding window) are masked to -inf. Because the grid is fixed,
// a row's result is bit-identical whatever the block it is computed in (any head split over threads).
// A tile's keys are contiguous rows (kv_row): in a paged cache a tile lies inside one KV block.
//
// The ISA supplies the vector parts as static members of a struct Ops:
//   template <int NR> tile_dots(rows, k, kv_stride, hd, nt, s):   s[r * kFlashTile + t] = q_r . k_t, t < nt
//   template <int NR> tile_accumulate(rows, corr, p, v, kv_stride, hd, nt):
//                                           out_r = out_r * corr[r] + sum_t p[r * kFlashTile + t] v_t
//   scale_mask_max(a, s, lo, hi):  s[t] = softcap(scale * s[t]) for t in [lo, hi), -inf elsewhere
//                                  (t < kFlashTile); returns the max
//   exp_sum(s, m):                 s[t] = exp(s[t] - m) for t < kFlashTile; returns the sum
//   normalize(out, hd, l):         out[d] /= l
//
// Everything sits in an unnamed namespace: each including file is compiled with its own ISA flags
// (see packed_gemm_x86.h).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/kernels.h"

namespace capibara {
namespace {

constexpr int64_t kFlashTile = 32;
constexpr int kFlashRows = 8;
// A tile's keys then never straddle two blocks of a paged cache.
static_assert(kKvBlockRows % kFlashTile == 0, "KV blocks hold whole key tiles");

struct FlashRow {
  const float* q;
  float* out;
  int64_t first, last;  // visible keys
  float m, l;           // running max and sum
};

// Online-softmax update of one row's dots s[0, kFlashTile) for keys j0 + t; leaves the probabilities
// in s and returns the factor that rescales the row's previous output.
template <typename Ops>
float flash_row_softmax(const FlashAttnArgs& a, FlashRow& row, float* s, int64_t j0, int64_t nt) {
  const int64_t lo = std::max<int64_t>(0, row.first - j0), hi = std::min(nt, row.last + 1 - j0);  // visible t
  if (lo >= hi) {
    std::fill(s, s + kFlashTile, 0.0f);
    return 1.0f;
  }
  const float m_new = std::max(row.m, Ops::scale_mask_max(a, s, lo, hi));
  const float corr = std::exp(row.m - m_new);
  row.l = row.l * corr + Ops::exp_sum(s, m_new);  // masked entries: exp(-inf) = 0
  row.m = m_new;
  return corr;
}

template <typename Ops, int NR>
void flash_attend_block(const FlashAttnArgs& a, FlashRow* rows, int64_t kv_off) {
  const int64_t hd = a.head_dim;
  alignas(64) float s[kFlashRows * kFlashTile];
  float corr[kFlashRows];
  int64_t lo = rows[0].first, hi = rows[0].last;
  for (int r = 0; r < NR; ++r) {
    lo = std::min(lo, rows[r].first);
    hi = std::max(hi, rows[r].last);
    std::fill(rows[r].out, rows[r].out + hd, 0.0f);
  }
  for (int64_t j0 = lo / kFlashTile * kFlashTile; j0 <= hi; j0 += kFlashTile) {
    const int64_t nt = std::min(kFlashTile, hi + 1 - j0);
    Ops::template tile_dots<NR>(rows, kv_row(a, a.k, j0) + kv_off, a.kv_stride, hd, nt, s);
    for (int r = 0; r < NR; ++r) corr[r] = flash_row_softmax<Ops>(a, rows[r], s + r * kFlashTile, j0, nt);
    Ops::template tile_accumulate<NR>(rows, corr, s, kv_row(a, a.v, j0) + kv_off, a.kv_stride, hd, nt);
  }
  for (int r = 0; r < NR; ++r) Ops::normalize(rows[r].out, hd, rows[r].l);
}

// FlashAttnFn on the ISA's Ops.
template <typename Ops>
void flash_attn_tiled(const FlashAttnArgs& a) {
  using BlockFn = void (*)(const FlashAttnArgs&, FlashRow*, int64_t);
  static constexpr BlockFn kBlock[kFlashRows + 1] = {
      nullptr,
      flash_attend_block<Ops, 1>,
      flash_attend_block<Ops, 2>,
      flash_attend_block<Ops, 3>,
      flash_attend_block<Ops, 4>,
      flash_attend_block<Ops, 5>,
      flash_attend_block<Ops, 6>,
      flash_attend_block<Ops, 7>,
      flash_attend_block<Ops, 8>,
  };
  const int64_t group = a.n_head / a.n_kv_head;
  // Heads [h0, h1) of one kv head within [head_begin, head_end), at most kFlashRows of them.
  for (int64_t h0 = a.head_begin; h0 < a.head_end;) {
    const int64_t hk = h0 / group;
    const int64_t h1 = std::min({a.head_end, (hk + 1) * group, h0 + kFlashRows});
    const int64_t nh = h1 - h0, queries = kFlashRows / nh;
    for (int64_t i0 = 0; i0 < a.n_q; i0 += queries) {
      FlashRow rows[kFlashRows];
      int nr = 0;
      for (int64_t i = i0; i < std::min(a.n_q, i0 + queries); ++i) {
        const int64_t pos = a.q_pos0 + i;
        const int64_t first = a.window > 0 ? std::max<int64_t>(0, pos - a.window + 1) : 0;
        const int64_t last = std::max(pos, a.kv_end - 1);  // kv_end: a non-causal block
        for (int64_t h = h0; h < h1; ++h)
          rows[nr++] = {a.q + i * a.q_stride + h * a.head_dim, a.out + i * a.out_stride + h * a.head_dim, first, last,
                        -INFINITY, 0.0f};
      }
      kBlock[nr](a, rows, hk * a.head_dim);
    }
    h0 = h1;
  }
}

}  // namespace
}  // namespace capibara
