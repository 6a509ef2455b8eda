// The one transformer block shared by every architecture, driven by ModelConfig, plus the matmul
// and norm helpers the session uses for the embedding and the output head. Kernels are called
// only through kernels().
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>

#include "common/status.h"
#include "kernels/matmul.h"
#include "model/config.h"
#include "model/kv_pool.h"
#include "model/weights.h"
#include "runtime/thread_pool.h"

namespace capibara::model {

// Debug tap, named like llama.cpp's cb(cur, "attn_norm", il): `data` holds n_tok rows of `width`
// floats (row stride `width`). il is -1 for tensors outside the layers.
using TapFn = std::function<void(const char* name, int64_t il, const float* data, int64_t n_tok, int64_t width)>;

// Activation buffers for up to n_batch tokens (carved from the session's arena).
struct BlockBuffers {
  float* h = nullptr;     // [n_batch][n_embd]              normed input
  float* qkv = nullptr;   // [n_batch][q_dim + 2 kv_dim]    fused: q | k | v per token; separate:
                          //                                [n_batch][q_dim] then [n_batch][kv_dim] x 2
  float* att = nullptr;   // [n_batch][q_dim]               attention output before wo
  float* out = nullptr;   // [n_batch][n_embd]              attention branch output
  float* out2 = nullptr;  // [n_batch][n_embd]              FFN branch output
  float* ff = nullptr;    // [n_batch][2 n_ff]              fused gate|up rows, or gate block then up block
  float* act = nullptr;   // [n_batch][n_ff]                act(gate) * up
  // Q8_0 caches only: per thread, [2][n_ctx][head_dim] F16 K/V of one head plus head_dim floats.
  uint16_t* kv_tmp = nullptr;
  int64_t kv_tmp_stride = 0;  // uint16_t elements per thread
};

// Everything a forward step shares: threads and the quantised-activation scratch.
struct Exec {
  ThreadPool* pool = nullptr;
  QuantScratch* scratch = nullptr;
};

// y[t][r] = sum_i w[r][i] * x[t][i] for r < w.ne[1], t < n_tok (rows contiguous).
Status linear(const Exec& ex, const Tensor& w, const float* x, int64_t n_tok, float* y);

// linear of up to four weights with the same input width on the same x, as one matmul_many:
// outs[i] = x ws[i].
struct LinearOut {
  const Tensor* w;
  float* y;
};
Status linear_many(const Exec& ex, std::initializer_list<LinearOut> outs, const float* x, int64_t n_tok);

// Row-wise attn_norm-style normalisation (RMSNorm or LayerNorm per cfg), weight may be empty.
void norm_rows(const ModelConfig& cfg, const Tensor& w, const float* x, float* y, int64_t n_tok, int64_t n);

// One sequence's rows of a batch: n tokens at absolute positions pos0.. appended to its cache, which
// the caller has prepared for them (KvCache::prepare). A batch's spans sit one after another (span s
// starts at row `row0`). A span of input embeddings
// (an image's projected tokens, used as given) sets embd [n][n_embd] instead of tokens.
struct SeqSpan {
  KvCache* kv = nullptr;
  int64_t pos0 = 0;
  int64_t n = 0;
  int64_t row0 = 0;
  const float* embd = nullptr;
  int64_t kv_end = 0;  // > 0: the rows see each other both ways up to this absolute position (image span)
};

struct BlockArgs {
  const ModelConfig* cfg = nullptr;
  const LayerWeights* w = nullptr;
  int64_t il = 0;
  const SeqSpan* spans = nullptr;    // the batch's sequences; matmuls run once over all their rows,
  size_t n_spans = 0;                // attention per sequence over its own cache
  int64_t n_tok = 0;                 // rows in the batch (sum of the spans' n)
  const float* rope_factors = nullptr;  // [n_rot/2] divisors or null
  Exec ex;
  const TapFn* tap = nullptr;        // may be null
};

// Runs layer il over x [n_tok][n_embd] in place, appending each span's K/V to its cache.
Status run_block(const BlockArgs& a, float* x, const BlockBuffers& b);

}  // namespace capibara::model
