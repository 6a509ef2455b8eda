// Structure-unaware mutations of valid GGUF files, and the check run on each mutant: the reader
// must either fail with a GGUF/IO code and a message, or return a file whose every view lies inside
// the buffer (all strings, array elements and tensor bytes are touched so ASan sees any escape).
// Shared by the fuzz driver (test/fuzz/gguf_fuzz.cpp) and the short run in test/native/gguf_test.cpp.
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gguf/reader.h"

namespace capifuzz {

enum class Mutation { BIT_FLIP, BYTE_SET, TRUNCATE, LENGTH_FIELD, TYPE_FIELD, SPLICE, COUNT };

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  // 1-3 mutations; positions favour the header (before `header_end`), where the parser works.
  std::vector<uint8_t> mutate(const std::vector<uint8_t>& seed, uint64_t header_end) {
    std::vector<uint8_t> b = seed;
    const int n = 1 + static_cast<int>(below(3));
    for (int i = 0; i < n && !b.empty(); ++i)
      apply(b, static_cast<Mutation>(below(static_cast<uint64_t>(Mutation::COUNT))), header_end);
    return b;
  }

 private:
  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  size_t position(const std::vector<uint8_t>& b, uint64_t header_end, size_t width) {
    const uint64_t limit = b.size() > width ? b.size() - width : 0;
    const uint64_t hot = std::min<uint64_t>(header_end, limit);
    return static_cast<size_t>(below(10) < 9 && hot > 0 ? below(hot + 1) : below(limit + 1));
  }

  template <typename T>
  void write(std::vector<uint8_t>& b, size_t at, T v) {
    if (at + sizeof(T) <= b.size()) std::memcpy(b.data() + at, &v, sizeof(T));
  }

  void apply(std::vector<uint8_t>& b, Mutation m, uint64_t header_end) {
    switch (m) {
      case Mutation::BIT_FLIP: {
        const int flips = 1 + static_cast<int>(below(8));
        for (int i = 0; i < flips; ++i) b[position(b, header_end, 1)] ^= static_cast<uint8_t>(1u << below(8));
        break;
      }
      case Mutation::BYTE_SET: {
        static const uint8_t kBytes[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x40};
        const size_t at = position(b, header_end, 1);
        b[at] = below(2) ? kBytes[below(sizeof kBytes)] : static_cast<uint8_t>(rng_());
        break;
      }
      case Mutation::TRUNCATE:
        b.resize(static_cast<size_t>(below(b.size())));
        break;
      case Mutation::LENGTH_FIELD: {  // counts, string lengths, dims, offsets are u64/i64
        const uint64_t size = b.size();
        const uint64_t kValues[] = {0, 1, 31, 32, size, size - 1, size + 1, uint64_t{1} << 31, uint64_t{1} << 32,
                                    (uint64_t{1} << 32) - 1, uint64_t{1} << 62, uint64_t{1} << 63, UINT64_MAX,
                                    UINT64_MAX - 7, rng_()};
        write(b, position(b, header_end, 8), kValues[below(sizeof kValues / sizeof kValues[0])]);
        break;
      }
      case Mutation::TYPE_FIELD: {  // value types, element types, n_dims, ggml types are u32
        const uint32_t kValues[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 14, 15, 24, 30, 31, 39, 40, 255, UINT32_MAX};
        write(b, position(b, header_end, 4), kValues[below(sizeof kValues / sizeof kValues[0])]);
        break;
      }
      case Mutation::SPLICE: {  // delete or duplicate a chunk: shifts every later field
        const size_t at = position(b, header_end, 1);
        const size_t len = std::min<size_t>(1 + below(16), b.size() - at);
        if (below(2)) {
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + len));
        } else {
          std::vector<uint8_t> chunk(b.begin() + static_cast<std::ptrdiff_t>(at),
                                     b.begin() + static_cast<std::ptrdiff_t>(at + len));
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), chunk.begin(), chunk.end());
        }
        break;
      }
      case Mutation::COUNT:
        break;
    }
  }

  std::mt19937_64 rng_;
};

// Reads every byte a view points to; returns false (with why) if a view escapes [base, base+size).
class Checker {
 public:
  Checker(const uint8_t* base, size_t size) : lo_(base), hi_(base + size) {}
  uint64_t checksum = 0;  // consumed so the reads are not optimised away

  bool inside(const void* p, size_t n) const {
    const auto* q = static_cast<const uint8_t*>(p);
    return n == 0 || (q >= lo_ && q <= hi_ && n <= static_cast<size_t>(hi_ - q));
  }
  void touch(const void* p, size_t n) {
    const auto* q = static_cast<const uint8_t*>(p);
    if (n > 0) checksum += q[0] + q[n - 1];
  }

  bool value(const capibara::gguf::Value& v, std::string* why) {
    using capibara::gguf::ValueType;
    if (v.type() == ValueType::STRING) return view(v.str(), why);
    if (v.type() != ValueType::ARRAY) return true;
    for (std::string_view s : v.strings())
      if (!view(s, why)) return false;
    for (const auto& item : v.items())
      if (!value(item, why)) return false;
    const size_t es = capibara::gguf::value_type_size(v.elem_type());
    if (es > 0 && v.size() > 0) {
      if (!inside(v.raw_data(), v.size() * es)) return fail("array data outside the buffer", why);
      for (size_t i = 0; i < v.size(); ++i) checksum += capibara::gguf::array_element(v, i).raw_u64();
    }
    return true;
  }

  bool file(const capibara::gguf::GgufFile& f, std::string* why) {
    for (const auto& kv : f.metadata())
      if (!view(kv.key, why) || !value(kv.value, why)) return false;
    for (const auto& t : f.tensors()) {
      if (!view(t.name, why)) return false;
      if (!inside(t.data, t.nbytes)) return fail("tensor data outside the buffer", why);
      if (t.nbytes != capibara::ggml_row_size(t.type, t.ne[0]) * static_cast<size_t>(t.ne[1] * t.ne[2] * t.ne[3]))
        return fail("tensor nbytes inconsistent with its shape", why);
      touch(t.data, t.nbytes);
    }
    return true;
  }

 private:
  static bool fail(const char* what, std::string* why) {
    *why = what;
    return false;
  }
  bool view(std::string_view s, std::string* why) {
    if (!inside(s.data(), s.size())) return fail("string view outside the buffer", why);
    touch(s.data(), s.size());
    return true;
  }
  const uint8_t* lo_;
  const uint8_t* hi_;
};

// Parses one mutant from an exact-size heap copy (so ASan flags reads past its end) and checks it.
// Returns the error code name ("OK" on success); sets *why and returns nullptr on a broken invariant.
inline const char* fuzz_one(const std::vector<uint8_t>& input, uint64_t* checksum, std::string* why) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[input.size() + (input.empty() ? 1 : 0)]);
  if (!input.empty()) std::memcpy(buf.get(), input.data(), input.size());
  auto r = capibara::gguf::GgufFile::from_buffer(buf.get(), input.size());
  if (!r) {
    const auto code = r.status().code();
    const int id = static_cast<int>(code);
    if (id < static_cast<int>(capibara::ErrorCode::GGUF_BAD_MAGIC) ||
        id > static_cast<int>(capibara::ErrorCode::GGUF_BAD_TENSOR_SHAPE) || r.status().message().empty()) {
      *why = std::string("unexpected error ") + capibara::error_code_name(code) + ": " + r.status().message();
      return nullptr;
    }
    return capibara::error_code_name(code);
  }
  Checker c(buf.get(), input.size());
  if (!c.file(*r.value(), why)) return nullptr;
  *checksum += c.checksum;
  return "OK";
}

}  // namespace capifuzz
