// A persistent thread pool for row-range parallelism: N - 1 worker threads plus the calling thread.
//
// Hand-off is a generation counter: parallel_for publishes the job and bumps the counter; workers
// spin on it for a short while (so back-to-back matmuls of one decode step hand off in well under a
// microsecond) and then sleep on a futex (condition variable off Linux), so an idle pool costs nothing.
// The work is cut into a few chunks per thread that every thread, the caller included, claims from
// one atomic word: a worker that the OS has not scheduled yet simply claims nothing and the others
// do its share, so an oversubscribed machine never makes the caller wait for a sleeping thread. A
// worker that arrives to find no work left halves its spin time, so on a machine where it keeps losing
// the race (the cores are busy elsewhere) it stops burning CPU the caller needs, and spins fully
// again as soon as it gets work.
// No allocation and no locks on the hot path.
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace capibara {

// [begin, end) of part `idx` when n items are split into `parts` contiguous, balanced parts
// (sizes differ by at most one). Also the helper to split attention heads over threads.
struct Range {
  int64_t begin;
  int64_t end;
};
inline Range split_range(int64_t n, int parts, int idx) {
  const int64_t base = n / parts, extra = n % parts;
  const int64_t begin = idx * base + (idx < extra ? idx : extra);
  return {begin, begin + base + (idx < extra ? 1 : 0)};
}

class ThreadPool {
 public:
  // n_threads >= 1 counts the caller; spin_us is how long an idle worker polls before sleeping.
  explicit ThreadPool(int n_threads, int spin_us = 200);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end, thread_idx) on disjoint contiguous chunks covering [0, n_items) (a thread may
  // get several chunks, or none) and returns when all are done. thread_idx < size() names the thread
  // running the chunk (0 is the caller), for per-thread scratch. One caller at a time (the pool
  // belongs to one session); fn must not throw.
  template <typename F>
  void parallel_for(int64_t n_items, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run(n_items, [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<Fn*>(ctx))(b, e, t); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using Trampoline = void (*)(void* ctx, int64_t begin, int64_t end, int thread_idx);
  void run(int64_t n_items, Trampoline fn, void* ctx);
  void worker(int idx);
  uint32_t wait_generation(uint32_t seen, int spin_us);
  int claim_chunks(uint32_t gen, int thread_idx);  // returns the number of chunks run

  int n_threads_;
  int spin_us_;
  std::vector<std::thread> threads_;
  // Job, written by the caller before the generation bump (release) and read after (acquire).
  Trampoline fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_items_ = 0;
  alignas(64) std::atomic<uint32_t> generation_{0};
  // generation (32 bits) | chunk count (16) | next chunk to claim (16): a claim succeeds only for the
  // job of the generation the claimer woke up for.
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<int64_t> done_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace capibara
