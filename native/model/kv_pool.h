// KV memory of a loaded model: one pool of fixed-size blocks (pages), one allocation, shared by all
// its sequences. A block holds kKvBlockRows (kernels.h) positions of one layer, K rows then V rows,
// one row of row_bytes per position:
//   k row r of block b: data + b * block_bytes + r * row_bytes     (r < kKvBlockRows)
//   v row r of block b: the same + kKvBlockRows * row_bytes
// A row holds kv_dim values h * head_dim + d (h < n_head_kv, d < head_dim): F16 values, or Q8_0
// rows of kv_dim / 32 blocks (each head's values are whole blocks, so attention can dequantise one
// head's columns).
//
// A sequence's KvCache holds one block table per layer (block of positions [i B, (i + 1) B) at index
// i) and takes blocks as it grows. Blocks are reference-counted: sequences that share a token prefix
// share its blocks, and a shared block is copied before it is written (copy-on-write), so only the
// partly filled last block of a shared prefix is ever copied. Sliding-window layers release blocks
// that fall wholly out of the window of every later query once they would hold more than their
// window plus one chunk (plus one block, on the block grid): keeping what fits that bound lets a
// later prompt reuse a prefix that ends a little before the cached sequence's end. Sizing is a pure function of the shape
// (kv_pool_bytes), so it can be checked without weights.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"
#include "kernels/kernels.h"
#include "model/config.h"

namespace capibara::model {

enum class KvType { F16, Q8_0 };

// Bytes of one K (or V) row of kv_dim values, and of one block (K and V).
size_t kv_row_bytes(KvType t, int64_t kv_dim);
size_t kv_block_bytes(KvType t, int64_t kv_dim);
// INVALID_ARGUMENT when the type cannot hold this model's heads (Q8_0 needs head_dim % 32 == 0).
Status check_kv_type(const ModelConfig& c, KvType t);
// Most blocks each layer holds for a sequence of n_ctx positions evaluated at most `chunk` tokens per step.
std::vector<int64_t> kv_layer_blocks(const ModelConfig& c, int64_t n_ctx, int64_t chunk);
// Blocks of a pool that lets n_seq such sequences reach n_ctx each; tokens > 0 sizes it to that many
// positions in all instead (a window layer still never gets more than n_seq sequences can hold).
int64_t kv_pool_blocks(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, int64_t tokens = 0);
// Bytes of kv_pool_blocks(c, n_ctx, n_seq, chunk) blocks (K and V).
size_t kv_pool_bytes(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, KvType t = KvType::F16);
// Upper bound on the blocks a sequence takes from the pool to go from holding positions [0, have) to
// [0, want) (a partly filled block counts as new: it may be shared, so copied).
int64_t kv_blocks_to_grow(const ModelConfig& c, int64_t have, int64_t want, int64_t chunk);

class KvPool {
 public:
  // OOM when the pool cannot be allocated; check_kv_type's error; INVALID_ARGUMENT for n_blocks < 1.
  static Result<std::unique_ptr<KvPool>> create(const ModelConfig& c, int64_t n_blocks, KvType t = KvType::F16);

  // A free block with one reference, or -1 when none is free and reclaim frees none.
  int32_t alloc();
  void ref(int32_t b) { ++refs_[static_cast<size_t>(b)]; }
  // Drops one reference; the block is free again at zero.
  void unref(int32_t b);
  int32_t refs(int32_t b) const { return refs_[static_cast<size_t>(b)]; }
  // Called by alloc when no block is free, until a block is or it returns false (nothing left to
  // free): the scheduler evicts finished sequences' caches here, least recently used first.
  void set_reclaim(std::function<bool()> fn) { reclaim_ = std::move(fn); }

  uint8_t* k(int32_t b) { return data_.get() + static_cast<size_t>(b) * block_bytes_; }
  uint8_t* v(int32_t b) { return k(b) + static_cast<size_t>(kKvBlockRows) * row_bytes_; }
  KvType type() const { return type_; }
  int64_t kv_dim() const { return kv_dim_; }
  size_t row_bytes() const { return row_bytes_; }
  size_t block_bytes() const { return block_bytes_; }
  int64_t n_blocks() const { return static_cast<int64_t>(refs_.size()); }
  int64_t n_free() const { return static_cast<int64_t>(free_.size()); }
  size_t bytes() const { return block_bytes_ * refs_.size(); }

 private:
  KvPool() = default;
  std::unique_ptr<uint8_t[]> data_;
  std::vector<int32_t> refs_;
  std::vector<int32_t> free_;  // a stack: the most recently freed block is reused first
  std::function<bool()> reclaim_;
  KvType type_ = KvType::F16;
  int64_t kv_dim_ = 0;
  size_t row_bytes_ = 0, block_bytes_ = 0;
};

// One sequence's KV: a block table per layer over the pool. Releases its blocks when destroyed.
class KvCache {
 public:
  // chunk: most positions one prepare() call receives (sizes what window layers keep).
  KvCache(KvPool& pool, const ModelConfig& c, int64_t chunk);
  ~KvCache() { reset(); }
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // Makes every layer ready to receive positions [pos0, pos0 + n) (n <= chunk): window layers
  // release the oldest blocks beyond their bound (never one a query from pos0 on sees), then the
  // blocks the positions fall in are taken from the pool, and a shared one is copied before it is
  // written. False when the pool has no block left (nothing is
  // written; the blocks taken so far stay held).
  bool prepare(int64_t pos0, int64_t n);
  // Row of position pos in layer il (its block must be held: prepared, or shared and still visible).
  uint8_t* k_row(int64_t il, int64_t pos) { return row(il, pos, false); }
  uint8_t* v_row(int64_t il, int64_t pos) { return row(il, pos, true); }
  // Layer il's block table (-1: released or never taken), for the attention kernel.
  const int32_t* blocks(int64_t il) const { return table_[static_cast<size_t>(il)].data(); }
  const std::vector<int32_t>& table(int64_t il) const { return table_[static_cast<size_t>(il)]; }
  int64_t n_layer() const { return static_cast<int64_t>(table_.size()); }
  KvPool& pool() const { return *pool_; }

  // n when every layer still holds the keys positions from n onwards see (a window layer may have
  // released them), else 0.
  int64_t usable_prefix(int64_t n) const;
  // Makes this (empty) cache hold positions [0, n) of src (src.usable_prefix(n) == n) by sharing its
  // blocks: full ones stay shared, the partly filled last one is copied when first written.
  void share_prefix(const KvCache& src, int64_t n);
  // Releases every block.
  void reset();

 private:
  uint8_t* row(int64_t il, int64_t pos, bool v);
  KvPool* pool_;
  std::vector<std::vector<int32_t>> table_;
  std::vector<int64_t> window_;  // per layer, 0: global
  std::vector<int64_t> most_;    // window layers: most blocks held
  std::vector<int64_t> first_;   // window layers: blocks below this index are released
};

}  // namespace capibara::model
