#include "model/metadata.h"

#include "gguf/reader.h"

namespace capibara::model {

Status ArchKeys::u32(const char* suffix, int64_t* out, bool required) const {
  const std::string k = key(suffix);
  if (!required && !file_.find(k)) return Status::ok();
  auto v = file_.get_u32(k);
  if (!v) return v.status();
  *out = v.value();
  return Status::ok();
}

Status ArchKeys::f32(const char* suffix, float* out, bool required) const {
  const std::string k = key(suffix);
  if (!required && !file_.find(k)) return Status::ok();
  auto v = file_.get_f32(k);
  if (!v) return v.status();
  *out = v.value();
  return Status::ok();
}

Status ArchKeys::str(const char* suffix, std::string* out, bool required) const {
  const std::string k = key(suffix);
  if (!required && !file_.find(k)) return Status::ok();
  auto v = file_.get_string(k);
  if (!v) return v.status();
  *out = std::string(v.value());
  return Status::ok();
}

Status ArchKeys::layer_pattern(const char* suffix, int64_t n_layer, std::vector<bool>* out, bool* found) const {
  const std::string k = key(suffix);
  const gguf::Value* v = file_.find(k);
  *found = v != nullptr;
  if (!v) return Status::ok();
  if (v->type() == gguf::ValueType::ARRAY) {
    auto arr = file_.get_array<bool>(k);
    if (!arr) return arr.status();
    if (static_cast<int64_t>(arr.value().size()) != n_layer)
      return {ErrorCode::GGUF_BAD_METADATA, "metadata key '" + k + "': expected one entry per layer"};
    *out = arr.take();
    return Status::ok();
  }
  auto period = file_.get_u32(k);
  if (!period) return period.status();
  const uint32_t p = period.value();
  out->assign(static_cast<size_t>(n_layer), true);
  for (int64_t il = 0; il < n_layer; ++il) (*out)[il] = p == 0 || (il % p) < (p - 1);
  return Status::ok();
}

}  // namespace capibara::model
