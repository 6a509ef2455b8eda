#include "gguf/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace capibara::gguf {

namespace {

constexpr uint8_t kMagic[4] = {'G', 'G', 'U', 'F'};
// Smallest on-disk sizes, used to reject counts that cannot fit in the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;          // key length, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset
constexpr uint64_t kMinArrayBytes = 4 + 8;            // element type, count

constexpr const char* kValueTypeNames[kValueTypeCount] = {"u8",   "i8",     "u16",   "i16", "u32",
                                                          "i32",  "f32",    "bool",  "string",
                                                          "array", "u64",   "i64",   "f64"};
constexpr size_t kValueTypeSizes[kValueTypeCount] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

const char* value_type_name(ValueType type) {
  const auto id = static_cast<uint32_t>(type);
  return id < kValueTypeCount ? kValueTypeNames[id] : "?";
}

size_t value_type_size(ValueType type) {
  const auto id = static_cast<uint32_t>(type);
  return id < kValueTypeCount ? kValueTypeSizes[id] : 0;
}

bool Value::to_float(double* out) const {
  if (type_ != ValueType::FLOAT32 && type_ != ValueType::FLOAT64) return false;
  *out = f_;
  return true;
}

// Sequential, bounds-checked decoding of one buffer into a GgufFile.
class Parser {
 public:
  explicit Parser(GgufFile& f) : f_(f), p_(f.base_), size_(f.size_) {}

  Status run() {
    CAPIBARA_RETURN_IF_ERROR(read_header());
    CAPIBARA_RETURN_IF_ERROR(read_metadata());
    CAPIBARA_RETURN_IF_ERROR(read_alignment());
    CAPIBARA_RETURN_IF_ERROR(read_tensor_infos());
    return place_tensors();
  }

  // Decodes a fixed-size scalar of `type` stored at `p` (little-endian, possibly unaligned).
  static Value decode_scalar(ValueType type, const uint8_t* p) {
    Value v;
    v.type_ = type;
    switch (type) {
      case ValueType::UINT8: v.u_ = load<uint8_t>(p); break;
      case ValueType::UINT16: v.u_ = load<uint16_t>(p); break;
      case ValueType::UINT32: v.u_ = load<uint32_t>(p); break;
      case ValueType::UINT64: v.u_ = load<uint64_t>(p); break;
      case ValueType::BOOL: v.u_ = load<uint8_t>(p) != 0; break;
      case ValueType::INT8: v.i_ = load<int8_t>(p); break;
      case ValueType::INT16: v.i_ = load<int16_t>(p); break;
      case ValueType::INT32: v.i_ = load<int32_t>(p); break;
      case ValueType::INT64: v.i_ = load<int64_t>(p); break;
      case ValueType::FLOAT32: v.f_ = load<float>(p); break;
      case ValueType::FLOAT64: v.f_ = load<double>(p); break;
      case ValueType::STRING:
      case ValueType::ARRAY: break;  // not fixed-size; callers never pass these
    }
    return v;
  }

 private:
  template <typename T>
  static T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
  }

  uint64_t remaining() const { return size_ - pos_; }

  // Error context is `what` (e.g. "metadata key 'x'") plus an optional `detail` (e.g. "string
  // length"); it is only concatenated when an error is reported, so reading a 256k-entry vocabulary
  // builds no strings.
  static std::string context(const std::string& what, const char* detail) {
    return detail ? what + " " + detail : what;
  }

  Status truncated(const std::string& what, const char* detail, uint64_t need) const {
    return Status(ErrorCode::GGUF_TRUNCATED, context(what, detail) + ": needs " + std::to_string(need) +
                                                 " bytes at offset " + std::to_string(pos_) +
                                                 " but the file ends at " + std::to_string(size_));
  }

  Status need(uint64_t n, const std::string& what, const char* detail = nullptr) const {
    return n <= remaining() ? Status::ok() : truncated(what, detail, n);
  }

  template <typename T>
  Status read(T* out, const std::string& what, const char* detail = nullptr) {
    CAPIBARA_RETURN_IF_ERROR(need(sizeof(T), what, detail));
    *out = load<T>(p_ + pos_);
    pos_ += sizeof(T);
    return Status::ok();
  }

  // Rejects implausible counts (above `cap`) and counts whose minimal encoding runs past the end.
  Status check_count(uint64_t count, uint64_t cap, uint64_t min_elem_bytes, const std::string& what,
                     const char* detail = nullptr) const {
    if (count > cap)
      return Status(ErrorCode::GGUF_BAD_METADATA, context(what, detail) + ": implausible count " +
                                                      std::to_string(count) + " at offset " + std::to_string(pos_) +
                                                      " (limit " + std::to_string(cap) + ")");
    if (count * min_elem_bytes <= remaining()) return Status::ok();
    return truncated(context(what, detail) + " (" + std::to_string(count) + " elements)", nullptr, count * min_elem_bytes);
  }

  Status read_string(std::string_view* out, const std::string& what) {
    uint64_t len = 0;
    CAPIBARA_RETURN_IF_ERROR(read(&len, what, "string length"));
    CAPIBARA_RETURN_IF_ERROR(check_count(len, kMaxStringLength, 1, what, "string"));
    *out = std::string_view(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return Status::ok();
  }

  Status read_value_type(ValueType* out, const std::string& what, const char* detail) {
    uint32_t id = 0;
    CAPIBARA_RETURN_IF_ERROR(read(&id, what, detail));
    if (id >= kValueTypeCount)
      return Status(ErrorCode::GGUF_BAD_METADATA, context(what, detail) + ": unknown value type " + std::to_string(id) +
                                                      " at offset " + std::to_string(pos_ - 4));
    *out = static_cast<ValueType>(id);
    return Status::ok();
  }

  Status read_value(ValueType type, Value* out, const std::string& what, int depth) {
    out->type_ = type;
    if (type == ValueType::STRING) return read_string(&out->str_, what);
    if (type != ValueType::ARRAY) {
      const size_t n = value_type_size(type);
      CAPIBARA_RETURN_IF_ERROR(need(n, what, value_type_name(type)));
      *out = decode_scalar(type, p_ + pos_);
      pos_ += n;
      return Status::ok();
    }
    if (depth >= kMaxArrayNesting)
      return Status(ErrorCode::GGUF_BAD_METADATA, what + ": arrays nested deeper than " +
                                                      std::to_string(kMaxArrayNesting) + " at offset " +
                                                      std::to_string(pos_));
    CAPIBARA_RETURN_IF_ERROR(read_value_type(&out->elem_type_, what, "array element type"));
    CAPIBARA_RETURN_IF_ERROR(read(&out->count_, what, "array count"));
    const uint64_t count = out->count_;
    const ValueType et = out->elem_type_;
    if (const size_t es = value_type_size(et)) {
      CAPIBARA_RETURN_IF_ERROR(check_count(count, kMaxArrayCount, es, what, value_type_name(et)));
      out->raw_ = p_ + pos_;
      pos_ += count * es;
    } else if (et == ValueType::STRING) {
      const std::string ctx = what + " array<string>";
      CAPIBARA_RETURN_IF_ERROR(check_count(count, kMaxArrayCount, 8, ctx));
      out->strings_.reserve(reserve_hint(count));
      for (uint64_t i = 0; i < count; ++i) {
        std::string_view s;
        if (Status st = read_string(&s, ctx); !st) return at_element(st, i);
        out->strings_.push_back(s);
      }
    } else {
      const std::string ctx = what + " array<array>";
      CAPIBARA_RETURN_IF_ERROR(check_count(count, kMaxArrayCount, kMinArrayBytes, ctx));
      out->items_.reserve(reserve_hint(count));
      for (uint64_t i = 0; i < count; ++i) {
        Value item;
        if (Status st = read_value(ValueType::ARRAY, &item, ctx, depth + 1); !st)
          return at_element(st, i);
        out->items_.push_back(std::move(item));
      }
    }
    return Status::ok();
  }

  // Counts passed check_count, but a corrupt one can still claim far more elements than the file
  // really holds; containers grow with what is actually parsed instead of trusting it up front.
  static size_t reserve_hint(uint64_t count) { return static_cast<size_t>(std::min<uint64_t>(count, 1u << 16)); }

  // Names the failing array element without building a context string for every element.
  static Status at_element(const Status& st, uint64_t i) {
    return Status(st.code(), st.message() + " (element " + std::to_string(i) + ")");
  }

  Status read_header() {
    if (size_ < 4) return truncated("GGUF magic", nullptr, 4);
    if (std::memcmp(p_, kMagic, 4) != 0) {
      char shown[5] = {};
      for (int i = 0; i < 4; ++i) shown[i] = (p_[i] >= 32 && p_[i] < 127) ? static_cast<char>(p_[i]) : '?';
      return Status(ErrorCode::GGUF_BAD_MAGIC,
                    std::string("not a GGUF file: magic at offset 0 is '") + shown + "', expected 'GGUF'");
    }
    pos_ = 4;
    CAPIBARA_RETURN_IF_ERROR(read(&f_.version_, "GGUF version"));
    const uint32_t v = f_.version_;
    if (v != 2 && v != 3) {
      const uint32_t swapped = __builtin_bswap32(v);
      std::string why = v == 1 ? "GGUF v1 is obsolete; re-convert the model with a current llama.cpp"
                        : (swapped == 2 || swapped == 3) ? "big-endian GGUF files are not supported"
                                                         : "only GGUF v2 and v3 are supported";
      return Status(ErrorCode::GGUF_UNSUPPORTED_VERSION, "GGUF version " + std::to_string(v) + ": " + why);
    }
    CAPIBARA_RETURN_IF_ERROR(read(&n_tensors_, "tensor count"));
    CAPIBARA_RETURN_IF_ERROR(read(&n_kv_, "metadata count"));
    CAPIBARA_RETURN_IF_ERROR(check_count(n_kv_, kMaxKeyValues, kMinKvBytes, "metadata count"));
    return check_count(n_tensors_, kMaxTensors, kMinTensorInfoBytes, "tensor count");
  }

  Status read_metadata() {
    f_.kvs_.reserve(reserve_hint(n_kv_));
    f_.kv_index_.reserve(reserve_hint(n_kv_));
    for (uint64_t i = 0; i < n_kv_; ++i) {
      KeyValue& kv = f_.kvs_.emplace_back();
      CAPIBARA_RETURN_IF_ERROR(read_string(&kv.key, "metadata entry " + std::to_string(i) + " key"));
      const std::string what = "metadata key " + quoted(kv.key);
      ValueType type;
      CAPIBARA_RETURN_IF_ERROR(read_value_type(&type, what, "value type"));
      CAPIBARA_RETURN_IF_ERROR(read_value(type, &kv.value, what, 0));
      if (!f_.kv_index_.emplace(kv.key, i).second)
        return Status(ErrorCode::GGUF_BAD_METADATA, what + " appears twice");
    }
    return Status::ok();
  }

  Status read_alignment() {
    const Value* v = f_.find("general.alignment");
    if (!v) return Status::ok();
    uint32_t a = 0;
    if (!v->to_int(&a) || a == 0 || (a & (a - 1)) != 0)
      return Status(ErrorCode::GGUF_BAD_METADATA,
                    "metadata key 'general.alignment' must be a power-of-two u32, got type " +
                        std::string(value_type_name(v->type())) + " value " + std::to_string(v->raw_u64()));
    f_.alignment_ = a;
    return Status::ok();
  }

  Status read_tensor_infos() {
    f_.tensors_.reserve(reserve_hint(n_tensors_));
    f_.tensor_index_.reserve(reserve_hint(n_tensors_));
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      TensorInfo& t = f_.tensors_.emplace_back();
      CAPIBARA_RETURN_IF_ERROR(read_string(&t.name, "tensor info " + std::to_string(i) + " name"));
      const std::string what = "tensor " + quoted(t.name);
      CAPIBARA_RETURN_IF_ERROR(read(&t.n_dims, what, "n_dims"));
      if (t.n_dims > static_cast<uint32_t>(kMaxDims))
        return Status(ErrorCode::GGUF_BAD_TENSOR_SHAPE,
                      what + ": " + std::to_string(t.n_dims) + " dimensions (at most 4) at offset " +
                          std::to_string(pos_ - 4));
      for (uint32_t d = 0; d < t.n_dims; ++d) {
        CAPIBARA_RETURN_IF_ERROR(read(&t.ne[d], what, "dimension"));
        if (t.ne[d] < 0)
          return Status(ErrorCode::GGUF_BAD_TENSOR_SHAPE,
                        what + ": negative dimension " + std::to_string(t.ne[d]) + " at offset " +
                            std::to_string(pos_ - 8));
      }
      uint32_t type_id = 0;
      CAPIBARA_RETURN_IF_ERROR(read(&type_id, what, "type"));
      if (!ggml_type_known(type_id))
        return Status(ErrorCode::GGUF_UNSUPPORTED_TYPE, what + ": unknown ggml type id " +
                                                            std::to_string(type_id) + " at offset " +
                                                            std::to_string(pos_ - 4));
      t.type = static_cast<GgmlType>(type_id);
      CAPIBARA_RETURN_IF_ERROR(read(&t.offset, what, "data offset"));
      CAPIBARA_RETURN_IF_ERROR(compute_nbytes(t, what));
      if (!f_.tensor_index_.emplace(t.name, i).second)
        return Status(ErrorCode::GGUF_BAD_METADATA, what + " appears twice");
    }
    return Status::ok();
  }

  static Status compute_nbytes(TensorInfo& t, const std::string& what) {
    const GgmlTypeTraits& tr = ggml_type_traits(t.type);
    const auto shape_error = [&](const std::string& why) {
      return Status(ErrorCode::GGUF_BAD_TENSOR_SHAPE,
                    what + " [" + std::to_string(t.ne[0]) + ", " + std::to_string(t.ne[1]) + ", " +
                        std::to_string(t.ne[2]) + ", " + std::to_string(t.ne[3]) + "] " + tr.name + ": " + why);
    };
    if (t.ne[0] % tr.block_size != 0)
      return shape_error("row length is not a multiple of the block size " + std::to_string(tr.block_size));
    int64_t elements = 1;
    uint64_t bytes = static_cast<uint64_t>(t.ne[0] / tr.block_size) * tr.type_size;  // ne0 < 2^63, type_size < 2^9: no overflow
    for (int d = 0; d < kMaxDims; ++d)
      if (__builtin_mul_overflow(elements, t.ne[d], &elements)) return shape_error("element count overflows");
    for (int d = 1; d < kMaxDims; ++d)
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(t.ne[d]), &bytes)) return shape_error("byte size overflows");
    t.nbytes = static_cast<size_t>(bytes);
    return Status::ok();
  }

  // Data section placement: aligned, inside the file, no overlaps. A tensor that runs past the end
  // while following its predecessor contiguously means the file was cut (GGUF_TRUNCATED); any other
  // escape is a corrupt offset (GGUF_TENSOR_OUT_OF_BOUNDS).
  Status place_tensors() {
    const uint64_t a = f_.alignment_;
    if (pos_ > UINT64_MAX - a) return Status(ErrorCode::GGUF_BAD_METADATA, "header end overflows");
    f_.data_offset_ = (pos_ + a - 1) / a * a;
    if (f_.tensors_.empty()) return Status::ok();
    if (f_.data_offset_ > size_)
      return Status(ErrorCode::GGUF_TRUNCATED, "tensor data section starts at offset " +
                                                   std::to_string(f_.data_offset_) + " but the file ends at " +
                                                   std::to_string(size_));
    const uint64_t data_size = size_ - f_.data_offset_;
    std::vector<size_t> order(f_.tensors_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t x, size_t y) { return f_.tensors_[x].offset < f_.tensors_[y].offset; });
    uint64_t prev_end = 0;
    const TensorInfo* prev = nullptr;
    for (size_t idx : order) {
      TensorInfo& t = f_.tensors_[idx];
      const std::string what = "tensor " + quoted(t.name) + " data at offset " + std::to_string(t.offset) +
                               " (+" + std::to_string(f_.data_offset_) + ") with " + std::to_string(t.nbytes) +
                               " bytes";
      if (t.offset % a != 0)
        return Status(ErrorCode::GGUF_TENSOR_OUT_OF_BOUNDS,
                      what + ": not a multiple of the alignment " + std::to_string(a));
      if (t.offset < prev_end)
        return Status(ErrorCode::GGUF_TENSOR_OUT_OF_BOUNDS,
                      what + ": overlaps tensor " + quoted(prev->name) + " which ends at " + std::to_string(prev_end));
      if (t.offset > data_size || t.nbytes > data_size - t.offset) {
        const uint64_t contiguous_start = prev_end > UINT64_MAX - a ? prev_end : (prev_end + a - 1) / a * a;
        if (t.offset <= contiguous_start)
          return Status(ErrorCode::GGUF_TRUNCATED, what + ": runs past the end of the file (" + std::to_string(size_) +
                                                       " bytes); the file looks truncated");
        return Status(ErrorCode::GGUF_TENSOR_OUT_OF_BOUNDS,
                      what + ": outside the data section (" + std::to_string(data_size) + " bytes)");
      }
      t.data = p_ + f_.data_offset_ + t.offset;
      prev_end = t.offset + t.nbytes;
      prev = &t;
    }
    return Status::ok();
  }

  GgufFile& f_;
  const uint8_t* p_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
};

Value array_element(const Value& array, size_t i) {
  return Parser::decode_scalar(array.elem_type(), array.raw_data() + i * value_type_size(array.elem_type()));
}

GgufFile::~GgufFile() {
  if (mapped_) munmap(const_cast<uint8_t*>(base_), static_cast<size_t>(size_));
}

Result<std::unique_ptr<GgufFile>> GgufFile::from_buffer(const uint8_t* data, size_t size) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->base_ = data;
  f->size_ = size;
  Status st = Parser(*f).run();
  if (!st) return st;
  return f;
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  const auto io_error = [&](const char* what) {
    return Status(ErrorCode::IO_ERROR, path + ": " + what + ": " + std::strerror(errno));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open");
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const Status s = io_error("cannot stat");
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::IO_ERROR, path + ": not a regular file");
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ > 0) {
    void* addr = mmap(nullptr, static_cast<size_t>(f->size_), PROT_READ, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      const Status s = io_error("cannot mmap");
      ::close(fd);
      return s;
    }
    f->base_ = static_cast<const uint8_t*>(addr);
    f->mapped_ = true;
  }
  ::close(fd);  // the mapping keeps the file referenced
  Status parsed = Parser(*f).run();
  if (!parsed) return Status(parsed.code(), path + ": " + parsed.message());
  return f;
}

const Value* GgufFile::find(std::string_view key) const {
  const auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const TensorInfo* GgufFile::tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Status GgufFile::advise(Advice advice) const {
  if (!mapped_ || data_offset_ >= size_) return Status::ok();
  // madvise needs a page-aligned start: round the data offset down to its page.
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = data_offset_ / page * page;
  const int flags[] = {MADV_NORMAL, MADV_SEQUENTIAL, MADV_RANDOM, MADV_WILLNEED};
  if (madvise(const_cast<uint8_t*>(base_) + start, static_cast<size_t>(size_ - start), flags[static_cast<int>(advice)]) != 0)
    return Status(ErrorCode::IO_ERROR, std::string("madvise failed: ") + std::strerror(errno));
  return Status::ok();
}

void GgufFile::release(const void* p, size_t n) const {
  if (!mapped_) return;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // a hint: failure is harmless
}

size_t GgufFile::resident_bytes() const {
  if (!mapped_) return 0;
#if defined(__linux__)
  // The Rss of the mapping's VMAs: what the kernel counts against this process, so pages released
  // after repacking or never read do not count (mincore would report the page cache instead).
  std::FILE* f = std::fopen("/proc/self/smaps", "r");
  if (!f) return size_;
  const auto lo = reinterpret_cast<uintptr_t>(base_), hi = lo + size_;
  size_t kb = 0;
  bool ours = false;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long a = 0, b = 0;
    size_t n = 0;
    const char c = line[0];
    if (((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) && std::sscanf(line, "%llx-%llx", &a, &b) == 2)
      ours = a < hi && b > lo;  // a VMA header line
    else if (ours && std::sscanf(line, "Rss: %zu kB", &n) == 1)
      kb += n;
  }
  std::fclose(f);
  return kb * 1024;
#else
  return size_;
#endif
}

Result<const Value*> GgufFile::lookup(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return Status(ErrorCode::GGUF_MISSING_KEY, "metadata key " + quoted(key) + " is missing");
  return v;
}

namespace {

Status wrong_type(std::string_view key, const Value& v, const char* expected) {
  return Status(ErrorCode::GGUF_BAD_METADATA, "metadata key " + quoted(key) + ": expected " + expected +
                                                  ", found " + value_type_name(v.type()));
}

template <typename T>
Result<T> int_of(std::string_view key, const Value& v, const char* expected) {
  T out{};
  if (!v.to_int(&out)) return wrong_type(key, v, expected);
  return out;
}

Result<float> float_of(std::string_view key, const Value& v) {
  double d = 0;
  if (!v.to_float(&d)) return wrong_type(key, v, "a float");
  return static_cast<float>(d);
}

Result<bool> bool_of(std::string_view key, const Value& v) {
  if (v.type() != ValueType::BOOL) return wrong_type(key, v, "a bool");
  return v.raw_bool();
}

}  // namespace

Result<uint32_t> GgufFile::get_u32(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  return int_of<uint32_t>(key, *v.value(), "an integer in u32 range");
}

Result<int32_t> GgufFile::get_i32(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  return int_of<int32_t>(key, *v.value(), "an integer in i32 range");
}

Result<uint64_t> GgufFile::get_u64(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  return int_of<uint64_t>(key, *v.value(), "a non-negative integer");
}

Result<float> GgufFile::get_f32(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  return float_of(key, *v.value());
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  return bool_of(key, *v.value());
}

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  if (v.value()->type() != ValueType::STRING) return wrong_type(key, *v.value(), "a string");
  return v.value()->str();
}

Result<uint32_t> GgufFile::get_u32_or(std::string_view key, uint32_t def) const {
  const Value* v = find(key);
  return v ? int_of<uint32_t>(key, *v, "an integer in u32 range") : Result<uint32_t>(def);
}

Result<float> GgufFile::get_f32_or(std::string_view key, float def) const {
  const Value* v = find(key);
  return v ? float_of(key, *v) : Result<float>(def);
}

Result<bool> GgufFile::get_bool_or(std::string_view key, bool def) const {
  const Value* v = find(key);
  return v ? bool_of(key, *v) : Result<bool>(def);
}

Result<Span<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
  auto v = lookup(key);
  if (!v) return v.status();
  const Value& a = *v.value();
  if (a.type() != ValueType::ARRAY || a.elem_type() != ValueType::STRING) return wrong_type(key, a, "array<string>");
  return a.strings();
}

}  // namespace capibara::gguf
