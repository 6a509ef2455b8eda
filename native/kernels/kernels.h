// THE kernel table. Every op has one function-pointer type here; scalar/, avx2/, avx512/ and neon/
// implement the same signatures in namespaces capibara::scalar, ::avx2, ::avx512, ::neon, and
// dispatch.cpp fills one Kernels struct per ISA at start-up (missing entries fall back to scalar).
// Callers use kernels() and never name an ISA.
//
// Conventions: rows are contiguous; n is the element count; quantised rows follow ggml's block
// layouts (quant_blocks.h) so GGUF tensors are used in place. Tolerances are stated in each
// scalar file and enforced by test/native/kernels_test.cpp and test/unit/kernels.test.ts.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/ggml_type.h"

namespace capibara {

enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };
constexpr int kIsaCount = 4;
const char* isa_name(Isa isa);  // "scalar", "avx2", "avx512", "neon"

// y = x / sqrt(mean(x^2) + eps) * w   (w may be null: no weight). y may alias x.
using RmsNormFn = void (*)(float* y, const float* x, const float* w, int64_t n, float eps);
// y = (x - mean(x)) / sqrt(var(x) + eps) * w   (no bias; command-r). w may be null. y may alias x.
using LayerNormFn = void (*)(float* y, const float* x, const float* w, int64_t n, float eps);
// Gated activations, y may alias g or u:
//   swiglu: y = silu(g) * u = g / (1 + exp(-g)) * u
//   geglu:  y = gelu_tanh(g) * u, gelu_tanh(v) = 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
using GatedActFn = void (*)(float* y, const float* g, const float* u, int64_t n);
// Unary activation, y may alias x: gelu: y = gelu_tanh(x) (the ViT FFN of a vision tower).
using ActFn = void (*)(float* y, const float* x, int64_t n);
// In-place numerically stable softmax over n values.
using SoftmaxFn = void (*)(float* x, int64_t n);
// Constrained decoding: logits[i] = -inf wherever bit i of the token bitmask is clear (bit i is bit
// i % 32 of mask[i / 32]); set bits leave the logit untouched.
using TokenMaskFn = void (*)(float* logits, const uint32_t* mask, int64_t n);

struct RopeParams {
  int n_dims = 0;                        // rotated dims per head (partial rotary when < head_dim)
  bool neox = false;                     // NeoX: pairs (i, i + n_dims/2); else adjacent (2i, 2i+1)
  float freq_base = 10000.0f;            // theta_i = pos * freq_scale * base^(-2i/n_dims) / ff[i]
  float freq_scale = 1.0f;
  const float* freq_factors = nullptr;   // n_dims/2 divisors (phi-3 LongRoPE), or null
  float attn_factor = 1.0f;              // cos/sin are multiplied by this (LongRoPE/YaRN mscale)
};
// Rotates x in place: x is [n_heads][head_dim] for one token at absolute position pos.
using RopeFn = void (*)(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p);

// Flash attention over an F16 KV cache (tiled, online softmax), GQA and causal mask.
// Query i (0 <= i < n_q) sits at absolute position q_pos0 + i and attends to cached keys
// j in [max(0, pos - window + 1), max(pos, kv_end - 1)] (window == 0: no sliding window; kv_end == 0:
// causal). Cache row j holds position j. kv_end > 0 makes a block of queries see each other both
// ways: a vision encoder's patches, one image's tokens in a text model.
// A paged cache (blocks set) keeps rows in blocks of kKvBlockRows: row j lives in block
// blocks[j / kKvBlockRows], at row j % kKvBlockRows of it; blocks of keys no query sees may be -1.
constexpr int64_t kKvBlockRows = 32;
struct FlashAttnArgs {
  const float* q = nullptr;     // q[i * q_stride + h * head_dim + d]
  int64_t q_stride = 0;
  const uint16_t* k = nullptr;  // F16: k[j * kv_stride + hk * head_dim + d]
  const uint16_t* v = nullptr;  // F16: v[j * kv_stride + hk * head_dim + d]
  int64_t kv_stride = 0;
  const int32_t* blocks = nullptr;  // paged: row j at k + blocks[j / kKvBlockRows] * block_stride +
  int64_t block_stride = 0;         //        (j % kKvBlockRows) * kv_stride (v alike); null: dense
  float* out = nullptr;         // out[i * out_stride + h * head_dim + d]
  int64_t out_stride = 0;
  int64_t n_q = 1;
  int64_t n_head = 1;
  int64_t n_kv_head = 1;        // head h reads kv head h / (n_head / n_kv_head)
  int64_t head_dim = 0;
  int64_t q_pos0 = 0;
  int64_t window = 0;
  int64_t kv_end = 0;           // > 0: keys up to kv_end - 1 are visible to every query (non-causal)
  float scale = 1.0f;           // logits = scale * q.k
  float softcap = 0.0f;         // > 0: logits = softcap * tanh(logits / softcap)
  int64_t head_begin = 0;       // heads [head_begin, head_end) are computed (threading split)
  int64_t head_end = 0;
};
using FlashAttnFn = void (*)(const FlashAttnArgs& a);
// Row j of base (a.k or a.v), dense or paged; rows up to the end of j's block follow at kv_stride.
inline const uint16_t* kv_row(const FlashAttnArgs& a, const uint16_t* base, int64_t j) {
  if (!a.blocks) return base + j * a.kv_stride;
  return base + a.blocks[j / kKvBlockRows] * a.block_stride + (j % kKvBlockRows) * a.kv_stride;
}

// Quantised dot product of one weight row x (type T) with one activation row y (T's vec_dot_type):
//   *s = sum_i x[i] * y[i], n a multiple of the block size.
using VecDotFn = void (*)(int64_t n, float* s, const void* x, const void* y);
// Row conversion between f32 and a type (quantise / dequantise).
using FromFloatFn = void (*)(const float* x, void* y, int64_t n);
using ToFloatFn = void (*)(const void* x, float* y, int64_t n);
// Block of a matrix product: for r in [0, n_rows), t in [0, n_tok):
//   y[t * y_stride + r] = vec_dot(w + r * w_row_bytes, x + t * x_row_bytes)
// A SIMD version may reuse loaded activations across rows; the scalar one loops vec_dot.
using GemmFn = void (*)(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* x,
                        size_t x_row_bytes, int64_t n_tok, float* y, int64_t y_stride);

// Weight repacking (optional per type and ISA). A GGUF row stores its blocks one after another, so a
// GEMV reduces every row horizontally and converts its scales one at a time. A packed layout
// interleaves groups of `pack_rows` rows block by block (the group's scales, then its quants with one
// vector lane per row), which the ISA's gemm_packed reads as one sequential stream with no horizontal
// sums. It is exactly as large as the rows it replaces, so packed group g sits at g * pack_rows *
// row_bytes. pack converts n_rows (a multiple of pack_rows) rows of row_bytes each from src to dst.
using PackFn = void (*)(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);

struct TypeKernels {
  GgmlType vec_dot_type = GgmlType::F32;  // activation type this weight type multiplies with
  VecDotFn vec_dot = nullptr;
  GemmFn gemm = nullptr;
  FromFloatFn from_float = nullptr;
  ToFloatFn to_float = nullptr;
  // Packed layout (all three set, or none): gemm_packed takes w in pack's layout, n_rows a multiple
  // of pack_rows (which divides 16), and the same activations as gemm.
  int pack_rows = 0;
  PackFn pack = nullptr;
  GemmFn gemm_packed = nullptr;
  // Which kernel family dispatch chose for gemm and gemm_packed, e.g. "scalar", "avx2", "neon-dotprod",
  // "neon-i8mm" (nullptr: no such entry), so tests and benchmarks can say what ran.
  const char* gemm_variant = nullptr;
  const char* packed_variant = nullptr;
};

struct Kernels {
  Isa isa = Isa::Scalar;
  RmsNormFn rmsnorm = nullptr;
  LayerNormFn layernorm = nullptr;
  GatedActFn swiglu = nullptr;
  GatedActFn geglu = nullptr;
  ActFn gelu = nullptr;
  SoftmaxFn softmax = nullptr;
  TokenMaskFn apply_token_mask = nullptr;
  RopeFn rope = nullptr;
  FlashAttnFn flash_attn = nullptr;
  TypeKernels types[kGgmlTypeCount];
  const TypeKernels& type(GgmlType t) const { return types[static_cast<uint32_t>(t)]; }
};

// The active table (best ISA for this CPU, or the one forced by CAPIBARA_KERNELS=scalar|avx2|avx512|neon
// or set_kernel_isa()).
const Kernels& kernels();
// The table of one ISA, or nullptr when this build/CPU cannot run it.
const Kernels* kernels_for(Isa isa);
// Switches the active table; false if that ISA is unavailable here.
bool set_kernel_isa(Isa isa);
// Parses "scalar"/"avx2"/"avx512"/"neon"; false if unknown.
bool parse_isa(const char* name, Isa* out);

}  // namespace capibara
