// Row-range parallelism under one CPU budget for the whole process.
//
// The budget is a number of threads that may compute at once, over every ThreadPool of the process
// (each loaded model's scheduler, sessions, the vision encoder, the kernels API). A thread computes
// while it holds one of the budget's slots: a caller holds one through a CpuSlot (a scheduler step),
// or for the length of a parallel_for; budget - 1 shared workers take the free ones to run chunks of
// whichever regions are running, the region with the fewest helpers first, each region at most its
// pool's size - 1 helpers. A worker that finishes a chunk while a caller waits for a slot hands it
// its slot. So two models generating at once share the cores: on a two-thread budget each runs its
// regions alone rather than four threads fighting over two cores, and one model alone gets both.
//
// Hand-off: a caller publishes its region in a job slot and bumps a wake counter; workers spin on it
// for a short while while slots are free (so back-to-back matmuls of one decode step hand off in well
// under a microsecond) and otherwise sleep on a futex (condition variable off Linux). The work is cut
// into a few chunks per thread that every participant, the caller included, claims from one atomic
// word: a worker that the OS has not scheduled yet simply claims nothing and the others do its share.
// A worker that wakes to find nothing to join halves its spin time, so on a machine where it keeps
// losing the race it stops burning CPU, and spins fully again once it gets work.
// No allocation and no locks on the hot path (a caller blocks on a mutex only when the budget is full).
#pragma once
#include <cstdint>
#include <type_traits>

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

// Sets the process's budget (n >= 1 threads computing at once). Until it is set, the budget is the
// machine's hardware threads, raised to the size of the largest ThreadPool made.
void set_thread_budget(int n);
int thread_budget();
// Most slots held at once since the last reset: at most the budget (after a shrink, once the
// slots held above it have come back).
int thread_budget_peak();
void reset_thread_budget_peak();

// Holds one slot of the budget for the calling thread while it lives, waiting (first come, first
// served) while none is free. A thread already holding one takes no second: parallel_for inside
// runs on the slot held, and nested holders share it. Hold one across a unit of work that mixes
// serial code and parallel regions (a scheduler step), so the serial part counts too.
class CpuSlot {
 public:
  CpuSlot();
  ~CpuSlot();
  CpuSlot(const CpuSlot&) = delete;
  CpuSlot& operator=(const CpuSlot&) = delete;
};

// One caller's share of the budget: its parallel regions use at most n_threads threads (the caller
// plus up to n_threads - 1 workers), as many as the budget has free. Cheap to make: it owns no threads.
class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end, thread_idx) on disjoint contiguous chunks covering [0, n_items) (a thread may
  // get several chunks, or none) and returns when all are done. thread_idx < size() names the thread
  // running the chunk (0 is the caller), unique among the threads of this call, for per-thread
  // scratch. Holds a budget slot for the call unless the thread holds one (CpuSlot). One caller at a
  // time per pool; fn must not throw.
  template <typename F>
  void parallel_for(int64_t n_items, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run(n_items, [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<Fn*>(ctx))(b, e, t); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  using Trampoline = void (*)(void* ctx, int64_t begin, int64_t end, int thread_idx);

 private:
  void run(int64_t n_items, Trampoline fn, void* ctx);

  int n_threads_;
};

}  // namespace capibara
