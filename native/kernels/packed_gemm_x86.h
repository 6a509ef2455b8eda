// The ISA-independent half of the x86 packed 32-element GEMMs (Q4_0 / Q8_0 in avx2/ and avx512/
// gemm_packed.cpp, Q4_1 / Q5_0 / Q5_1 / IQ4_NL in gemm_packed_legacy.cpp):
// per-token activation preparation and the loop over row groups and token tiles; and the weight-stream
// prefetch of every x86 packed kernel (the K-quant ones too), with the Q3_K scale and IQ4 level decoders
// of both ISAs' packed K-quant kernels. A tile kernel does
// the arithmetic of one group of kRows packed rows (pack.h) times up to kMaxTile tokens.
//
// AVX2 + F16C intrinsics only, since the avx2 folder is compiled without AVX-512. Everything sits in an
// unnamed namespace: each including file is compiled with its own ISA flags, and an inline function
// shared between them could be merged by the linker into the AVX-512 build and then run on a CPU
// without AVX-512.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/pack.h"
#include "kernels/quant_blocks.h"

namespace capibara {
namespace {

// Software prefetch of the weight stream, kPrefetchAhead bytes ahead of the block being multiplied: the
// hardware prefetchers alone leave a core short of misses in flight once a batch of several tokens
// makes each block's arithmetic longer than its load, so a small-batch step fell to compute + memory
// time instead of the larger of the two. Called once per block of kBytes, it touches every cache line.
// With kFar (tiles of several tokens), a second prefetch kPrefetchFar ahead into L2 only keeps more
// lines in flight than the L1's miss buffers allow: a core computing a batch then streams from memory
// at about its in-cache speed (Q4_0 at 8 tokens, one thread, Zen 4: 58 % -> 67-78 % of the vpdpbusd
// peak; at 4 tokens 33-40 % -> 59-73 %), where the near prefetch alone left it latency-bound. A
// one-token tile is bandwidth-bound and ran slower with it (one-stream decode 46.5 -> 42.1 t/s); the
// AVX2 kernels are compute-bound at those batch sizes and measured no better, so only the AVX-512
// build (this header is compiled per ISA) issues it.
constexpr size_t kPrefetchAhead = 2048;
constexpr size_t kPrefetchFar = 16384;
inline void prefetch_far([[maybe_unused]] const uint8_t* p) {
#ifdef __AVX512F__
  _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchFar), _MM_HINT_T1);
#endif
}
template <size_t kBytes, bool kFar = false>
inline void prefetch_ahead(const uint8_t* p) {
  for (size_t o = 0; o < kBytes; o += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchAhead + o), _MM_HINT_T0);
    if constexpr (kFar) prefetch_far(p + o);
  }
}

// The next super-block's prefetch for a tile of several tokens, spread over the kSteps steps of its
// arithmetic: prefetch_ahead's burst of a whole K-quant super-block (36-53 lines) fills the load queue
// and stalls a super-block whose arithmetic is long, so Q6_K at 8 tokens streamed at about half the
// speed it ran in cache (Zen 4). One-token tiles keep prefetch_ahead: their short super-blocks need the
// longer lead more than the even spread.
template <size_t kBytes, int kSteps>
inline void prefetch_spread(const uint8_t* blk, int step) {
  constexpr size_t kLines = (kBytes + 63) / 64, kPer = (kLines + kSteps - 1) / kSteps;
  for (size_t i = 0; i < kPer; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(blk + kBytes + (step * kPer + i) * 64), _MM_HINT_T0);
    prefetch_far(blk + (step * kPer + i) * 64);
  }
}

// A share of the next row group's weights that a token tile after a group's first prefetches into L2,
// spread over its blocks: otherwise each group's first tile streams the whole group from memory while
// the group's other tiles (at 64 tokens, 15 in 16) touch none, so the first tiles were bandwidth-bound
// on two threads and ran at about half the speed of the rest.
struct NextGroup {
  const uint8_t* p = nullptr;
  int64_t lines_per_block = 0;
  void prefetch(int64_t b) const {
    for (int64_t i = 0; i < lines_per_block; ++i) _mm_prefetch(reinterpret_cast<const char*>(p + (b * lines_per_block + i) * 64), _MM_HINT_T1);
  }
};

// Tile `tile` of n_tiles (> 1 when tile > 0) of a group of nb blocks: its share of the next group (at
// `next`, null when there is none, group_bytes long), none for the first tile.
inline NextGroup next_group_share(const uint8_t* next, size_t group_bytes, int64_t tile, int64_t n_tiles, int64_t nb) {
  if (!next || tile == 0) return {};
  const int64_t lines = static_cast<int64_t>(group_bytes / 64), per_tile = (lines + n_tiles - 2) / (n_tiles - 1);
  const int64_t begin = (tile - 1) * per_tile, count = std::min(per_tile, lines - begin);
  if (count <= 0) return {};
  return {next + begin * 64, (count + nb - 1) / nb};
}

// Q3_K sub-block s's 6-bit scale minus 32 (s8) of every row, from the 12 scale-byte planes P of kPackQ3_K
// (one byte per row: 8 or 16 of them): the low nibble of plane s (s < 8) or the high one of plane s - 8,
// and bits 2 (s / 4)..2 (s / 4) + 1 of plane 8 + s % 4 on top (see q3_k_scales).
inline __m128i q3_scale(const __m128i* P, int s) {
  const __m128i m4 = _mm_set1_epi8(0x0F), m2 = _mm_set1_epi8(0x03);
  const __m128i low = _mm_and_si128(s < 8 ? P[s] : _mm_srli_epi16(P[s - 8], 4), m4);
  const __m128i top = _mm_and_si128(_mm_srli_epi16(P[8 + s % 4], 2 * (s / 4)), m2);
  return _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(top, 4)), _mm_set1_epi8(32));
}

// The 16 IQ4 levels plus offset as bytes: + 128 gives the unsigned bytes vpdpbusd multiplies (AVX-512),
// + 0 the signed ones of AVX2's sign trick.
inline __m128i iq4_table(int offset) {
  alignas(16) int8_t t[16];
  for (int i = 0; i < 16; ++i) t[i] = static_cast<int8_t>(kIq4nlValues[i] + offset);
  return _mm_load_si128(reinterpret_cast<const __m128i*>(t));
}

struct PackedPrep {
  float dy;       // activation scale
  int32_t start;  // s32 start of a block's sum: -offset * sum(y) removes an unsigned weight offset
  float sy;       // Q8_1 activations: s = d * sum(y), the factor of a weight's min (Q4_1 / Q5_1)
};

// sum(y) per block of every token (activation blocks X: Q8_0 or Q8_1), computed once per call instead
// of once per row group.
template <int kOffset, typename X>
void prepare_packed(const X* y, int64_t nb, PackedPrep* out) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < nb; ++b) {
    // sum(y) = sum(y + 128) - 32 * 128, with the unsigned sum from vpsadbw.
    const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs)), flip),
                                        _mm256_setzero_si256());
    const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
    const int sum = static_cast<int>(_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1)) - 32 * 128;
    out[b].dy = _cvtsh_ss(y[b].d);
    out[b].start = -kOffset * sum;
    if constexpr (std::is_same_v<X, BlockQ8_1>) out[b].sy = _cvtsh_ss(y[b].s);
  }
}

// One group of kRows rows x T tokens: token t's activation blocks y[t] and preparation p[t], results to
// s[t * s_stride + 0 .. kRows - 1].
template <typename X>
using PackedTileFnOf = void (*)(int64_t nb, const uint8_t* group, const X* const* y, const PackedPrep* const* p,
                                float* s, int64_t s_stride);
using PackedTileFn = PackedTileFnOf<BlockQ8_0>;

// gemm_packed over tiles[1..kMaxTile] (tiles[T] takes T tokens) with unsigned weight offset kOffset,
// on activation blocks X.
template <int kRows, int kMaxTile, int kOffset, typename X = BlockQ8_0>
void packed_gemm(const PackedTileFnOf<X>* tiles, int64_t n, const void* w, size_t w_row, int64_t n_rows,
                 const void* x, size_t x_row, int64_t n_tok, float* y, int64_t y_stride) {
  const int64_t nb = n / kQK0;
  const auto* xb = static_cast<const uint8_t*>(x);
  // Prepared activations of one call, per thread, grown on demand and then reused.
  thread_local std::vector<PackedPrep> buf;
  if (buf.size() < static_cast<size_t>(nb * n_tok)) buf.resize(static_cast<size_t>(nb * n_tok));
  PackedPrep* prep = buf.data();
  for (int64_t t = 0; t < n_tok; ++t)
    prepare_packed<kOffset>(reinterpret_cast<const X*>(xb + t * x_row), nb, prep + t * nb);
  for_each_packed_tile<kRows, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    const X* ys[kMaxTile];
    const PackedPrep* ps[kMaxTile];
    for (int t = 0; t < nt; ++t) {
      ys[t] = reinterpret_cast<const X*>(xb + (t0 + t) * x_row);
      ps[t] = prep + (t0 + t) * nb;
    }
    tiles[nt](nb, group, ys, ps, out, y_stride);
  });
}

}  // namespace
}  // namespace capibara
