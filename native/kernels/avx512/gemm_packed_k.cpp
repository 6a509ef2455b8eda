// Packed Q4_K / Q5_K / Q6_K GEMM for AVX-512 VNNI: 16-row groups in pack.h's layouts (kPackQ4_K,
// kPackQ5_K, kPackQ6_K; Q2_K / Q3_K / IQ4_XS alike, see tile_q23_K and tile_iq4_xs), one zmm lane per row,
// as gemm_packed.cpp does for Q4_0 / Q8_0. Per 256-element super-block of a group:
//   - the rows' fp16 d (and Q4_K's dmin) convert with one vcvtph2ps each; the 6-bit Q4_K scales and
//     mins (Q6_K: int8 scales) are decoded from byte planes for all 16 rows at once; Q5_K's fifth
//     bits come from an interleaved qh;
//   - every 4 weight levels of a row meet the 4 activation bytes they multiply, broadcast to all lanes
//     (vpdpbusd u8 x s8); a sub-block's sum is multiplied by its scale in s32 (vpmulld);
//   - Q6_K's -32 offset starts each sub-block sum at -32 * bsum (Q8_K's sums of 16); Q4_K/Q5_K mins
//     multiply the bsums of 32 in one vpdpwssd per two sub-blocks;
//   - one FMA per super-block and token (two for Q4_K) adds d * d_y * sum into 16 row accumulators.
// Integer sums are exact; only the float scaling order differs from scalar: |err| ~ 1e-6 relative.
#include <immintrin.h>

#include "kernels/avx512/avx512.h"
#include "kernels/pack.h"
#include "kernels/packed_gemm_x86.h"

namespace capibara::avx512 {

namespace {

constexpr int kRows = 16;
constexpr int kMaxTile = 6;  // tokens per tile: accumulators, sums and 8 weight vectors within 32 zmm
constexpr int kMaxTileQ6 = 8;  // Q6_K's tile keeps one sub-block's sums live (see tile_q6_K)

inline __m128i load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m512i load512(const uint8_t* p) { return _mm512_loadu_si512(p); }
inline __m512 load_f16x16(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }

// Q4_K sub-block j's 6-bit scale (kMin: its min) of 16 rows, from the 12 scale-byte planes P
// (the ggml packing: j < 4 in the low 6 bits of bytes j / j+4; j >= 4 split over byte j+4's nibbles
// and the top 2 bits of bytes j-4 / j).
template <bool kMin>
inline __m512i k4_scale(const __m128i* P, int j) {
  const __m128i m6 = _mm_set1_epi8(0x3F), m4 = _mm_set1_epi8(0x0F), m2 = _mm_set1_epi8(0x03);
  __m128i v;
  if (j < 4) {
    v = _mm_and_si128(P[kMin ? j + 4 : j], m6);
  } else {
    const __m128i low = kMin ? _mm_and_si128(_mm_srli_epi16(P[j + 4], 4), m4) : _mm_and_si128(P[j + 4], m4);
    const __m128i top = _mm_and_si128(_mm_srli_epi16(P[kMin ? j : j - 4], 6), m2);
    v = _mm_or_si128(low, _mm_slli_epi16(top, 4));
  }
  return _mm512_cvtepu8_epi32(v);
}

// Q4_K, and Q5_K (kQ5) whose fifth bit of sub-block j's element l is bit j of qh byte l.
template <bool kQ5, int T>
void tile_q45_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  const __m512i m4 = _mm512_set1_epi8(0x0F), bit4 = _mm512_set1_epi8(0x10);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    if constexpr (T == 1) prefetch_ahead<kSuper>(blk);
    const uint8_t* qh = blk + 4 * kRows + 12 * kRows;  // after d, dmin and the scale planes (Q5_K only)
    const uint8_t* qs = qh + (kQ5 ? 32 * kRows : 0);
    __m128i P[12];
    for (int i = 0; i < 12; ++i) P[i] = load128(blk + 4 * kRows + 16 * i);
    __m512i isum[T];
    for (int t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    // Sub-block j is chunk j / 2's low (even j) or high (odd j) nibbles: elements 32j.., words 8j...
    for (int j = 0; j < 8; ++j) {
      if constexpr (T > 1) prefetch_spread<kSuper, 8>(blk, j);
      __m512i q[8];
      for (int m = 0; m < 8; ++m) {
        const __m512i w = load512(qs + (8 * (j / 2) + m) * 64);
        q[m] = _mm512_and_si512((j & 1) ? _mm512_srli_epi16(w, 4) : w, m4);
        if constexpr (kQ5) {  // bit j of each byte to bit 4 (a 16-bit shift; the mask drops the rest)
          const __m512i h = load512(qh + m * 64);
          q[m] = _mm512_or_si512(q[m], _mm512_and_si512(j <= 4 ? _mm512_slli_epi16(h, 4 - j) : _mm512_srli_epi16(h, j - 4), bit4));
        }
      }
      const __m512i sc = k4_scale<false>(P, j);
      for (int t = 0; t < T; ++t) {
        const auto* y32 = reinterpret_cast<const int32_t*>(y[t][sb].qs) + 8 * j;
        __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
        for (int m = 0; m < 4; ++m) {
          a0 = _mm512_dpbusd_epi32(a0, q[2 * m], _mm512_set1_epi32(y32[2 * m]));
          a1 = _mm512_dpbusd_epi32(a1, q[2 * m + 1], _mm512_set1_epi32(y32[2 * m + 1]));
        }
        isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sc, _mm512_add_epi32(a0, a1)));
      }
    }
    // Mins: lane r of mins[i] holds (m_2i, m_2i+1) of row r as two s16, against the two bsums of 32.
    __m512i mins[4];
    for (int i = 0; i < 4; ++i)
      mins[i] = _mm512_or_si512(k4_scale<true>(P, 2 * i), _mm512_slli_epi32(k4_scale<true>(P, 2 * i + 1), 16));
    const __m512 d = load_f16x16(blk), dmin = load_f16x16(blk + 2 * kRows);
    for (int t = 0; t < T; ++t) {
      const int16_t* bs = y[t][sb].bsums;
      __m512i msum = _mm512_setzero_si512();
      for (int i = 0; i < 4; ++i) {
        const int lo = bs[4 * i] + bs[4 * i + 1], hi = bs[4 * i + 2] + bs[4 * i + 3];  // |sum of 32| <= 4064
        msum = _mm512_dpwssd_epi32(msum, mins[i], _mm512_set1_epi32(static_cast<int>((static_cast<uint32_t>(hi) << 16) | static_cast<uint16_t>(lo))));
      }
      const __m512 dy = _mm512_set1_ps(y[t][sb].d);
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, dy), _mm512_cvtepi32_ps(isum[t]), acc[t]);
      acc[t] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, dy), _mm512_cvtepi32_ps(msum), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(s + t * s_stride, acc[t]);
}

template <int T>
void tile_q6_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockQ6_K);
  constexpr size_t kSection = 3 * 16 * kRows;  // kPackQ6_K: three 16-byte fields per (h, mq)
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    if constexpr (T == 1) prefetch_ahead<kSuper>(blk);
    const uint8_t* planes = blk + 2 * kRows;
    __m512i isum[T];
    for (int t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    // Section (h, mq) completes the four 16-element sub-blocks s = 8h + 2k + mq, k = quarter: word m
    // of its ql fields holds quarters 0/2 (low/high nibble) and 1/3, with bits 2k..2k+1 of the qh
    // word on top (moved to bits 4-5 by a 16-bit shift: the mask drops what crosses bytes). One
    // sub-block at a time keeps T partial sums live, not 4T, so 8 tokens fit the 32 zmm; the section's
    // words are re-read from L1 for each quarter.
    for (int h = 0; h < 2; ++h)
      for (int mq = 0; mq < 2; ++mq) {
        const uint8_t* sec = planes + 16 * kRows + (2 * h + mq) * kSection;
        for (int k = 0; k < 4; ++k) {
          const int sub = 8 * h + 2 * k + mq;
          if constexpr (T > 1) prefetch_spread<kSuper, 16>(blk, sub);
          __m512i part[T];
          for (int t = 0; t < T; ++t) part[t] = _mm512_set1_epi32(-32 * y[t][sb].bsums[sub]);
          for (int m = 0; m < 4; ++m) {
            const __m512i l = load512(sec + (k & 1) * 16 * kRows + 64 * m), hb = load512(sec + 32 * kRows + 64 * m);
            const __m512i lo = _mm512_and_si512(k < 2 ? l : _mm512_srli_epi16(l, 4), m4);
            const __m512i top = k == 0 ? _mm512_slli_epi16(hb, 4) : k == 1 ? _mm512_slli_epi16(hb, 2) : k == 2 ? hb : _mm512_srli_epi16(hb, 2);
            const __m512i q = _mm512_or_si512(lo, _mm512_and_si512(top, m30));
            for (int t = 0; t < T; ++t) {
              const auto* y32 = reinterpret_cast<const int32_t*>(y[t][sb].qs) + 32 * h + 4 * mq + m;
              part[t] = _mm512_dpbusd_epi32(part[t], q, _mm512_set1_epi32(y32[8 * k]));
            }
          }
          const __m512i sc = _mm512_cvtepi8_epi32(load128(planes + 16 * sub));
          for (int t = 0; t < T; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sc, part[t]));
        }
      }
    const __m512 d = load_f16x16(blk);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[t][sb].d)), _mm512_cvtepi32_ps(isum[t]), acc[t]);
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(s + t * s_stride, acc[t]);
}

// IQ4_XS: word 4j + m's nibbles index the levels + 128 (vpshufb, unsigned for vpdpbusd); the 128 comes
// back off as -128 * (Q8_K's sum of sub-block j), the start of its sum before the scale ls_j - 32.
template <int T>
void tile_iq4_xs(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockIq4Xs);
  const __m512i m4 = _mm512_set1_epi8(0x0F), table = _mm512_broadcast_i32x4(iq4_table(128));
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    if constexpr (T == 1) prefetch_ahead<kSuper>(blk);
    const __m512i sh = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2 * kRows)));
    const __m512i sl = load512(blk + 4 * kRows);
    const uint8_t* qs = blk + 8 * kRows;
    __m512i isum[T];
    for (int t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    for (int j = 0; j < 8; ++j) {
      if constexpr (T > 1) prefetch_spread<kSuper, 8>(blk, j);
      const __m512i ls = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(sl, 4 * j), _mm512_set1_epi32(0xF)),
                                         _mm512_and_si512(_mm512_slli_epi32(_mm512_srli_epi32(sh, 2 * j), 4), _mm512_set1_epi32(0x30)));
      const __m512i sc = _mm512_sub_epi32(ls, _mm512_set1_epi32(32));
      __m512i lo[4], hi[4];
      for (int m = 0; m < 4; ++m) {
        const __m512i w = load512(qs + (4 * j + m) * 64);
        lo[m] = _mm512_shuffle_epi8(table, _mm512_and_si512(w, m4));
        hi[m] = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(w, 4), m4));
      }
      for (int t = 0; t < T; ++t) {
        const auto* y32 = reinterpret_cast<const int32_t*>(y[t][sb].qs) + 8 * j;
        const int16_t* bs = y[t][sb].bsums + 2 * j;
        __m512i a = _mm512_set1_epi32(-128 * (bs[0] + bs[1]));
        for (int m = 0; m < 4; ++m) {
          a = _mm512_dpbusd_epi32(a, lo[m], _mm512_set1_epi32(y32[m]));
          a = _mm512_dpbusd_epi32(a, hi[m], _mm512_set1_epi32(y32[4 + m]));
        }
        isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sc, a));
      }
    }
    const __m512 d = load_f16x16(blk);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[t][sb].d)), _mm512_cvtepi32_ps(isum[t]), acc[t]);
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(s + t * s_stride, acc[t]);
}

// Q2_K (kQ3 false) and Q3_K (kQ3), whose qs words are alike (kPackQ2_K, kPackQ3_K): for half h and level
// pair j, word 8h + m's bits 2j..2j+1 are elements 128h + 32j + 4m.., of sub-block 8h + 2j + m / 4.
// Q3_K adds 4 where the element's high bit (bit 4h + j of hmask word m) is set, an unsigned level 0..7
// for vpdpbusd, and takes the offset of 4 off as -4 * bsum at the start of each sub-block's sum; Q2_K's
// mins multiply the bsums in one vpdpwssd per two sub-blocks.
template <bool kQ3, int T>
void tile_q23_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ3 ? sizeof(BlockQ3_K) : sizeof(BlockQ2_K));
  constexpr int kPlanes = kQ3 ? 12 : 16;
  constexpr int plane0 = kQ3 ? 2 * kRows : 4 * kRows;  // after d (and Q2_K's dmin)
  const __m512i m3 = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    if constexpr (T == 1) prefetch_ahead<kSuper>(blk);
    __m128i P[kPlanes];
    for (int i = 0; i < kPlanes; ++i) P[i] = load128(blk + plane0 + 16 * i);
    const uint8_t* hm = blk + plane0 + kPlanes * kRows;  // Q3_K only
    const uint8_t* qs = hm + (kQ3 ? 32 * kRows : 0);
    __m512i isum[T];
    for (int t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h)
      for (int j = 0; j < 4; ++j) {
        if constexpr (T > 1) prefetch_spread<kSuper, 8>(blk, 4 * h + j);
        __m512i q[8];
        for (int m = 0; m < 8; ++m) {
          const __m512i w = load512(qs + (8 * h + m) * 64);
          q[m] = _mm512_and_si512(j ? _mm512_srli_epi16(w, 2 * j) : w, m3);
          if constexpr (kQ3) {
            const __mmask64 high = _mm512_test_epi8_mask(load512(hm + m * 64), _mm512_set1_epi8(static_cast<char>(1 << (4 * h + j))));
            q[m] = _mm512_mask_add_epi8(q[m], high, q[m], four);
          }
        }
        for (int e = 0; e < 2; ++e) {  // sub-block 8h + 2j + e: words 4e..4e + 3
          const int sub = 8 * h + 2 * j + e;
          const __m512i sc = kQ3 ? _mm512_cvtepi8_epi32(q3_scale(P, sub)) : _mm512_cvtepu8_epi32(_mm_and_si128(P[sub], _mm_set1_epi8(0x0F)));
          for (int t = 0; t < T; ++t) {
            const auto* y32 = reinterpret_cast<const int32_t*>(y[t][sb].qs) + 32 * h + 8 * j + 4 * e;
            __m512i a = _mm512_set1_epi32(kQ3 ? -4 * y[t][sb].bsums[sub] : 0);
            for (int m = 0; m < 4; ++m) a = _mm512_dpbusd_epi32(a, q[4 * e + m], _mm512_set1_epi32(y32[m]));
            isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sc, a));
          }
        }
      }
    const __m512 d = load_f16x16(blk);
    if constexpr (kQ3) {
      for (int t = 0; t < T; ++t)
        acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[t][sb].d)), _mm512_cvtepi32_ps(isum[t]), acc[t]);
    } else {
      // Mins: lane r of mins[i] holds (m_2i, m_2i+1) of row r as two s16, against bsums 2i, 2i + 1.
      __m512i mins[8];
      for (int i = 0; i < 8; ++i) {
        const __m128i a = _mm_and_si128(_mm_srli_epi16(P[2 * i], 4), _mm_set1_epi8(0x0F));
        const __m128i b = _mm_and_si128(_mm_srli_epi16(P[2 * i + 1], 4), _mm_set1_epi8(0x0F));
        mins[i] = _mm512_cvtepu8_epi16(_mm256_set_m128i(_mm_unpackhi_epi8(a, b), _mm_unpacklo_epi8(a, b)));
      }
      const __m512 dmin = load_f16x16(blk + 2 * kRows);
      for (int t = 0; t < T; ++t) {
        const int16_t* bs = y[t][sb].bsums;
        __m512i msum = _mm512_setzero_si512();
        for (int i = 0; i < 8; ++i)
          msum = _mm512_dpwssd_epi32(msum, mins[i], _mm512_set1_epi32(static_cast<int>((static_cast<uint32_t>(static_cast<uint16_t>(bs[2 * i + 1])) << 16) | static_cast<uint16_t>(bs[2 * i]))));
        const __m512 dy = _mm512_set1_ps(y[t][sb].d);
        acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, dy), _mm512_cvtepi32_ps(isum[t]), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, dy), _mm512_cvtepi32_ps(msum), acc[t]);
      }
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(s + t * s_stride, acc[t]);
}

using TileFn = void (*)(int64_t, const uint8_t*, const BlockQ8_K* const*, float*, int64_t);

template <TileFn (*Pick)(int), int kMax = kMaxTile>
void gemm_k(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
            int64_t y_stride) {
  const int64_t nsb = n / kQKK;
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<kRows, kMax>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    const BlockQ8_K* ys[kMax];
    for (int t = 0; t < nt; ++t) ys[t] = reinterpret_cast<const BlockQ8_K*>(xb + (t0 + t) * x_row);
    Pick(nt)(nsb, group, ys, out, y_stride);
  });
}

template <bool kQ5>
TileFn pick_q45_K(int nt) {
  static constexpr TileFn kTiles[kMaxTile + 1] = {nullptr,           tile_q45_K<kQ5, 1>, tile_q45_K<kQ5, 2>, tile_q45_K<kQ5, 3>,
                                                  tile_q45_K<kQ5, 4>, tile_q45_K<kQ5, 5>, tile_q45_K<kQ5, 6>};
  return kTiles[nt];
}

TileFn pick_q6_K(int nt) {
  static constexpr TileFn kTiles[kMaxTileQ6 + 1] = {nullptr,      tile_q6_K<1>, tile_q6_K<2>, tile_q6_K<3>, tile_q6_K<4>,
                                                    tile_q6_K<5>, tile_q6_K<6>, tile_q6_K<7>, tile_q6_K<8>};
  return kTiles[nt];
}

template <bool kQ3>
TileFn pick_q23_K(int nt) {
  static constexpr TileFn kTiles[kMaxTile + 1] = {nullptr,           tile_q23_K<kQ3, 1>, tile_q23_K<kQ3, 2>, tile_q23_K<kQ3, 3>,
                                                  tile_q23_K<kQ3, 4>, tile_q23_K<kQ3, 5>, tile_q23_K<kQ3, 6>};
  return kTiles[nt];
}

TileFn pick_iq4_xs(int nt) {
  static constexpr TileFn kTiles[kMaxTile + 1] = {nullptr,        tile_iq4_xs<1>, tile_iq4_xs<2>, tile_iq4_xs<3>,
                                                  tile_iq4_xs<4>, tile_iq4_xs<5>, tile_iq4_xs<6>};
  return kTiles[nt];
}

}  // namespace

void pack_q4_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ4_K), kPackQ4_K>(sizeof(BlockQ4_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q5_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ5_K), kPackQ5_K>(sizeof(BlockQ5_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q6_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ6_K), kPackQ6_K>(sizeof(BlockQ6_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q4_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<pick_q45_K<false>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q5_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<pick_q45_K<true>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q6_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<pick_q6_K, kMaxTileQ6>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void pack_q2_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ2_K), kPackQ2_K>(sizeof(BlockQ2_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_q3_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackQ3_K), kPackQ3_K>(sizeof(BlockQ3_K), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void pack_iq4_xs(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  pack_rows<kRows, std::size(kPackIq4Xs), kPackIq4Xs>(sizeof(BlockIq4Xs), kQKK, src, row_bytes, n_rows, n_cols, dst);
}

void gemm_q2_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<pick_q23_K<false>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q3_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<pick_q23_K<true>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_iq4_xs_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                             int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<pick_iq4_xs>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx512
