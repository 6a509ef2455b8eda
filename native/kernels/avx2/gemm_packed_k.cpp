// Packed Q4_K / Q5_K / Q6_K GEMM for AVX2 (no VNNI): 8-row groups in pack.h's layouts (kPackQ4_K,
// kPackQ5_K, kPackQ6_K), one 32-bit ymm lane per row, as avx512/gemm_packed_k.cpp does for 16 rows; and
// Q2_K / Q3_K / IQ4_XS the same way (tile_q23_K, tile_iq4_xs say what differs).
// Per 256-element super-block of a group:
//   - the rows' fp16 d (and Q4_K's dmin) convert with one vcvtph2ps each; scales and mins are decoded
//     from 8-byte planes for all 8 rows at once and widened to an s16 pair per lane;
//   - a 32-byte load at word m gives 4 levels of every row; vpmaddubsw (u8 x s8, adjacent products
//     summed in s16) multiplies them by the matching 4 activation bytes broadcast to all lanes. With
//     |y| <= 128, a pair is at most 2 * 15 * 128 = 3840 for Q4_K, 7936 for Q5_K and 16128 for Q6_K, so
//     8, 4 and 2 words respectively add up in s16 (<= 32256, never wrapping) before one vpmaddwd against
//     the (scale, scale) pair of each lane multiplies them by the sub-block's scale into s32;
//   - Q6_K's -32 offset starts the sum at -32 * sum_s scale_s * bsum_s; Q4_K / Q5_K mins multiply each
//     sub-block's two bsums of 16 (adjacent s16: one broadcast word) in one vpmaddwd;
//   - one FMA per super-block and token (two for Q4_K / Q5_K) adds d * d_y * sum into 8 row accumulators.
// Integer sums are exact, so only the float scaling order differs from scalar.
#include <immintrin.h>

#include <vector>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/vmath.h"
#include "kernels/pack.h"
#include "kernels/packed_gemm_x86.h"

namespace capibara::avx2 {

namespace {

constexpr int kRows = 8;
// Tokens per tile: 4 s16 sums, 4 s32 sums, the weight word and the constants fill the 16 ymm registers.
constexpr int kMaxTile = 4;

inline __m128i load64(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }
inline __m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
// A vector as a std::vector element (a vector of __m256i itself would drop its alignment attribute).
struct Vec256 {
  __m256i v;
};

// Where a tile gets the decoded scales of a group's super-blocks: a call of several token tiles has the
// group's first tile decode them into a per-thread buffer (kStore) that its other tiles read (kReuse),
// so a 64-token call decodes each super-block once instead of 16 times; a call of one tile (decode)
// keeps them to itself (kNone): storing and reloading them slowed the memory-bound GEMV by ~20 %.
enum class Keep { kNone, kStore, kReuse };
inline __m256 load_f16x8(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// An empty asm that "changes" v: GCC may no longer rebalance the chain of integer adds through v into a
// tree, which left every product of a super-block live at once (spilled: in the 4-token tiles a third
// of the instructions were stack moves; the Q4_K GEMM ran 1.4x faster without them).
inline void chain(__m256i& v) { asm("" : "+x"(v)); }
// Lane r = (a_r, b_r) as s16, from the 8 bytes of a and b (unsigned or signed bytes).
inline __m256i pair_u8(__m128i a, __m128i b) { return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, b)); }
inline __m256i pair_s8(__m128i a, __m128i b) { return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, b)); }
// Q4_K sub-block j's 6-bit scale (kMin: its min) of the 8 rows, from the 12 scale-byte planes P (the
// ggml packing, see k_scale_min), in the low 8 bytes.
template <bool kMin>
inline __m128i k4_scale(const __m128i* P, int j) {
  const __m128i m6 = _mm_set1_epi8(0x3F), m4 = _mm_set1_epi8(0x0F), m2 = _mm_set1_epi8(0x03);
  if (j < 4) return _mm_and_si128(P[kMin ? j + 4 : j], m6);
  const __m128i low = kMin ? _mm_and_si128(_mm_srli_epi16(P[j + 4], 4), m4) : _mm_and_si128(P[j + 4], m4);
  const __m128i top = _mm_and_si128(_mm_srli_epi16(P[kMin ? j : j - 4], 6), m2);
  return _mm_or_si128(low, _mm_slli_epi16(top, 4));
}

// Q4_K, and Q5_K (kQ5) whose fifth bit of sub-block j's element l is bit j of qh byte l.
// Every sub-block's scale of the 8 rows as an (s, s) pair per lane and the mins of sub-blocks 2i, 2i + 1
// as one (m_2i, m_2i+1) pair, kQ45Scales vectors per super-block, decoded by the tile or read back from
// `scales` (see Keep).
constexpr int kQ45Scales = 12;
template <bool kQ5, Keep kKeep, int T>
void tile_q45_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, __m256i* scales, NextGroup next, float* s,
                int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  constexpr int kWordsPerSum = kQ5 ? 4 : 8;  // words whose vpmaddubsw pairs add up in s16 (see above)
  const __m256i m4 = _mm256_set1_epi8(0x0F), bit4 = _mm256_set1_epi8(0x10);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    prefetch_ahead<kSuper>(blk);
    next.prefetch(sb);
    const uint8_t* qh = blk + 4 * kRows + 12 * kRows;  // after d, dmin and the scale planes (Q5_K only)
    const uint8_t* qs = qh + (kQ5 ? 32 * kRows : 0);
    // Decoded before the products: keeping the 12 planes live across them spilled the token sums.
    __m256i here[kKeep == Keep::kNone ? kQ45Scales : 1];
    __m256i* dec = kKeep == Keep::kNone ? here : scales + sb * kQ45Scales;
    const __m256i* sc = dec;
    const __m256i* mn = dec + 8;
    if constexpr (kKeep != Keep::kReuse) {
      __m128i P[12];
      for (int i = 0; i < 12; ++i) P[i] = load64(blk + 4 * kRows + kRows * i);
      for (int j = 0; j < 8; ++j) {
        const __m128i a = k4_scale<false>(P, j);
        dec[j] = pair_u8(a, a);
      }
      for (int i = 0; i < 4; ++i) dec[8 + i] = pair_u8(k4_scale<true>(P, 2 * i), k4_scale<true>(P, 2 * i + 1));
    }
    __m256i isum[T];
    for (int t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    // Sub-block j is chunk j / 2's low (even j) or high (odd j) nibbles: elements 32j.., words 8j...
    // Fully unrolled: every branch on j and m folds away and the activation offsets become constants
    // (as runtime loops they cost more scalar work than the vector work they steer).
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      __m256i s16[T];
#pragma GCC unroll 8
      for (int m = 0; m < 8; ++m) {
        const __m256i w = load256(qs + (8 * (j / 2) + m) * 32);
        __m256i q = _mm256_and_si256((j & 1) ? _mm256_srli_epi16(w, 4) : w, m4);
        if constexpr (kQ5) {  // bit j of each byte to bit 4 (a 16-bit shift; the mask drops the rest)
          const __m256i h = load256(qh + m * 32);
          q = _mm256_or_si256(q, _mm256_and_si256(j <= 4 ? _mm256_slli_epi16(h, 4 - j) : _mm256_srli_epi16(h, j - 4), bit4));
        }
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) {
          const __m256i p = _mm256_maddubs_epi16(q, bcast32(y[t][sb].qs + 32 * j + 4 * m));
          s16[t] = m % kWordsPerSum == 0 ? p : _mm256_add_epi16(s16[t], p);
          chain(s16[t]);
          if (m % kWordsPerSum == kWordsPerSum - 1) {
            isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s16[t], sc[j]));
            chain(isum[t]);
          }
        }
      }
    }
    // Mins: the token's 16 bsums summed in pairs (sub-block j's sum, |sum| <= 32 * 128, an s16) as
    // (sum_2i, sum_2i+1) words, each broadcast against the (m_2i, m_2i+1) pairs.
    const __m256 d = load_f16x8(blk), dmin = load_f16x8(blk + 2 * kRows);
    for (int t = 0; t < T; ++t) {
      const __m256i s32 = _mm256_madd_epi16(load256(reinterpret_cast<const uint8_t*>(y[t][sb].bsums)), _mm256_set1_epi16(1));
      const __m256i sums = _mm256_packs_epi32(s32, s32);  // lane 0: sums 0-3 twice, lane 1: sums 4-7 twice
      __m256i msum = _mm256_madd_epi16(mn[0], _mm256_permutevar8x32_epi32(sums, _mm256_setzero_si256()));
      for (int i = 1; i < 4; ++i)
        msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mn[i], _mm256_permutevar8x32_epi32(sums, _mm256_set1_epi32(i < 2 ? i : i + 2))));
      const __m256 dy = _mm256_set1_ps(y[t][sb].d);
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, dy), _mm256_cvtepi32_ps(isum[t]), acc[t]);
      acc[t] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, dy), _mm256_cvtepi32_ps(msum), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(s + t * s_stride, acc[t]);
}

// Q6_K: the (sc_2i, sc_2i+1) pairs of the -32 offset and the (sc_s, sc_s) pair of every sub-block s
// of the 8 rows, kQ6Scales vectors per super-block (see Keep).
constexpr int kQ6Scales = 24;
template <Keep kKeep, int T>
void tile_q6_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, __m256i* scales, NextGroup next, float* s,
               int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockQ6_K);
  constexpr size_t kSection = 3 * 16 * kRows;  // kPackQ6_K: three 16-byte fields per (h, mq)
  const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    prefetch_ahead<kSuper>(blk);
    next.prefetch(sb);
    const uint8_t* planes = blk + 2 * kRows;  // 16 int8 scale planes
    __m256i here[kKeep == Keep::kNone ? kQ6Scales : 1];
    __m256i* dec = kKeep == Keep::kNone ? here : scales + sb * kQ6Scales;
    const __m256i* sc_pairs = dec;
    const __m256i* sc_sub = dec + 8;
    if constexpr (kKeep != Keep::kReuse) {
      for (int i = 0; i < 8; ++i) dec[i] = pair_s8(load64(planes + 2 * kRows * i), load64(planes + 2 * kRows * i + kRows));
      for (int i = 0; i < 16; ++i) {
        const __m128i scb = load64(planes + kRows * i);
        dec[8 + i] = pair_s8(scb, scb);
      }
    }
    __m256i isum[T];
    for (int t = 0; t < T; ++t) {
      const auto* bs = reinterpret_cast<const int8_t*>(y[t][sb].bsums);  // (bs_2i, bs_2i+1): one word
      __m256i off = _mm256_madd_epi16(sc_pairs[0], bcast32(bs));
      for (int i = 1; i < 8; ++i) off = _mm256_add_epi32(off, _mm256_madd_epi16(sc_pairs[i], bcast32(bs + 4 * i)));
      isum[t] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(off, 5));  // -32 * sum
    }
    // Section (h, mq) holds the four 16-element sub-blocks s = 8h + 2k + mq, k = quarter: word m of its
    // ql fields holds quarters 0/2 (low/high nibble) and 1/3, with bits 2k..2k+1 of the qh word on top
    // (moved to bits 4-5 by a 16-bit shift: the mask drops what crosses bytes).
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h)
#pragma GCC unroll 2
      for (int mq = 0; mq < 2; ++mq) {
        const uint8_t* sec = planes + 16 * kRows + (2 * h + mq) * kSection;
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
          const __m256i sc = sc_sub[8 * h + 2 * k + mq];
          __m256i s16[T];
#pragma GCC unroll 4
          for (int m = 0; m < 4; ++m) {
            const __m256i l = load256(sec + (k & 1 ? 16 * kRows : 0) + 32 * m);
            const __m256i hb = load256(sec + 32 * kRows + 32 * m);
            const __m256i lo = _mm256_and_si256(k < 2 ? l : _mm256_srli_epi16(l, 4), m4);
            const __m256i hs = k == 0 ? _mm256_slli_epi16(hb, 4) : k == 1 ? _mm256_slli_epi16(hb, 2) : k == 2 ? hb : _mm256_srli_epi16(hb, 2);
            const __m256i q = _mm256_or_si256(lo, _mm256_and_si256(hs, m30));
#pragma GCC unroll 4
            for (int t = 0; t < T; ++t) {
              const __m256i p = _mm256_maddubs_epi16(q, bcast32(y[t][sb].qs + 4 * (32 * h + 8 * k + 4 * mq + m)));
              s16[t] = m % 2 == 0 ? p : _mm256_add_epi16(s16[t], p);
              chain(s16[t]);
              if (m % 2 == 1) {
                isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s16[t], sc));
                chain(isum[t]);
              }
            }
          }
        }
      }
    const __m256 d = load_f16x8(blk);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(y[t][sb].d)), _mm256_cvtepi32_ps(isum[t]), acc[t]);
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(s + t * s_stride, acc[t]);
}

// IQ4_XS: word 4j + m's nibbles look up the signed levels (vpshufb); vpmaddubsw multiplies |level| by
// the activation bytes given the level's sign (|pair| <= 2 * 127 * 128 = 32512, so each pair sum widens
// at once), and the vpmaddwd that widens it multiplies by the (ls_j - 32, ls_j - 32) pair of each lane.
template <int T>
void tile_iq4_xs(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, NextGroup next, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * sizeof(BlockIq4Xs);
  const __m256i m4 = _mm256_set1_epi8(0x0F), table = _mm256_broadcastsi128_si256(iq4_table(0));
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    prefetch_ahead<kSuper>(blk);
    next.prefetch(sb);
    const __m256i sh = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2 * kRows)));
    const __m256i sl = load256(blk + 4 * kRows);
    const uint8_t* qs = blk + 8 * kRows;
    __m256i isum[T];
    for (int t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      const __m256i ls = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(sl, 4 * j), _mm256_set1_epi32(0xF)),
                                         _mm256_and_si256(_mm256_slli_epi32(_mm256_srli_epi32(sh, 2 * j), 4), _mm256_set1_epi32(0x30)));
      const __m256i sc1 = _mm256_sub_epi32(ls, _mm256_set1_epi32(32));
      const __m256i sc = _mm256_or_si256(_mm256_and_si256(sc1, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(sc1, 16));
      for (int m = 0; m < 4; ++m) {
        const __m256i w = load256(qs + (4 * j + m) * 32);
        const __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(w, m4));
        const __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(w, 4), m4));
        const __m256i alo = _mm256_sign_epi8(lo, lo), ahi = _mm256_sign_epi8(hi, hi);
        for (int t = 0; t < T; ++t) {
          const int8_t* yq = y[t][sb].qs + 32 * j + 4 * m;
          const __m256i plo = _mm256_maddubs_epi16(alo, _mm256_sign_epi8(bcast32(yq), lo));
          const __m256i phi = _mm256_maddubs_epi16(ahi, _mm256_sign_epi8(bcast32(yq + 16), hi));
          isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(plo, sc), _mm256_madd_epi16(phi, sc)));
        }
      }
    }
    const __m256 d = load_f16x8(blk);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(y[t][sb].d)), _mm256_cvtepi32_ps(isum[t]), acc[t]);
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(s + t * s_stride, acc[t]);
}

// Q2_K (kQ3 false) and Q3_K (kQ3), whose qs words are alike (kPackQ2_K, kPackQ3_K): for half h and level
// pair j, word 8h + m's bits 2j..2j+1 are elements 128h + 32j + 4m.., of sub-block 8h + 2j + m / 4.
// Q3_K adds 4 where the element's high bit (bit 4h + j of hmask word m) is set, an unsigned level 0..7,
// and starts the sum at -4 * sum_s (ls_s - 32) bsum_s for the offset of 4. vpmaddubsw pairs are at most
// 2 * 7 * 128 = 1792, so a sub-block's 4 words add up in s16 before the vpmaddwd by its scale pair; Q2_K's
// mins multiply the bsums in one vpmaddwd per two sub-blocks.
template <bool kQ3, int T>
void tile_q23_K(int64_t nsb, const uint8_t* group, const BlockQ8_K* const* y, NextGroup next, float* s, int64_t s_stride) {
  constexpr size_t kSuper = kRows * (kQ3 ? sizeof(BlockQ3_K) : sizeof(BlockQ2_K));
  constexpr int kPlanes = kQ3 ? 12 : 16;
  constexpr int kPlane0 = kQ3 ? 2 * kRows : 4 * kRows;  // after d (and Q2_K's dmin)
  const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
  const __m128i m4 = _mm_set1_epi8(0x0F);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* blk = group + sb * kSuper;
    prefetch_ahead<kSuper>(blk);
    next.prefetch(sb);
    __m128i P[kPlanes];
    for (int i = 0; i < kPlanes; ++i) P[i] = load64(blk + kPlane0 + kRows * i);
    const uint8_t* hm = blk + kPlane0 + kPlanes * kRows;  // Q3_K only
    const uint8_t* qs = hm + (kQ3 ? 32 * kRows : 0);
    // Q3_K: -4 sum_s sc_s bsum_s; Q2_K: sum_s m_s bsum_s (subtracted at the end), pairs (2i, 2i + 1) per lane.
    __m256i isum[T], msum[T];
    {
      __m256i pairs[8];
      for (int i = 0; i < 8; ++i)
        pairs[i] = kQ3 ? pair_s8(q3_scale(P, 2 * i), q3_scale(P, 2 * i + 1))
                       : pair_u8(_mm_and_si128(_mm_srli_epi16(P[2 * i], 4), m4), _mm_and_si128(_mm_srli_epi16(P[2 * i + 1], 4), m4));
      for (int t = 0; t < T; ++t) {
        const int16_t* bs = y[t][sb].bsums;
        __m256i v = _mm256_setzero_si256();
        for (int i = 0; i < 8; ++i) v = _mm256_add_epi32(v, _mm256_madd_epi16(pairs[i], bcast32(reinterpret_cast<const int8_t*>(bs + 2 * i))));
        isum[t] = kQ3 ? _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(v, 2)) : _mm256_setzero_si256();
        msum[t] = v;
      }
    }
    for (int h = 0; h < 2; ++h)
      for (int j = 0; j < 4; ++j)
        for (int e = 0; e < 2; ++e) {  // sub-block 8h + 2j + e: words 4e..4e + 3
          const int sub = 8 * h + 2 * j + e;
          const __m128i scb = kQ3 ? q3_scale(P, sub) : _mm_and_si128(P[sub], m4);
          const __m256i sc = kQ3 ? pair_s8(scb, scb) : pair_u8(scb, scb);
          __m256i s16[T];
          for (int m = 0; m < 4; ++m) {
            const __m256i w = load256(qs + (8 * h + 4 * e + m) * 32);
            __m256i q = _mm256_and_si256(j ? _mm256_srli_epi16(w, 2 * j) : w, m3);
            if constexpr (kQ3) {  // bit 4h + j of each hmask byte to bit 2 (a 16-bit shift; the mask drops the rest)
              const __m256i hb = load256(hm + (4 * e + m) * 32);
              const int k = 4 * h + j;
              q = _mm256_or_si256(q, _mm256_and_si256(k > 2 ? _mm256_srli_epi16(hb, k - 2) : k < 2 ? _mm256_slli_epi16(hb, 2 - k) : hb, four));
            }
            for (int t = 0; t < T; ++t) {
              const __m256i p = _mm256_maddubs_epi16(q, bcast32(y[t][sb].qs + 128 * h + 32 * j + 16 * e + 4 * m));
              s16[t] = m == 0 ? p : _mm256_add_epi16(s16[t], p);
            }
          }
          for (int t = 0; t < T; ++t) isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s16[t], sc));
        }
    const __m256 d = load_f16x8(blk);
    for (int t = 0; t < T; ++t) {
      const __m256 dy = _mm256_set1_ps(y[t][sb].d);
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, dy), _mm256_cvtepi32_ps(isum[t]), acc[t]);
      if constexpr (!kQ3) acc[t] = _mm256_fnmadd_ps(_mm256_mul_ps(load_f16x8(blk + 2 * kRows), dy), _mm256_cvtepi32_ps(msum[t]), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(s + t * s_stride, acc[t]);
}

// Calls tile(group, ys, nt, reuse, next, out) for every token tile of every row group (ys: the tile's
// activation rows; reuse: not the group's first tile; next: its share of the next group's prefetch).
template <typename Tile>
void for_each_k_tile(int64_t nsb, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                     float* y, int64_t y_stride, Tile&& tile) {
  const auto* xb = static_cast<const uint8_t*>(x);
  const size_t group_bytes = kRows * w_row;
  const auto* end = static_cast<const uint8_t*>(w) + n_rows * w_row;
  const int64_t n_tiles = (n_tok + kMaxTile - 1) / kMaxTile;
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    const BlockQ8_K* ys[kMaxTile];
    for (int t = 0; t < nt; ++t) ys[t] = reinterpret_cast<const BlockQ8_K*>(xb + (t0 + t) * x_row);
    const uint8_t* next = group + group_bytes < end ? group + group_bytes : nullptr;
    tile(group, ys, nt, t0 > 0, next_group_share(next, group_bytes, t0 / kMaxTile, n_tiles, nsb), out);
  });
}

using TileFn = void (*)(int64_t, const uint8_t*, const BlockQ8_K* const*, NextGroup, float*, int64_t);

template <const TileFn (&kTiles)[kMaxTile + 1]>
void gemm_k(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
            int64_t y_stride) {
  const int64_t nsb = n / kQKK;
  for_each_k_tile(nsb, w, w_row, n_rows, x, x_row, n_tok, y, y_stride,
                  [&](const uint8_t* group, const BlockQ8_K* const* ys, int nt, bool, NextGroup next, float* out) {
                    kTiles[nt](nsb, group, ys, next, out, y_stride);
                  });
}

// Tiles that take a group's decoded scales as Keep says, kScales vectors per super-block: kTiles[keep][nt].
using CachedTileFn = void (*)(int64_t, const uint8_t*, const BlockQ8_K* const*, __m256i*, NextGroup, float*, int64_t);

template <int kScales, const CachedTileFn (&kTiles)[3][kMaxTile + 1]>
void gemm_cached(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
                 int64_t y_stride) {
  const int64_t nsb = n / kQKK;
  const bool keep = n_tok > kMaxTile;
  thread_local std::vector<Vec256> buf;
  if (keep && buf.size() < static_cast<size_t>(nsb * kScales)) buf.resize(static_cast<size_t>(nsb * kScales));
  __m256i* scales = keep ? &buf[0].v : nullptr;
  const auto first = static_cast<int>(keep ? Keep::kStore : Keep::kNone);
  for_each_k_tile(nsb, w, w_row, n_rows, x, x_row, n_tok, y, y_stride,
                  [&](const uint8_t* group, const BlockQ8_K* const* ys, int nt, bool reuse, NextGroup next, float* out) {
                    kTiles[reuse ? static_cast<int>(Keep::kReuse) : first][nt](nsb, group, ys, scales, next, out, y_stride);
                  });
}

template <bool kQ5>
constexpr CachedTileFn kTilesQ45[3][kMaxTile + 1] = {
    {nullptr, tile_q45_K<kQ5, Keep::kNone, 1>, tile_q45_K<kQ5, Keep::kNone, 2>, tile_q45_K<kQ5, Keep::kNone, 3>, tile_q45_K<kQ5, Keep::kNone, 4>},
    {nullptr, tile_q45_K<kQ5, Keep::kStore, 1>, tile_q45_K<kQ5, Keep::kStore, 2>, tile_q45_K<kQ5, Keep::kStore, 3>, tile_q45_K<kQ5, Keep::kStore, 4>},
    {nullptr, tile_q45_K<kQ5, Keep::kReuse, 1>, tile_q45_K<kQ5, Keep::kReuse, 2>, tile_q45_K<kQ5, Keep::kReuse, 3>, tile_q45_K<kQ5, Keep::kReuse, 4>}};
constexpr CachedTileFn kTilesQ6[3][kMaxTile + 1] = {
    {nullptr, tile_q6_K<Keep::kNone, 1>, tile_q6_K<Keep::kNone, 2>, tile_q6_K<Keep::kNone, 3>, tile_q6_K<Keep::kNone, 4>},
    {nullptr, tile_q6_K<Keep::kStore, 1>, tile_q6_K<Keep::kStore, 2>, tile_q6_K<Keep::kStore, 3>, tile_q6_K<Keep::kStore, 4>},
    {nullptr, tile_q6_K<Keep::kReuse, 1>, tile_q6_K<Keep::kReuse, 2>, tile_q6_K<Keep::kReuse, 3>, tile_q6_K<Keep::kReuse, 4>}};
template <bool kQ3>
constexpr TileFn kTilesQ23[kMaxTile + 1] = {nullptr, tile_q23_K<kQ3, 1>, tile_q23_K<kQ3, 2>, tile_q23_K<kQ3, 3>, tile_q23_K<kQ3, 4>};
constexpr TileFn kTilesIq4Xs[kMaxTile + 1] = {nullptr, tile_iq4_xs<1>, tile_iq4_xs<2>, tile_iq4_xs<3>, tile_iq4_xs<4>};

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
  gemm_cached<kQ45Scales, kTilesQ45<false>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q5_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_cached<kQ45Scales, kTilesQ45<true>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q6_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_cached<kQ6Scales, kTilesQ6>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
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
  gemm_k<kTilesQ23<false>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q3_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<kTilesQ23<true>>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_iq4_xs_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                             int64_t n_tok, float* y, int64_t y_stride) {
  gemm_k<kTilesIq4Xs>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx2
