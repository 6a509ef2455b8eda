#include "model/kv_cache.h"

#include <new>
#include <string>

namespace capibara::model {

Result<KvCache> KvCache::create(int64_t n_layer, int64_t n_ctx, int64_t kv_dim) {
  KvCache c;
  const size_t n = static_cast<size_t>(n_layer * n_ctx * kv_dim);
  // Not zeroed: rows are written before they are read (the kernel reads positions <= the query's).
  c.k_.reset(new (std::nothrow) uint16_t[n]);
  c.v_.reset(new (std::nothrow) uint16_t[n]);
  if (!c.k_ || !c.v_)
    return Status(ErrorCode::OOM, "could not allocate the KV cache (" + std::to_string(2 * n * sizeof(uint16_t)) + " bytes)");
  c.n_layer_ = n_layer;
  c.n_ctx_ = n_ctx;
  c.kv_dim_ = kv_dim;
  return c;
}

}  // namespace capibara::model
