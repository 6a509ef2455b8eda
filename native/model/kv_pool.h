// KV memory of a loaded model: one pool, one allocation, carved into the caches of its sequences.
// Per sequence s and layer il (llama2.c RunState style), one row of row_bytes per position:
//   k[s][il][r] = kv_dim values h * head_dim + d   r < rows(il), h < n_head_kv, d < head_dim
//   v[s][il][r]   same layout
// F16 rows hold the values; Q8_0 rows hold kv_dim / 32 blocks (each head's values are whole blocks,
// so attention can dequantise one head's columns).
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

enum class KvType { F16, Q8_0 };

// Bytes of one K (or V) row of kv_dim values.
size_t kv_row_bytes(KvType t, int64_t kv_dim);
// INVALID_ARGUMENT when the type cannot hold this model's heads (Q8_0 needs head_dim % 32 == 0).
Status check_kv_type(const ModelConfig& c, KvType t);
// Rows each layer keeps for a sequence of n_ctx positions evaluated at most `chunk` tokens per step.
std::vector<int64_t> kv_layer_rows(const ModelConfig& c, int64_t n_ctx, int64_t chunk);
// Bytes a pool of n_seq such sequences reserves (K and V).
size_t kv_pool_bytes(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, KvType t = KvType::F16);

// One sequence's view of its slab of the pool.
class KvCache {
 public:
  uint8_t* k(int64_t il) { return k_[il]; }
  uint8_t* v(int64_t il) { return v_[il]; }
  const uint8_t* k(int64_t il) const { return k_[il]; }
  const uint8_t* v(int64_t il) const { return v_[il]; }
  KvType type() const { return type_; }
  size_t row_bytes() const { return row_bytes_; }
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
  std::vector<uint8_t*> k_, v_;
  std::vector<int64_t> rows_, window_, first_;
  int64_t n_ctx_ = 0, kv_dim_ = 0;
  KvType type_ = KvType::F16;
  size_t row_bytes_ = 0;
};

class KvPool {
 public:
  // OOM when the pool cannot be allocated; check_kv_type's error.
  static Result<std::unique_ptr<KvPool>> create(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk,
                                                KvType t = KvType::F16);
  KvCache& seq(int64_t s) { return seqs_[static_cast<size_t>(s)]; }
  int64_t n_seq() const { return static_cast<int64_t>(seqs_.size()); }
  size_t bytes() const { return bytes_; }

 private:
  KvPool() = default;
  std::unique_ptr<uint8_t[]> data_;
  std::vector<KvCache> seqs_;
  size_t bytes_ = 0;
};

}  // namespace capibara::model
