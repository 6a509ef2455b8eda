#include "model/kv_pool.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "kernels/quant_blocks.h"

namespace capibara::model {

namespace {

constexpr int64_t B = kKvBlockRows;

int64_t blocks_for(int64_t positions) { return (positions + B - 1) / B; }

// Most blocks a window layer holds: the w - 1 positions before a chunk and the chunk's, wherever
// they fall on the block grid.
int64_t window_blocks(int64_t w, int64_t chunk) { return (w + chunk - 2) / B + 2; }

}  // namespace

size_t kv_row_bytes(KvType t, int64_t kv_dim) {
  if (t == KvType::Q8_0) return static_cast<size_t>(kv_dim / kQK0) * sizeof(BlockQ8_0);
  return static_cast<size_t>(kv_dim) * sizeof(uint16_t);
}

size_t kv_block_bytes(KvType t, int64_t kv_dim) { return 2 * static_cast<size_t>(B) * kv_row_bytes(t, kv_dim); }

Status check_kv_type(const ModelConfig& c, KvType t) {
  if (t == KvType::Q8_0 && c.head_dim % kQK0 != 0)
    return Status(ErrorCode::INVALID_ARGUMENT, "kvCacheType q8_0 needs a head size that is a multiple of 32 (this model's is " +
                                                   std::to_string(c.head_dim) + "); use f16");
  return Status::ok();
}

std::vector<int64_t> kv_layer_blocks(const ModelConfig& c, int64_t n_ctx, int64_t chunk) {
  std::vector<int64_t> blocks(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    blocks[il] = blocks_for(n_ctx);
    if (c.is_swa(il)) blocks[il] = std::min(blocks[il], window_blocks(c.sliding_window, chunk));
  }
  return blocks;
}

int64_t kv_pool_blocks(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, int64_t tokens) {
  int64_t n = 0;
  for (int64_t b : kv_layer_blocks(c, n_ctx, chunk))
    // A window layer's share of a token budget: as many windows as the budget holds contexts.
    n += tokens > 0 ? std::min(blocks_for(tokens), (tokens * b + n_ctx - 1) / n_ctx) : n_seq * b;
  return n;
}

size_t kv_pool_bytes(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, KvType t) {
  return static_cast<size_t>(kv_pool_blocks(c, n_ctx, n_seq, chunk)) * kv_block_bytes(t, c.kv_dim());
}

int64_t kv_blocks_to_grow(const ModelConfig& c, int64_t have, int64_t want, int64_t chunk) {
  if (want <= have) return 0;
  int64_t n = 0;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const int64_t g = blocks_for(want) - have / B;
    n += c.is_swa(il) ? std::min(g, window_blocks(c.sliding_window, chunk)) : g;
  }
  return n;
}

Result<std::unique_ptr<KvPool>> KvPool::create(const ModelConfig& c, int64_t n_blocks, KvType t) {
  CAPIBARA_RETURN_IF_ERROR(check_kv_type(c, t));
  if (n_blocks < 1 || n_blocks > INT32_MAX) return Status(ErrorCode::INVALID_ARGUMENT, "the KV pool needs at least one block");
  std::unique_ptr<KvPool> p(new KvPool());
  p->type_ = t;
  p->kv_dim_ = c.kv_dim();
  p->row_bytes_ = kv_row_bytes(t, p->kv_dim_);
  p->block_bytes_ = kv_block_bytes(t, p->kv_dim_);
  const size_t bytes = p->block_bytes_ * static_cast<size_t>(n_blocks);
  // Not zeroed: rows are written before they are read (the kernel reads positions <= the query's).
  p->data_.reset(new (std::nothrow) uint8_t[bytes]);
  if (!p->data_) return Status(ErrorCode::OOM, "could not allocate the KV cache (" + std::to_string(bytes) + " bytes)");
  p->refs_.assign(static_cast<size_t>(n_blocks), 0);
  p->free_.resize(static_cast<size_t>(n_blocks));
  for (int64_t i = 0; i < n_blocks; ++i) p->free_[static_cast<size_t>(i)] = static_cast<int32_t>(n_blocks - 1 - i);
  return p;
}

int32_t KvPool::alloc() {
  while (free_.empty())
    if (!reclaim_ || !reclaim_()) return -1;
  const int32_t b = free_.back();
  free_.pop_back();
  refs_[static_cast<size_t>(b)] = 1;
  return b;
}

void KvPool::unref(int32_t b) {
  if (--refs_[static_cast<size_t>(b)] == 0) free_.push_back(b);
}

KvCache::KvCache(KvPool& pool, const ModelConfig& c, int64_t chunk)
    : pool_(&pool), table_(static_cast<size_t>(c.n_layer)), first_(static_cast<size_t>(c.n_layer), 0) {
  for (int64_t il = 0; il < c.n_layer; ++il) {
    window_.push_back(c.is_swa(il) ? c.sliding_window : 0);
    most_.push_back(c.is_swa(il) ? window_blocks(c.sliding_window, chunk) : 0);
  }
}

bool KvCache::prepare(int64_t pos0, int64_t n) {
  const int64_t end = (pos0 + n - 1) / B + 1;  // one past the last block written
  for (size_t il = 0; il < table_.size(); ++il) {
    std::vector<int32_t>& t = table_[il];
    if (window_[il] > 0) {
      // The newest most_ blocks stay; never one holding a key a query from pos0 on attends to.
      const int64_t keep = std::min(std::max<int64_t>(0, end - most_[il]), std::max<int64_t>(0, pos0 - window_[il] + 1) / B);
      for (int64_t b = first_[il]; b < std::min<int64_t>(keep, static_cast<int64_t>(t.size())); ++b)
        if (t[b] >= 0) {
          pool_->unref(t[b]);
          t[b] = -1;
        }
      first_[il] = std::max(first_[il], keep);
    }
    if (static_cast<int64_t>(t.size()) < end) t.resize(static_cast<size_t>(end), -1);
    for (int64_t b = pos0 / B; b < end; ++b) {
      int32_t& id = t[static_cast<size_t>(b)];
      if (id >= 0 && pool_->refs(id) == 1) continue;
      const int32_t fresh = pool_->alloc();
      if (fresh < 0) return false;
      if (id >= 0) {  // shared: this sequence's rows so far are copied, the others' stay as they are
        std::memcpy(pool_->k(fresh), pool_->k(id), pool_->block_bytes());
        pool_->unref(id);
      }
      id = fresh;
    }
  }
  return true;
}

uint8_t* KvCache::row(int64_t il, int64_t pos, bool v) {
  const int32_t id = table_[static_cast<size_t>(il)][static_cast<size_t>(pos / B)];
  return (v ? pool_->v(id) : pool_->k(id)) + static_cast<size_t>(pos % B) * pool_->row_bytes();
}

int64_t KvCache::usable_prefix(int64_t n) const {
  for (size_t il = 0; il < table_.size(); ++il)
    if (window_[il] > 0 && std::max<int64_t>(0, n - window_[il] + 1) / B < first_[il]) return 0;
  return n;
}

void KvCache::share_prefix(const KvCache& src, int64_t n) {
  for (size_t il = 0; il < table_.size(); ++il) {
    const int64_t from = window_[il] > 0 ? std::max<int64_t>(0, n - window_[il] + 1) / B : 0;
    std::vector<int32_t>& t = table_[il];
    t.assign(static_cast<size_t>(blocks_for(n)), -1);
    for (int64_t b = from; b < static_cast<int64_t>(t.size()); ++b) {
      t[static_cast<size_t>(b)] = src.table_[il][static_cast<size_t>(b)];
      pool_->ref(t[static_cast<size_t>(b)]);
    }
    first_[il] = from;
  }
}

void KvCache::reset() {
  for (std::vector<int32_t>& t : table_) {
    for (int32_t id : t)
      if (id >= 0) pool_->unref(id);
    t.clear();
  }
  std::fill(first_.begin(), first_.end(), 0);
}

}  // namespace capibara::model
