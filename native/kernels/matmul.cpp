#include "kernels/matmul.h"

#include <algorithm>
#include <cstdint>
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

namespace {

// A part checked and resolved: its gemm, and where its converted activations sit.
struct Resolved {
  GemmFn gemm;
  size_t w_row, x_row;
  size_t x_off;  // in the scratch (or SIZE_MAX: x used as F32)
  int64_t g0;    // first of its row groups in the region's numbering
};

constexpr size_t kRawX = SIZE_MAX;
// At most this many matrices share one call (a layer's q, k, v).
constexpr size_t kMaxParts = 4;

Status resolve(const MatmulPart& m, int64_t n_cols, int64_t n_tok, Resolved& r) {
  const GgmlType wtype = m.wtype;
  const Kernels& k = *m.k;
  const uint32_t id = static_cast<uint32_t>(wtype);
  if (id >= kGgmlTypeCount || !k.type(wtype).vec_dot)
    return {ErrorCode::UNSUPPORTED_QUANT, std::string("matmul: no dot product for weight type ") +
                                              (ggml_type_known(id) ? ggml_type_traits(wtype).name : std::to_string(id))};
  if (m.n_rows <= 0 || n_cols <= 0 || n_tok <= 0) return {ErrorCode::INVALID_ARGUMENT, "matmul: sizes must be positive"};
  const TypeKernels& tk = k.type(wtype);
  if (m.packed && (!tk.gemm_packed || m.n_rows % tk.pack_rows != 0))
    return {ErrorCode::INVALID_ARGUMENT, std::string("matmul: no packed ") + ggml_type_traits(wtype).name + " kernel for " +
                                             std::to_string(m.n_rows) + " rows in the " + isa_name(k.isa) + " table"};
  const GgmlType vdt = tk.vec_dot_type;
  const int64_t bs = std::max(ggml_type_traits(wtype).block_size, ggml_type_traits(vdt).block_size);
  if (n_cols % bs != 0)
    return {ErrorCode::INVALID_ARGUMENT, "matmul: n_cols " + std::to_string(n_cols) + " is not a multiple of " +
                                             std::to_string(bs) + " for " + ggml_type_traits(wtype).name};
  r.gemm = m.packed ? tk.gemm_packed : tk.gemm;
  r.w_row = ggml_row_size(wtype, n_cols);
  r.x_row = ggml_row_size(vdt, n_cols);
  return Status::ok();
}

}  // namespace

Status matmul(ThreadPool& pool, GgmlType wtype, const void* W, int64_t n_rows, int64_t n_cols, const float* x,
              int64_t n_tok, float* y, QuantScratch& scratch, const Kernels& k, bool packed) {
  const MatmulPart part{wtype, W, n_rows, y, &k, packed};
  return matmul_many(pool, &part, 1, n_cols, x, n_tok, scratch);
}

Status matmul_many(ThreadPool& pool, const MatmulPart* parts, size_t n_parts, int64_t n_cols, const float* x,
                   int64_t n_tok, QuantScratch& scratch) {
  if (n_parts == 0 || n_parts > kMaxParts) return {ErrorCode::INVALID_ARGUMENT, "matmul: 1 to 4 matrices per call"};
  Resolved res[kMaxParts];
  // Distinct conversions of x: (activation type, table) -> scratch offset; parts that agree share one.
  struct Conversion {
    FromFloatFn quant;
    size_t x_row, off;
  } conv[kMaxParts];
  size_t n_conv = 0, x_bytes = 0;
  int64_t n_groups = 0, work = 0;
  for (size_t i = 0; i < n_parts; ++i) {
    Resolved& r = res[i];
    CAPIBARA_RETURN_IF_ERROR(resolve(parts[i], n_cols, n_tok, r));
    const TypeKernels& tk = parts[i].k->type(parts[i].wtype);
    r.g0 = n_groups;
    n_groups += (parts[i].n_rows + kRowGroup - 1) / kRowGroup;
    work += parts[i].n_rows * n_cols * n_tok;
    if (tk.vec_dot_type == GgmlType::F32) {
      r.x_off = kRawX;
      continue;
    }
    const FromFloatFn quant = parts[i].k->type(tk.vec_dot_type).from_float;
    size_t c = 0;
    while (c < n_conv && conv[c].quant != quant) ++c;
    if (c == n_conv) {
      conv[n_conv++] = {quant, r.x_row, x_bytes};
      x_bytes += static_cast<size_t>(n_tok) * r.x_row;
    }
    r.x_off = conv[c].off;
  }

  uint8_t* buf = nullptr;
  if (n_conv > 0) {
    buf = scratch.reserve(x_bytes);
    if (!buf) return {ErrorCode::OOM, "matmul: cannot allocate the activation scratch"};
    pool.parallel_for(static_cast<int64_t>(n_conv) * n_tok, [&](int64_t i0, int64_t i1, int) {
      for (int64_t i = i0; i < i1; ++i) {
        const Conversion& c = conv[i / n_tok];
        const int64_t t = i % n_tok;
        c.quant(x + t * n_cols, buf + c.off + t * c.x_row, n_cols);
      }
    });
  }

  // Row groups [g0, g1) of the region, numbered across the parts in order.
  auto rows = [&](int64_t g0, int64_t g1, int) {
    for (size_t i = 0; i < n_parts; ++i) {
      const MatmulPart& m = parts[i];
      const Resolved& r = res[i];
      const int64_t part_groups = (m.n_rows + kRowGroup - 1) / kRowGroup;
      const int64_t a = std::max(g0, r.g0) - r.g0, b = std::min(g1, r.g0 + part_groups) - r.g0;
      if (a >= b) continue;
      const int64_t r0 = a * kRowGroup, r1 = std::min(m.n_rows, b * kRowGroup);
      const uint8_t* xq = r.x_off == kRawX ? reinterpret_cast<const uint8_t*>(x) : buf + r.x_off;
      const auto* wb = static_cast<const uint8_t*>(m.W);
      for (int64_t t0 = 0; t0 < n_tok; t0 += kTokBlock) {
        const int64_t nt = std::min(kTokBlock, n_tok - t0);
        r.gemm(n_cols, wb + r0 * r.w_row, r.w_row, r1 - r0, xq + t0 * r.x_row, r.x_row, nt, m.y + t0 * m.n_rows + r0, m.n_rows);
      }
    }
  };
  if (work < kMinParallelWork) {
    rows(0, n_groups, 0);
  } else {
    pool.parallel_for(n_groups, rows);
  }
  return Status::ok();
}

}  // namespace capibara
