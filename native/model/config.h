// ModelConfig: the plain hyper-parameters of a decoder-only transformer, filled from GGUF keys.
// Every difference between the supported architectures is one of the enums or numbers below; the
// forward pass (block.cpp) reads them and never asks which architecture it runs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace capibara::model {

// Normalisation of attn_norm / ffn_norm / output_norm (and the optional post-norms).
enum class NormKind { RmsNorm, LayerNorm };
// Gated FFN activation: silu(gate) * up, or gelu_tanh(gate) * up.
enum class Activation { SwiGLU, GeGLU };
// RoPE pairing: Adjacent rotates (2i, 2i+1) (llama.cpp ROPE_TYPE_NORM); NeoX rotates (i, i + n_rot/2).
enum class RopeStyle { Adjacent, NeoX };
// Sequential: x += attn(norm(x)); x += ffn(norm(x)).  Parallel (command-r): h = norm(x);
// x += attn(h) + ffn(h).
enum class Residual { Sequential, Parallel };

struct ModelConfig {
  std::string arch;  // GGUF general.architecture
  std::string name;  // GGUF general.name (may be empty)

  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;     // attention.key_length (== value_length), default n_embd / n_head
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;  // context_length

  NormKind norm = NormKind::RmsNorm;
  float norm_eps = 1e-5f;
  Activation act = Activation::SwiGLU;
  Residual residual = Residual::Sequential;

  // RoPE. Global layers use rope_base/rope_scale; sliding-window layers use the _swa pair.
  RopeStyle rope = RopeStyle::Adjacent;
  int64_t n_rot = 0;             // rotated dims per head (partial rotary when < head_dim)
  float rope_base = 10000.0f;
  float rope_scale = 1.0f;       // 1 / rope.scaling.factor
  float rope_base_swa = 10000.0f;
  float rope_scale_swa = 1.0f;
  float rope_attn_factor = 1.0f; // rope.scaling.attn_factor: multiplies cos/sin (LongRoPE)
  bool rope_global = true;       // false: global (non-window) layers use no RoPE at all (cohere2)
  int64_t n_ctx_orig = 0;        // rope.scaling.original_context_length: above it, long factors

  // Attention logits = attn_scale * q.k (1/sqrt(head_dim) unless the architecture says otherwise).
  float attn_scale = 0.0f;
  // Sliding-window attention: window size and which layers use it (empty: none).
  int64_t sliding_window = 0;
  std::vector<bool> swa_layers;

  float embed_scale = 1.0f;      // token embeddings are multiplied by this (gemma: sqrt(n_embd))
  float logit_scale = 1.0f;      // final logits are multiplied by this (command-r)
  float final_softcap = 0.0f;    // > 0: logits = c * tanh(logits / c)

  bool is_swa(int64_t il) const { return sliding_window > 0 && static_cast<size_t>(il) < swa_layers.size() && swa_layers[il]; }
  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

}  // namespace capibara::model
