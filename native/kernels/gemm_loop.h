// The plain GEMM of any type: one vec_dot per (row, token). Scalar tables use it for every type, and
// SIMD tables for types that have no tiled kernel, so a GemmFn always exists.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace capibara {

template <VecDotFn Dot>
void gemm_by_vec_dot(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* x, size_t x_row_bytes,
                     int64_t n_tok, float* y, int64_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t r = 0; r < n_rows; ++r) Dot(n, &y[t * y_stride + r], wb + r * w_row_bytes, xb + t * x_row_bytes);
}

}  // namespace capibara
