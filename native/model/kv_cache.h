// Per-sequence key/value cache in F16, one slab per layer (llama2.c RunState style):
//   k[il][pos][h * head_dim + d]   il < n_layer, pos < n_ctx, h < n_head_kv, d < head_dim
//   v[il][pos][h * head_dim + d]   same layout
// Row `pos` holds the token at absolute position pos, which is what kernels().flash_attn expects;
// sliding-window layers keep full rows too and rely on the kernel's window mask.
#pragma once
#include <cstdint>
#include <memory>

#include "common/status.h"

namespace capibara::model {

class KvCache {
 public:
  // OOM when the cache cannot be allocated.
  static Result<KvCache> create(int64_t n_layer, int64_t n_ctx, int64_t kv_dim);
  KvCache(KvCache&&) noexcept = default;
  KvCache& operator=(KvCache&&) noexcept = default;

  uint16_t* k(int64_t il) { return k_.get() + il * n_ctx_ * kv_dim_; }
  uint16_t* v(int64_t il) { return v_.get() + il * n_ctx_ * kv_dim_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }
  size_t bytes() const { return static_cast<size_t>(2 * n_layer_ * n_ctx_ * kv_dim_) * sizeof(uint16_t); }

 private:
  KvCache() = default;
  std::unique_ptr<uint16_t[]> k_, v_;
  int64_t n_layer_ = 0, n_ctx_ = 0, kv_dim_ = 0;
};

}  // namespace capibara::model
