// Model weights: non-owning views into the memory-mapped GGUF file (no copies), and the one table
// of tensor slots (GGUF name pattern, shape, where it goes) used by the loader, the validator and
// the tests. Architectures only say which slots they use and whether each is required, optional
// or tied (arch/*.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/ggml_type.h"
#include "common/status.h"
#include "model/config.h"

namespace capibara {
struct Kernels;
}
namespace capibara::gguf {
class GgufFile;
}

namespace capibara::model {

// A weight tensor inside the mapped file. ne[0] is the contiguous (row) dimension, as in ggml:
// a matrix {ne0 = n_in, ne1 = n_out} holds n_out rows of n_in elements.
struct Tensor {
  const void* data = nullptr;
  GgmlType type = GgmlType::F32;
  // Set when `data` is a copy in this table's packed layout (TypeKernels::pack), which must then
  // multiply it whatever table is active later.
  const Kernels* packed_by = nullptr;
  int64_t ne[4] = {1, 1, 1, 1};
  explicit operator bool() const { return data != nullptr; }
  size_t row_bytes() const { return ggml_row_size(type, ne[0]); }
  const float* f32() const { return static_cast<const float*>(data); }  // only for F32 tensors
};

struct LayerWeights {
  Tensor attn_norm;                   // [n_embd]
  Tensor wq, wk, wv;                  // {n_embd, q_dim}, {n_embd, kv_dim}, {n_embd, kv_dim}
  Tensor wqkv;                        // fused alternative: {n_embd, q_dim + 2 kv_dim} (rows q | k | v)
  Tensor bq, bk, bv, bqkv;            // optional biases matching the above
  Tensor wo, bo;                      // {q_dim, n_embd}, bias [n_embd]
  Tensor q_norm, k_norm;              // per-head norms [head_dim] (gemma3)
  Tensor attn_post_norm;              // [n_embd] (gemma3)
  Tensor ffn_norm;                    // [n_embd] (absent for parallel residual)
  Tensor ffn_gate, ffn_up;            // {n_embd, n_ff} each; or ffn_up fused {n_embd, 2 n_ff} (gate | up), no gate
  Tensor ffn_down;                    // {n_ff, n_embd}
  Tensor ffn_post_norm;               // [n_embd] (gemma3)
};

struct Weights {
  Tensor token_embd;    // {n_embd, n_vocab}
  Tensor output_norm;   // [n_embd]
  Tensor output;        // {n_embd, n_vocab}; the token_embd view when tied
  Tensor rope_freqs;    // [n_rot/2] F32 frequency divisors (llama3-style), optional
  Tensor rope_long;     // [n_rot/2] F32 LongRoPE factors used when the context exceeds n_ctx_orig
  Tensor rope_short;    // [n_rot/2] F32 LongRoPE factors otherwise
  std::vector<LayerWeights> layers;
  // Every tensor bound above, once each (a tied output is not repeated), in load order, as bound from
  // the file: for names and shapes (the fields above may since point at packed copies).
  std::vector<std::pair<std::string, Tensor>> all;
};

// Every tensor kind a supported architecture may have. Qkv stands for either the fused attn_qkv
// tensor or the three attn_q/attn_k/attn_v tensors (llama.cpp accepts both for every arch); QkvBias
// likewise. FfnGateUp is ffn_gate + ffn_up; FfnUpFused is one ffn_up of 2 n_ff rows (phi3).
enum class Slot : uint8_t {
  TokenEmbd, OutputNorm, Output, RopeFreqs, RopeFactorsLong, RopeFactorsShort,
  AttnNorm, Qkv, QkvBias, AttnOut, AttnOutBias, QkNorm, AttnPostNorm,
  FfnNorm, FfnGateUp, FfnUpFused, FfnDown, FfnPostNorm,
};
// Tied: when absent, the slot reuses token_embd (only meaningful for Output).
enum class Need : uint8_t { Required, Optional, Tied };

struct SlotUse {
  Slot slot;
  Need need;
};

// Resolves every slot an architecture uses against the file, checking shapes and types.
// Missing required tensor -> GGUF_MISSING_TENSOR naming it; wrong shape -> GGUF_BAD_TENSOR_SHAPE;
// a type without kernels -> UNSUPPORTED_QUANT.
Result<Weights> load_weights(const gguf::GgufFile& file, const ModelConfig& cfg, const std::vector<SlotUse>& uses);

}  // namespace capibara::model
