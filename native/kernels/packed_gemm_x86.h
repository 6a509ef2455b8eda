// The ISA-independent half of the x86 packed 32-element GEMMs (Q4_0 / Q8_0 in avx2/ and avx512/
// gemm_packed.cpp, Q4_1 / Q5_0 / Q5_1 / IQ4_NL in gemm_packed_legacy.cpp):
// per-token activation preparation and the loop over row groups and token tiles; and the weight-stream
// prefetch of every x86 packed kernel (the K-quant ones too). A tile kernel does
// the arithmetic of one group of kRows packed rows (pack.h) times up to kMaxTile tokens.
//
// AVX2 + F16C intrinsics only, since the avx2 folder is compiled without AVX-512. Everything sits in an
// unnamed namespace: each including file is compiled with its own ISA flags, and an inline function
// shared between them could be merged by the linker into the AVX-512 build and then run on a CPU
// without AVX-512.
#pragma once
#include <immintrin.h>

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
constexpr size_t kPrefetchAhead = 2048;
template <size_t kBytes>
inline void prefetch_ahead(const uint8_t* p) {
  for (size_t o = 0; o < kBytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchAhead + o), _MM_HINT_T0);
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
