// Minimal in-memory GGUF builder for native tests and fuzz seeds (the TS GgufWriter is the real
// writer; this one exists so C++ tests need no Node). Layout as in native/gguf/reader.h.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/reader.h"

namespace capifuzz {

using capibara::GgmlType;
using capibara::gguf::ValueType;

class Bytes {
 public:
  std::vector<uint8_t> b;
  template <typename T>
  void put(T v) {
    const size_t at = b.size();
    b.resize(at + sizeof(T));
    std::memcpy(b.data() + at, &v, sizeof(T));
  }
  void str(const std::string& s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  void raw(const std::vector<uint8_t>& v) { b.insert(b.end(), v.begin(), v.end()); }
};

class GgufBuilder {
 public:
  // A scalar of any fixed-size type; T must match the type's size.
  template <typename T>
  GgufBuilder& scalar(const std::string& key, ValueType type, T v) {
    head(key, type);
    kv_.put(v);
    return *this;
  }
  GgufBuilder& str(const std::string& key, const std::string& v) {
    head(key, ValueType::STRING);
    kv_.str(v);
    return *this;
  }
  template <typename T>
  GgufBuilder& array(const std::string& key, ValueType elem, const std::vector<T>& values) {
    head(key, ValueType::ARRAY);
    kv_.put(static_cast<uint32_t>(elem));
    kv_.put<uint64_t>(values.size());
    for (const T& v : values) kv_.put(v);
    return *this;
  }
  GgufBuilder& str_array(const std::string& key, const std::vector<std::string>& values) {
    head(key, ValueType::ARRAY);
    kv_.put(static_cast<uint32_t>(ValueType::STRING));
    kv_.put<uint64_t>(values.size());
    for (const auto& v : values) kv_.str(v);
    return *this;
  }
  // An array nested `depth` levels deep around a single u8 array {7}.
  GgufBuilder& nested(const std::string& key, int depth) {
    head(key, ValueType::ARRAY);
    for (int d = 0; d < depth; ++d) {
      kv_.put(static_cast<uint32_t>(ValueType::ARRAY));
      kv_.put<uint64_t>(1);
    }
    kv_.put(static_cast<uint32_t>(ValueType::UINT8));
    kv_.put<uint64_t>(1);
    kv_.put<uint8_t>(7);
    return *this;
  }
  // Data length must be the type's size for `ne`.
  GgufBuilder& tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne, std::vector<uint8_t> data) {
    tensors_.push_back({name, type, std::move(ne), std::move(data)});
    return *this;
  }

  // version 2 and 3 share the layout; alignment != 32 is written as general.alignment.
  std::vector<uint8_t> build(uint32_t version = 3, uint32_t alignment = capibara::gguf::kDefaultAlignment) const {
    Bytes out;
    out.raw({'G', 'G', 'U', 'F'});
    out.put(version);
    out.put<uint64_t>(tensors_.size());
    const bool align_key = alignment != capibara::gguf::kDefaultAlignment;
    out.put<uint64_t>(n_kv_ + (align_key ? 1 : 0));
    if (align_key) {
      out.str("general.alignment");
      out.put(static_cast<uint32_t>(ValueType::UINT32));
      out.put(alignment);
    }
    out.raw(kv_.b);
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      out.str(t.name);
      out.put<uint32_t>(t.ne.size());
      for (int64_t d : t.ne) out.put(d);
      out.put(static_cast<uint32_t>(t.type));
      out.put(offset);
      offset += padded(t.data.size(), alignment);
    }
    out.b.resize(padded(out.b.size(), alignment));
    for (const auto& t : tensors_) {
      out.raw(t.data);
      out.b.resize(padded(out.b.size(), alignment));
    }
    return out.b;
  }

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  static uint64_t padded(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }
  void head(const std::string& key, ValueType type) {
    kv_.str(key);
    kv_.put(static_cast<uint32_t>(type));
    ++n_kv_;
  }
  Bytes kv_;
  uint64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

// Deterministic filler bytes for tensor data.
inline std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 31);
  return v;
}

// A seed exercising every value type, nested arrays and several tensor types.
inline std::vector<uint8_t> sample_gguf(uint32_t version = 3, uint32_t alignment = 32) {
  GgufBuilder b;
  b.str("general.architecture", "llama")
      .scalar<uint32_t>("llama.context_length", ValueType::UINT32, 4096)
      .scalar<uint8_t>("t.u8", ValueType::UINT8, 200)
      .scalar<int8_t>("t.i8", ValueType::INT8, -100)
      .scalar<uint16_t>("t.u16", ValueType::UINT16, 60000)
      .scalar<int16_t>("t.i16", ValueType::INT16, -30000)
      .scalar<int32_t>("t.i32", ValueType::INT32, -7)
      .scalar<float>("t.f32", ValueType::FLOAT32, 0.5f)
      .scalar<uint8_t>("t.bool", ValueType::BOOL, 1)
      .scalar<uint64_t>("t.u64", ValueType::UINT64, 1ull << 40)
      .scalar<int64_t>("t.i64", ValueType::INT64, -(1ll << 40))
      .scalar<double>("t.f64", ValueType::FLOAT64, 2.25)
      .str_array("tokenizer.ggml.tokens", {"<unk>", "a", "bc", ""})
      .array<float>("tokenizer.ggml.scores", ValueType::FLOAT32, {0.f, -1.f, -2.f, -3.f})
      .array<int32_t>("tokenizer.ggml.token_type", ValueType::INT32, {2, 1, 1, 1})
      .array<uint32_t>("t.u32s", ValueType::UINT32, {1, 4000000000u})
      .nested("t.nested", 2)
      .tensor("f32.w", GgmlType::F32, {4, 2}, pattern(32, 1))
      .tensor("f16.w", GgmlType::F16, {8}, pattern(16, 2))
      .tensor("q8_0.w", GgmlType::Q8_0, {32, 2}, pattern(68, 3))
      .tensor("q4_K.w", GgmlType::Q4_K, {256}, pattern(144, 4))
      .tensor("q5_1.w", GgmlType::Q5_1, {32, 2}, pattern(48, 5))
      .tensor("iq4_xs.w", GgmlType::IQ4_XS, {256}, pattern(136, 6));
  return b.build(version, alignment);
}

}  // namespace capifuzz
