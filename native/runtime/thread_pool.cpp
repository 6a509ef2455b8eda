#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <condition_variable>
#include <mutex>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace capibara {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

#if defined(__linux__)
// Sleeps while *word == expected (returns at once if it already differs, or spuriously).
void park(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void unpark_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}
#else
std::mutex park_mutex;
std::condition_variable park_cv;
void park(std::atomic<uint32_t>* word, uint32_t expected) {
  std::unique_lock<std::mutex> lock(park_mutex);
  park_cv.wait(lock, [&] { return word->load() != expected; });
}
void unpark_all(std::atomic<uint32_t>*) {
  std::lock_guard<std::mutex> lock(park_mutex);
  park_cv.notify_all();
}
#endif

}  // namespace

ThreadPool::ThreadPool(int n_threads, int spin_us) : n_threads_(n_threads < 1 ? 1 : n_threads), spin_us_(spin_us) {
  threads_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  unpark_all(&generation_);
  for (auto& t : threads_) t.join();
}

uint32_t ThreadPool::wait_generation(uint32_t seen, int spin_us) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::microseconds(spin_us);
  for (int i = 1;; ++i) {
    const uint32_t g = generation_.load(std::memory_order_acquire);
    if (g != seen) return g;
    cpu_relax();
    if ((i & 255) == 0 && clock::now() > deadline) break;  // read the clock rarely: it costs ~20 ns
  }
  // Announce the sleep before re-checking: the caller bumps the generation, then reads sleepers_
  // (both seq_cst), so either it sees us and wakes us, or we see its new generation.
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  uint32_t g;
  while ((g = generation_.load(std::memory_order_seq_cst)) == seen) park(&generation_, seen);
  sleepers_.fetch_sub(1, std::memory_order_relaxed);
  return g;
}

int ThreadPool::claim_chunks(uint32_t gen, int thread_idx) {
  int ran = 0;
  uint64_t s = claim_.load(std::memory_order_acquire);
  for (;;) {
    const auto n_chunks = static_cast<int>((s >> 16) & 0xFFFF), next = static_cast<int>(s & 0xFFFF);
    if (static_cast<uint32_t>(s >> 32) != gen || next >= n_chunks) return ran;
    if (!claim_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The chunk is ours and the job cannot change until done_ counts it.
    const Range r = split_range(n_items_, n_chunks, next);
    fn_(ctx_, r.begin, r.end, thread_idx);
    ++ran;
    done_.fetch_add(1, std::memory_order_acq_rel);
    s = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker(int idx) {
  uint32_t seen = 0;
  int spin_us = spin_us_;
  for (;;) {
    seen = wait_generation(seen, spin_us);
    if (stop_.load(std::memory_order_relaxed)) return;
    spin_us = claim_chunks(seen, idx) > 0 ? spin_us_ : spin_us / 2;
  }
}

void ThreadPool::run(int64_t n_items, Trampoline fn, void* ctx) {
  if (n_items <= 0) return;
  if (n_threads_ == 1 || n_items == 1) {  // nothing to share: no hand-off at all
    fn(ctx, 0, n_items, 0);
    return;
  }
  // A few chunks per thread balance uneven progress; contiguous chunks keep weight reads streaming.
  const int64_t n_chunks = std::min<int64_t>(n_items, std::min<int64_t>(4 * n_threads_, 0xFFFF));
  fn_ = fn;
  ctx_ = ctx;
  n_items_ = n_items;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
  claim_.store((static_cast<uint64_t>(gen) << 32) | (static_cast<uint64_t>(n_chunks) << 16), std::memory_order_release);
  generation_.store(gen, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) unpark_all(&generation_);
  claim_chunks(gen, 0);
  for (int i = 1; done_.load(std::memory_order_acquire) != n_chunks; ++i) {
    cpu_relax();
    if ((i & 1023) == 0) std::this_thread::yield();  // a worker holding a chunk was descheduled
  }
}

}  // namespace capibara
