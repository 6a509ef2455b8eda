// The K-quant GEMM loop on file-layout rows shared by the SIMD folders (avx2/ and neon/ gemm_k.cpp),
// as pack.h shares the packed GEMM loop. The per-token vec_dot re-decodes every super-block's packed
// scales, mins and nibbles for each token; here each weight row is unpacked once per call into the
// ISA's Unpacked form (thread-local, reused), then dotted with every token by DotUnpacked. A GEMV
// (one token) has nothing to amortise and runs the streaming vec_dot Dot instead.
//
// Everything sits in an unnamed namespace: each including file is compiled with its own ISA flags
// (see packed_gemm_x86.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/quant_blocks.h"

namespace capibara {
namespace {

template <typename Unpacked, typename Block, void (*Unpack)(const Block&, Unpacked&),
          float (*DotUnpacked)(const Unpacked&, const BlockQ8_K&), VecDotFn Dot>
void gemm_k_rows(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                 float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  if (n_tok == 1) {
    for (int64_t r = 0; r < n_rows; ++r) Dot(n, y + r, wb + r * w_row, xb);
    return;
  }
  const int64_t nb = n / kQKK;
  thread_local std::vector<Unpacked> row;  // one unpacked weight row, reused across calls
  if (static_cast<int64_t>(row.size()) < nb) row.resize(static_cast<size_t>(nb));
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* blocks = reinterpret_cast<const Block*>(wb + r * w_row);
    for (int64_t b = 0; b < nb; ++b) Unpack(blocks[b], row[static_cast<size_t>(b)]);
    for (int64_t t = 0; t < n_tok; ++t) {
      const auto* yt = reinterpret_cast<const BlockQ8_K*>(xb + t * x_row);
      float sum = 0;
      for (int64_t b = 0; b < nb; ++b) sum += DotUnpacked(row[static_cast<size_t>(b)], yt[b]);
      y[t * y_stride + r] = sum;
    }
  }
}

}  // namespace
}  // namespace capibara
