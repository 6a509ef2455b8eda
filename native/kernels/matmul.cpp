#include "kernels/matmul.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace capibara {

namespace {
// Rows are handed to threads in groups of this many, so SIMD gemm tiles (4 rows) never straddle threads.
constexpr int64_t kRowGroup = 16;
// Tokens per gemm call: their quantised activations (<= 64 * ~4.4 KB for 4096 columns) stay in L2
// while a thread sweeps its rows.
constexpr int64_t kTokBlock = 64;
// Below this many multiply-adds a product runs on the calling thread: a 512 x 512 GEMV takes ~7-10 us on
// one core, and splitting it measured slower on a loaded 2-core machine (hand-off and cross-core
// claims cost more than half of it), so a tiny model's decode never pays for a second thread.
constexpr int64_t kMinParallelWork = 1 << 19;
}  // namespace

void QuantScratch::Free::operator()(uint8_t* p) const { std::free(p); }

uint8_t* QuantScratch::reserve(size_t bytes) {
  if (bytes > capacity_) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    data_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, rounded)));
    capacity_ = data_ ? rounded : 0;
  }
  return data_.get();
}

Status matmul(ThreadPool& pool, GgmlType wtype, const void* W, int64_t n_rows, int64_t n_cols, const float* x,
              int64_t n_tok, float* y, QuantScratch& scratch, const Kernels& k, bool packed) {
  const uint32_t id = static_cast<uint32_t>(wtype);
  if (id >= kGgmlTypeCount || !k.type(wtype).vec_dot)
    return {ErrorCode::UNSUPPORTED_QUANT, std::string("matmul: no dot product for weight type ") +
                                              (ggml_type_known(id) ? ggml_type_traits(wtype).name : std::to_string(id))};
  if (n_rows <= 0 || n_cols <= 0 || n_tok <= 0) return {ErrorCode::INVALID_ARGUMENT, "matmul: sizes must be positive"};
  const TypeKernels& tk = k.type(wtype);
  if (packed && (!tk.gemm_packed || n_rows % tk.pack_rows != 0))
    return {ErrorCode::INVALID_ARGUMENT, std::string("matmul: no packed ") + ggml_type_traits(wtype).name + " kernel for " +
                                             std::to_string(n_rows) + " rows in the " + isa_name(k.isa) + " table"};
  const GemmFn gemm = packed ? tk.gemm_packed : tk.gemm;
  const GgmlType vdt = tk.vec_dot_type;
  const int64_t bs = std::max(ggml_type_traits(wtype).block_size, ggml_type_traits(vdt).block_size);
  if (n_cols % bs != 0)
    return {ErrorCode::INVALID_ARGUMENT, "matmul: n_cols " + std::to_string(n_cols) + " is not a multiple of " +
                                             std::to_string(bs) + " for " + ggml_type_traits(wtype).name};

  const size_t w_row = ggml_row_size(wtype, n_cols);
  const size_t x_row = ggml_row_size(vdt, n_cols);
  const uint8_t* xq = reinterpret_cast<const uint8_t*>(x);
  if (vdt != GgmlType::F32) {
    uint8_t* buf = scratch.reserve(static_cast<size_t>(n_tok) * x_row);
    if (!buf) return {ErrorCode::OOM, "matmul: cannot allocate the activation scratch"};
    const FromFloatFn quant = k.type(vdt).from_float;
    pool.parallel_for(n_tok, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) quant(x + t * n_cols, buf + t * x_row, n_cols);
    });
    xq = buf;
  }

  const auto* wb = static_cast<const uint8_t*>(W);
  auto rows = [&](int64_t g0, int64_t g1, int) {
    const int64_t r0 = g0 * kRowGroup, r1 = std::min(n_rows, g1 * kRowGroup);
    for (int64_t t0 = 0; t0 < n_tok; t0 += kTokBlock) {
      const int64_t nt = std::min(kTokBlock, n_tok - t0);
      gemm(n_cols, wb + r0 * w_row, w_row, r1 - r0, xq + t0 * x_row, x_row, nt, y + t0 * n_rows + r0, n_rows);
    }
  };
  const int64_t n_groups = (n_rows + kRowGroup - 1) / kRowGroup;
  if (n_rows * n_cols * n_tok < kMinParallelWork) {
    rows(0, n_groups, 0);
  } else {
    pool.parallel_for(n_groups, rows);
  }
  return Status::ok();
}

}  // namespace capibara
