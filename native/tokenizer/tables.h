// Compact lookup tables for vocabularies: strings in one buffer and open-addressing indexes, instead
// of one heap string and one hash node per entry (a 151k-token BPE vocabulary with its merges took
// about 40 MiB that way; these keep it near the size of the text itself).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace capibara::tokenizer {

// Append-only strings in one buffer, with a text -> id index where a repeated text maps to its last id.
class StringTable {
 public:
  void reserve(size_t count, size_t bytes) {
    bytes_.reserve(bytes);
    ends_.reserve(count);
    grow_index(count);
  }
  // Appends `s` (ids count up from 0); indexed = false stores it without making it findable.
  int32_t add(std::string_view s, bool indexed = true) {
    const int32_t id = static_cast<int32_t>(ends_.size());
    bytes_.append(s);
    ends_.push_back(bytes_.size());
    if (indexed) {
      if ((used_ + 1) * 4 > slots_.size() * 3) grow_index(used_ + 1);
      const uint32_t h = hash(s);
      Slot& slot = slots_[probe(s, h)];
      if (slot.id < 0) ++used_;
      slot = {h, id};
    }
    return id;
  }
  std::string_view operator[](size_t id) const {
    const size_t begin = id == 0 ? 0 : ends_[id - 1];
    return std::string_view(bytes_).substr(begin, ends_[id] - begin);
  }
  size_t size() const { return ends_.size(); }
  // Id of the last indexed string equal to `s`, or -1.
  int32_t find(std::string_view s) const {
    if (slots_.empty()) return -1;
    return slots_[probe(s, hash(s))].id;
  }

 private:
  struct Slot {
    uint32_t hash;
    int32_t id;  // -1: empty
  };
  static uint32_t hash(std::string_view s) { return static_cast<uint32_t>(std::hash<std::string_view>{}(s)); }
  // The slot holding `s`, or the empty slot where it would go (linear probing; the table is never full).
  size_t probe(std::string_view s, uint32_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.id < 0 || (slot.hash == h && (*this)[static_cast<size_t>(slot.id)] == s)) return i;
    }
  }
  // Rebuilds the index with room for `count` entries at a load factor of at most 3/4.
  void grow_index(size_t count) {
    size_t cap = 16;
    while (cap * 3 < count * 4) cap *= 2;
    if (cap <= slots_.size()) return;
    std::vector<Slot> old(cap, Slot{0, -1});
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.id >= 0) slots_[probe((*this)[static_cast<size_t>(s.id)], s.hash)] = s;
  }

  std::string bytes_;
  std::vector<size_t> ends_;  // ends_[id]: one past the last byte of string id
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

// Map from a pair of 32-bit ids to a value, open addressing over one array; the first insert of a
// key wins.
template <typename Value>
class PairMap {
 public:
  explicit PairMap(size_t count = 0) {
    size_t cap = 16;
    while (cap * 3 < count * 4) cap *= 2;
    slots_.assign(cap, Slot{kEmpty, Value{}});
  }
  void emplace(uint32_t a, uint32_t b, const Value& v) {
    if ((used_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);
    Slot& s = slots_[probe(key(a, b))];
    if (s.key != kEmpty) return;
    s = {key(a, b), v};
    ++used_;
  }
  // The value for (a, b), or nullptr.
  const Value* find(uint32_t a, uint32_t b) const {
    const Slot& s = slots_[probe(key(a, b))];
    return s.key == kEmpty ? nullptr : &s.value;
  }

 private:
  // Ids are non-negative int32 values, so no real key has every bit set.
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key;
    Value value;
  };
  static uint64_t key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }
  size_t probe(uint64_t k) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 32) & mask;; i = (i + 1) & mask)
      if (slots_[i].key == k || slots_[i].key == kEmpty) return i;
  }
  void rehash(size_t cap) {
    std::vector<Slot> old(cap, Slot{kEmpty, Value{}});
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.key != kEmpty) slots_[probe(s.key)] = s;
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;
};

}  // namespace capibara::tokenizer
