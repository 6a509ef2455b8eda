#include "model/kv_pool.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "kernels/quant_blocks.h"

namespace capibara::model {

size_t kv_row_bytes(KvType t, int64_t kv_dim) {
  if (t == KvType::Q8_0) return static_cast<size_t>(kv_dim / kQK0) * sizeof(BlockQ8_0);
  return static_cast<size_t>(kv_dim) * sizeof(uint16_t);
}

Status check_kv_type(const ModelConfig& c, KvType t) {
  if (t == KvType::Q8_0 && c.head_dim % kQK0 != 0)
    return Status(ErrorCode::INVALID_ARGUMENT, "kvCacheType q8_0 needs a head size that is a multiple of 32 (this model's is " +
                                                   std::to_string(c.head_dim) + "); use f16");
  return Status::ok();
}

std::vector<int64_t> kv_layer_rows(const ModelConfig& c, int64_t n_ctx, int64_t chunk) {
  std::vector<int64_t> rows(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il)
    rows[il] = c.is_swa(il) ? std::min(n_ctx, c.sliding_window + chunk) : n_ctx;
  return rows;
}

size_t kv_pool_bytes(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, KvType t) {
  size_t rows = 0;
  for (int64_t r : kv_layer_rows(c, n_ctx, chunk)) rows += static_cast<size_t>(r);
  return rows * kv_row_bytes(t, c.kv_dim()) * 2 * static_cast<size_t>(n_seq);
}

Result<std::unique_ptr<KvPool>> KvPool::create(const ModelConfig& c, int64_t n_ctx, int64_t n_seq, int64_t chunk, KvType t) {
  CAPIBARA_RETURN_IF_ERROR(check_kv_type(c, t));
  std::unique_ptr<KvPool> p(new KvPool());
  p->bytes_ = kv_pool_bytes(c, n_ctx, n_seq, chunk, t);
  // Not zeroed: rows are written before they are read (the kernel reads positions <= the query's).
  p->data_.reset(new (std::nothrow) uint8_t[p->bytes_]);
  if (!p->data_) return Status(ErrorCode::OOM, "could not allocate the KV cache (" + std::to_string(p->bytes_) + " bytes)");
  const std::vector<int64_t> rows = kv_layer_rows(c, n_ctx, chunk);
  const int64_t kvd = c.kv_dim();
  const size_t rb = kv_row_bytes(t, kvd);
  uint8_t* at = p->data_.get();
  p->seqs_.resize(static_cast<size_t>(n_seq));
  for (KvCache& s : p->seqs_) {
    s.n_ctx_ = n_ctx;
    s.kv_dim_ = kvd;
    s.type_ = t;
    s.row_bytes_ = rb;
    s.rows_ = rows;
    s.first_.assign(rows.size(), 0);
    for (int64_t il = 0; il < c.n_layer; ++il) {
      s.window_.push_back(c.is_swa(il) && rows[il] < n_ctx ? c.sliding_window : 0);
      s.k_.push_back(at);
      at += static_cast<size_t>(rows[il]) * rb;
      s.v_.push_back(at);
      at += static_cast<size_t>(rows[il]) * rb;
    }
  }
  return p;
}

int64_t KvCache::prepare(int64_t il, int64_t pos0, int64_t n) {
  int64_t& first = first_[il];
  const int64_t w = window_[il];
  if (w > 0 && pos0 + n - first > rows_[il]) {
    // Keep the w - 1 positions before pos0, the oldest any query of this chunk attends to.
    const int64_t keep_from = std::max(first, pos0 - (w - 1));
    const size_t bytes = static_cast<size_t>(pos0 - keep_from) * row_bytes_;
    const size_t src = static_cast<size_t>(keep_from - first) * row_bytes_;
    std::memmove(k_[il], k_[il] + src, bytes);
    std::memmove(v_[il], v_[il] + src, bytes);
    first = keep_from;
  }
  return pos0 - first;
}

int64_t KvCache::usable_prefix(int64_t n) const {
  for (size_t il = 0; il < first_.size(); ++il)
    if (window_[il] > 0 && first_[il] > std::max<int64_t>(0, n - (window_[il] - 1))) return 0;
  return n;
}

void KvCache::copy_prefix(const KvCache& src, int64_t n) {
  for (size_t il = 0; il < first_.size(); ++il) {
    // Rows of positions [from, n) are what later queries can see; src holds them from src.first.
    const int64_t from = window_[il] > 0 ? std::max<int64_t>(src.first_[il], n - (window_[il] - 1)) : 0;
    const size_t off = static_cast<size_t>(from - src.first_[il]) * row_bytes_;
    const size_t bytes = static_cast<size_t>(n - from) * row_bytes_;
    std::memcpy(k_[il], src.k_[il] + off, bytes);
    std::memcpy(v_[il], src.v_[il] + off, bytes);
    first_[il] = from;
  }
}

void KvCache::reset() { std::fill(first_.begin(), first_.end(), 0); }

}  // namespace capibara::model
