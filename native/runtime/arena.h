// Arena: one aligned allocation carved into activation buffers when a session is created, so the
// forward pass never calls malloc per token. Buffers live as long as the arena.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "common/status.h"

namespace capibara {

class Arena {
 public:
  static constexpr size_t kAlign = 64;  // a cache line; also what AVX-512 loads like

  // Reserves `bytes` (plus alignment slack); OOM when the allocation fails.
  static Result<Arena> create(size_t bytes);
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  // Next kAlign-aligned block of n elements of T (uninitialised); nullptr when the arena is exhausted
  // (a sizing bug: callers size the arena with the same arithmetic through Arena::bytes_for).
  template <typename T>
  T* take(size_t n) {
    const size_t bytes = round_up(n * sizeof(T));
    if (used_ + bytes > size_) return nullptr;
    T* p = reinterpret_cast<T*>(base_.get() + used_);
    used_ += bytes;
    return p;
  }
  // Bytes take<T>(n) consumes, for sizing.
  template <typename T>
  static size_t bytes_for(size_t n) { return round_up(n * sizeof(T)); }

  size_t size() const { return size_; }
  size_t used() const { return used_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  Arena(std::unique_ptr<uint8_t, Free> base, size_t size) : base_(std::move(base)), size_(size) {}
  static size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

  std::unique_ptr<uint8_t, Free> base_;
  size_t size_ = 0;
  size_t used_ = 0;
};

}  // namespace capibara
