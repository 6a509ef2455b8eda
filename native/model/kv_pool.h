// KV memory of a loaded model: one pool, one allocation, carved into the caches of its sequences.
// Per sequence s and layer il (llama2.c RunState style), F16:
//   k[s][il][r][h * head_dim + d]   r < rows(il), h < n_head_kv, d < head_dim
//   v[s][il][r][h * head_dim + d]   same layout
// Row r of a layer holds absolute position first(il) + r. Global layers keep the whole context
// (rows = n_ctx, first = 0). Sliding-window layers keep only their window plus one step's chunk:
// when a chunk would not fit, the last window - 1 rows slide to the front and first() moves on, so
// the kernel (which reads rows by position relative to first()) always sees every key a query in the
// chunk may attend to. Sizing is a pure function of the shape (kv_pool_bytes), so it can be checked
// without weights.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "model/config.h"

namespace capibara::model {

// Rows each layer keeps for a sequence of n_ctx positions evaluated at most `chunk` tokens per step.
std::vector<int64_t> kv_layer_rows(const ModelConfig& c, int64_t n_ctx, int64_t chunk);
// Bytes a pool of n_seq such sequences reserves (K and V, F16).
size_t kv_pool_bytes(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk);

// One sequence's view of its slab of the pool.
class KvCache {
 public:
  uint16_t* k(int64_t il) { return k_[il]; }
  uint16_t* v(int64_t il) { return v_[il]; }
  const uint16_t* k(int64_t il) const { return k_[il]; }
  const uint16_t* v(int64_t il) const { return v_[il]; }
  // Absolute position held by row 0 of layer il.
  int64_t first(int64_t il) const { return first_[il]; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }

  // Makes layer il ready to receive positions [pos0, pos0 + n) (n <= the pool's chunk): slides a
  // window layer's rows when needed. Returns the row of pos0.
  int64_t prepare(int64_t il, int64_t pos0, int64_t n);
  // Largest prefix length <= n whose keys every layer still holds for positions from n onwards
  // (n itself, or 0 when a window layer has already slid past what position n would need).
  int64_t usable_prefix(int64_t n) const;
  // Copies positions [0, n) of every layer from `src` (src.usable_prefix(n) == n) and makes this
  // cache hold exactly them.
  void copy_prefix(const KvCache& src, int64_t n);
  // Forgets every position.
  void reset();

 private:
  friend class KvPool;
  std::vector<uint16_t*> k_, v_;
  std::vector<int64_t> rows_, window_, first_;
  int64_t n_ctx_ = 0, kv_dim_ = 0;
};

class KvPool {
 public:
  // OOM when the pool cannot be allocated.
  static Result<std::unique_ptr<KvPool>> create(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk);
  KvCache& seq(int64_t s) { return seqs_[static_cast<size_t>(s)]; }
  int64_t n_seq() const { return static_cast<int64_t>(seqs_.size()); }
  size_t bytes() const { return bytes_; }

 private:
  KvPool() = default;
  std::unique_ptr<uint16_t[]> data_;
  std::vector<KvCache> seqs_;
  size_t bytes_ = 0;
};

}  // namespace capibara::model
