// GGUF reader: memory-mapped, bounds-checked, zero-copy. Knows nothing about models.
//
// File layout (v2/v3, little-endian):
//   "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv × { string key | u32 value_type | value }
//   n_tensors × { string name | u32 n_dims | n_dims × i64 ne | u32 ggml_type | u64 offset }
//   padding to `general.alignment` (default 32) | tensor data (offsets relative to here)
// where string = u64 length + bytes (no NUL) and array = u32 element_type + u64 count + elements.
//
// Every count, length and offset is checked against the bytes that remain before it is used, so a
// corrupt or truncated file yields a Status naming the key/tensor and the offset, never a crash.
// Strings, array elements and tensor data are views into the mapping: they live as long as the
// GgufFile that produced them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/ggml_type.h"
#include "common/status.h"

namespace capibara::gguf {

// Metadata value types with their on-disk ids.
enum class ValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};
constexpr uint32_t kValueTypeCount = 13;

// "u8", "i8", ..., "string", "array"; "?" for ids >= kValueTypeCount.
const char* value_type_name(ValueType type);
// Bytes of one element of a fixed-size type; 0 for STRING and ARRAY.
size_t value_type_size(ValueType type);

constexpr uint32_t kDefaultAlignment = 32;
constexpr int kMaxDims = 4;           // ggml's GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;   // arrays of arrays deeper than this are rejected as corrupt

// Non-owning contiguous view (C++17 has no std::span).
template <typename T>
struct Span {
  const T* ptr = nullptr;
  size_t count = 0;
  const T* begin() const { return ptr; }
  const T* end() const { return ptr + count; }
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  const T& operator[](size_t i) const { return ptr[i]; }
};

// One metadata value. Scalars are decoded; strings and arrays point into the mapping.
class Value {
 public:
  ValueType type() const { return type_; }

  // --- scalars (valid for the matching type(); see the typed getters on GgufFile for checked access)
  uint64_t raw_u64() const { return u_; }     // UINT8/16/32/64 and BOOL (0/1)
  int64_t raw_i64() const { return i_; }      // INT8/16/32/64
  double raw_f64() const { return f_; }       // FLOAT32/64 (FLOAT32 widened exactly)
  bool raw_bool() const { return u_ != 0; }   // BOOL
  std::string_view str() const { return str_; }  // STRING

  // Converts any integer type to T when the value fits; false otherwise (wrong type or range).
  template <typename T>
  bool to_int(T* out) const;
  // FLOAT32/FLOAT64 to double; false for other types.
  bool to_float(double* out) const;

  // --- arrays (type() == ARRAY)
  ValueType elem_type() const { return elem_type_; }
  uint64_t size() const { return count_; }
  // Raw little-endian bytes of a fixed-size-element array (count × value_type_size(elem_type)),
  // unaligned inside the mapping; use elem<T>() or GgufFile::get_array to read them.
  const uint8_t* raw_data() const { return raw_; }
  // i-th element of a fixed-size-element array whose C++ type matches elem_type exactly.
  template <typename T>
  T elem(size_t i) const {
    T v;
    std::memcpy(&v, raw_ + i * sizeof(T), sizeof(T));
    return v;
  }
  // Elements of a STRING array (views into the mapping).
  Span<std::string_view> strings() const { return {strings_.data(), strings_.size()}; }
  // Elements of an ARRAY array (nested arrays).
  Span<Value> items() const { return {items_.data(), items_.size()}; }

 private:
  friend class Parser;
  ValueType type_ = ValueType::UINT8;
  uint64_t u_ = 0;
  int64_t i_ = 0;
  double f_ = 0.0;
  std::string_view str_;
  ValueType elem_type_ = ValueType::UINT8;
  uint64_t count_ = 0;
  const uint8_t* raw_ = nullptr;
  std::vector<std::string_view> strings_;
  std::vector<Value> items_;
};

struct KeyValue {
  std::string_view key;
  Value value;
};

// A tensor's description and its bytes inside the mapping.
struct TensorInfo {
  std::string_view name;
  GgmlType type = GgmlType::F32;
  uint32_t n_dims = 0;
  int64_t ne[kMaxDims] = {1, 1, 1, 1};  // ne[0] = row length (innermost), unused dims are 1
  uint64_t offset = 0;                  // relative to GgufFile::data_offset()
  const uint8_t* data = nullptr;        // mapping + data_offset + offset
  size_t nbytes = 0;                    // ggml_row_size(type, ne[0]) × ne[1] × ne[2] × ne[3]

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

// Sanity caps on counts read from the file, applied before any allocation. A count above them is
// reported as GGUF_BAD_METADATA (implausible) rather than GGUF_TRUNCATED.
constexpr uint64_t kMaxTensors = uint64_t{1} << 24;
constexpr uint64_t kMaxKeyValues = uint64_t{1} << 24;
constexpr uint64_t kMaxArrayCount = uint64_t{1} << 31;
constexpr uint64_t kMaxStringLength = uint64_t{1} << 31;

// Access-pattern hints for the tensor data section (madvise).
enum class Advice { NORMAL, SEQUENTIAL, RANDOM, WILLNEED };

class GgufFile {
 public:
  // Maps `path` read-only (MAP_SHARED) and parses/validates the header.
  // Errors: IO_ERROR (open/stat/mmap), GGUF_BAD_MAGIC, GGUF_UNSUPPORTED_VERSION (v1, v4+ and
  // big-endian files), GGUF_TRUNCATED, GGUF_BAD_METADATA, GGUF_UNSUPPORTED_TYPE,
  // GGUF_BAD_TENSOR_SHAPE, GGUF_TENSOR_OUT_OF_BOUNDS. Messages name the key/tensor and offsets.
  static Result<std::unique_ptr<GgufFile>> open(const std::string& path);
  // Parses a caller-owned buffer (tests, fuzzing). The buffer must outlive the GgufFile.
  static Result<std::unique_ptr<GgufFile>> from_buffer(const uint8_t* data, size_t size);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute offset of the tensor data section
  uint64_t file_size() const { return size_; }
  const uint8_t* base() const { return base_; }          // start of the mapping

  // --- metadata, in file order
  const std::vector<KeyValue>& metadata() const { return kvs_; }
  // nullptr when the key is absent.
  const Value* find(std::string_view key) const;

  // Typed getters. Missing key -> GGUF_MISSING_KEY; wrong type or out of range -> GGUF_BAD_METADATA.
  // Integer getters accept any integer value type whose value fits (converters differ on u32/i32).
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<uint64_t> get_u64(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;  // FLOAT32 or FLOAT64
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key) const;
  // "or default" forms: an absent key gives `def`; a present key of the wrong type is still an error.
  Result<uint32_t> get_u32_or(std::string_view key, uint32_t def) const;
  Result<float> get_f32_or(std::string_view key, float def) const;
  Result<bool> get_bool_or(std::string_view key, bool def) const;
  // STRING array as views into the mapping.
  Result<Span<std::string_view>> get_string_array(std::string_view key) const;
  // Numeric array copied into T (T = float, double, bool or an integer type). Integer element types
  // convert when every element fits T; float arrays need a floating T.
  template <typename T>
  Result<std::vector<T>> get_array(std::string_view key) const;

  // --- tensors, in file order
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // nullptr when no tensor has this name.
  const TensorInfo* tensor(std::string_view name) const;

  // madvise hint over the tensor data section (e.g. WILLNEED before a full load, RANDOM for
  // inspection). No-op for from_buffer files; IO_ERROR if the kernel rejects it.
  Status advise(Advice advice) const;
  // Drops this process's resident pages wholly inside [p, p + n) (MADV_DONTNEED; the file is
  // unchanged and a later read faults them back in). Used once a tensor has been copied elsewhere,
  // so its bytes are not resident twice. No-op for from_buffer files.
  void release(const void* p, size_t n) const;
  // Bytes of the mapping resident in this process now (Linux; elsewhere the file size), so released
  // pages and pages never read do not count. 0 for from_buffer files (the caller owns that memory).
  // Reads /proc/self/smaps: milliseconds, not for a hot path.
  size_t resident_bytes() const;

 private:
  friend class Parser;
  GgufFile() = default;
  Result<const Value*> lookup(std::string_view key) const;

  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;  // base_ came from mmap and must be unmapped
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

// ----- template definitions

template <typename T>
bool Value::to_int(T* out) const {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>, "to_int needs an integer type");
  switch (type_) {
    case ValueType::UINT8:
    case ValueType::UINT16:
    case ValueType::UINT32:
    case ValueType::UINT64:
      if constexpr (std::is_signed_v<T>) {
        if (u_ > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
      } else {
        if (u_ > std::numeric_limits<T>::max()) return false;
      }
      *out = static_cast<T>(u_);
      return true;
    case ValueType::INT8:
    case ValueType::INT16:
    case ValueType::INT32:
    case ValueType::INT64:
      if constexpr (std::is_signed_v<T>) {
        if (i_ < std::numeric_limits<T>::min() || i_ > std::numeric_limits<T>::max()) return false;
      } else {
        if (i_ < 0 || static_cast<uint64_t>(i_) > std::numeric_limits<T>::max()) return false;
      }
      *out = static_cast<T>(i_);
      return true;
    default:
      return false;
  }
}

// Decodes element i of a fixed-size array into a scalar Value (used by get_array).
Value array_element(const Value& array, size_t i);

template <typename T>
Result<std::vector<T>> GgufFile::get_array(std::string_view key) const {
  auto found = lookup(key);
  if (!found) return found.status();
  const Value& v = *found.value();
  const auto bad = [&](const char* why) {
    return Status(ErrorCode::GGUF_BAD_METADATA, "metadata key '" + std::string(key) + "': " + why);
  };
  if (v.type() != ValueType::ARRAY) return bad("expected an array");
  if (value_type_size(v.elem_type()) == 0) return bad("expected an array of numbers");
  std::vector<T> out(static_cast<size_t>(v.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    const Value e = array_element(v, i);
    if constexpr (std::is_same_v<T, bool>) {
      if (e.type() != ValueType::BOOL) return bad("expected an array of bool");
      out[i] = e.raw_bool();
    } else if constexpr (std::is_floating_point_v<T>) {
      double d;
      if (!e.to_float(&d)) return bad("expected an array of floats");
      out[i] = static_cast<T>(d);
    } else {
      if (!e.to_int(&out[i])) return bad("array element out of range for the requested integer type");
    }
  }
  return out;
}

}  // namespace capibara::gguf
