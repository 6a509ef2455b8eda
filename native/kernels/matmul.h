// The ISA-neutral matrix product the model runner calls for every weight matrix:
//
//   y[t * n_rows + r] = sum_c W[r][c] * x[t * n_cols + c]     for t < n_tok, r < n_rows
//
// W is n_rows rows of n_cols elements of wtype, stored as in GGUF (row r at r * row_size bytes).
// x is first converted once to the weight type's vec_dot_type (Q8_0 / Q8_K / F16 / BF16, or used as is
// for F32) into `scratch`, then rows are split over the pool's threads; each thread runs the active
// table's gemm on its rows (a GEMV when n_tok == 1), in token blocks that keep the activations in cache.
// Row groups of 16 are never split, so a packed layout's groups (pack_rows divides 16) stay whole.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/ggml_type.h"
#include "common/status.h"
#include "kernels/kernels.h"
#include "runtime/thread_pool.h"

namespace capibara {

// Reusable, 64-byte aligned buffer for quantised activations; grows to the largest request and is
// then reused, so steady-state calls never allocate. One per session (not shared between threads).
class QuantScratch {
 public:
  uint8_t* reserve(size_t bytes);
  size_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t capacity_ = 0;
};

// One weight matrix of a matmul_many call (the arguments matmul takes for it): y = W x.
struct MatmulPart {
  GgmlType wtype;
  const void* W;
  int64_t n_rows;
  float* y;
  const Kernels* k;
  bool packed;
};

// Errors: UNSUPPORTED_QUANT for a type without a dot product, INVALID_ARGUMENT for n_cols not a
// multiple of the type's block size or non-positive sizes. `k` defaults to the active kernel table.
// packed: W is in k's packed layout for wtype (TypeKernels::pack) and is multiplied by its
// gemm_packed; INVALID_ARGUMENT when k has none or n_rows is not a multiple of its pack_rows.
Status matmul(ThreadPool& pool, GgmlType wtype, const void* W, int64_t n_rows, int64_t n_cols, const float* x,
              int64_t n_tok, float* y, QuantScratch& scratch, const Kernels& k = kernels(), bool packed = false);

// matmul of several matrices with the same x (q, k and v of a layer; gate and up): x is converted
// once per activation type and every matrix's row groups share one parallel region, so a decode
// step pays one hand-off for them instead of one per matrix (and per conversion). Same errors,
// checked for every part before any work.
Status matmul_many(ThreadPool& pool, const MatmulPart* parts, size_t n_parts, int64_t n_cols, const float* x,
                   int64_t n_tok, QuantScratch& scratch);

}  // namespace capibara
