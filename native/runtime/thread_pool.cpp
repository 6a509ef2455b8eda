#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
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

// One running parallel region. Its fields are written by the caller that owns the slot before the
// claim word is published (release) and read by a worker after a successful claim (acquire): the
// caller cannot reuse the slot until `done` counts that chunk.
struct Job {
  ThreadPool::Trampoline fn = nullptr;
  void* ctx = nullptr;
  int64_t n_items = 0;
  uint32_t gen = 0;  // owner only
  // generation (32 bits) | chunk count (16) | next chunk to claim (16): a claim succeeds only for
  // the region the claimer looked at.
  alignas(64) std::atomic<uint64_t> claim{0};
  // generation (32) | helpers allowed (16) | helpers joined (16): a helper's thread index is its
  // join order, so indices are unique within a region.
  alignas(64) std::atomic<uint64_t> seats{0};
  alignas(64) std::atomic<int64_t> done{0};
  std::atomic<bool> busy{false};
};

// Regions running at once (about one per thread that calls parallel_for); beyond, a region runs on
// its caller alone.
constexpr int kMaxJobs = 64;
constexpr int kSpinUs = 200;

// How many slots the calling thread holds (nested holders share the first).
thread_local int t_slots = 0;
// The job slot this thread last owned: tried first, so each caller keeps to one.
thread_local int t_job = -1;

class Budget {
 public:
  Budget() {
    const int hw = static_cast<int>(std::thread::hardware_concurrency());
    threads_ = hw > 0 ? hw : 1;
    free_.store(threads_);
  }

  // Grows the budget to n unless it was set explicitly; starts the workers it needs.
  void ensure(int n) {
    std::lock_guard<std::mutex> lk(mu_);
    if (!explicit_ && n > threads_) resize_locked(n);
    spawn_locked();
  }

  void set(int n) {
    std::lock_guard<std::mutex> lk(mu_);
    explicit_ = true;
    resize_locked(n < 1 ? 1 : n);
    spawn_locked();
  }

  int threads() {
    std::lock_guard<std::mutex> lk(mu_);
    return threads_;
  }
  int peak() const { return peak_.load(); }
  void reset_peak() { peak_.store(held_.load()); }

  // A caller's slot: the free one if nobody is waiting, else a ticket served in order.
  void acquire() {
    if (waiting_.load(std::memory_order_seq_cst) == 0 && try_take()) return;
    std::unique_lock<std::mutex> lk(mu_);
    const uint64_t ticket = next_ticket_++;
    waiting_.fetch_add(1, std::memory_order_seq_cst);
    pump_locked();
    cv_.wait(lk, [&] { return ticket < granted_; });
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
  }

  // notify: wake workers to help running regions with the freed slot (a caller's release; a
  // worker's own release needs none, it looks for more work itself).
  void release(bool notify) {
    held_.fetch_sub(1, std::memory_order_relaxed);
    free_.fetch_add(1, std::memory_order_seq_cst);
    // Either this sees the waiter's count or the waiter's pump sees this slot (both seq_cst).
    if (waiting_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(mu_);
      pump_locked();
    } else if (notify && active_.load(std::memory_order_relaxed) > 0) {
      wake_workers();
    }
  }

  void run(int limit, int64_t n_items, ThreadPool::Trampoline fn, void* ctx);

 private:
  bool try_take() {
    int f = free_.load(std::memory_order_relaxed);
    while (f > 0)
      if (free_.compare_exchange_weak(f, f - 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        note_taken();
        return true;
      }
    return false;
  }
  void note_taken() {
    const int h = held_.fetch_add(1, std::memory_order_relaxed) + 1;
    int p = peak_.load(std::memory_order_relaxed);
    while (h > p && !peak_.compare_exchange_weak(p, h, std::memory_order_relaxed)) {
    }
  }
  // Under mu_: hands free slots to waiting tickets in order.
  void pump_locked() {
    bool granted = false;
    while (next_ticket_ > granted_ && try_take()) {
      ++granted_;
      granted = true;
    }
    if (granted) cv_.notify_all();
  }
  void resize_locked(int n) {
    free_.fetch_add(n - threads_, std::memory_order_seq_cst);  // negative until enough slots return
    threads_ = n;
    pump_locked();
  }
  void spawn_locked() {
    while (static_cast<int>(workers_.size()) < threads_ - 1) {
      workers_.emplace_back([this] { worker(); });
      workers_.back().detach();  // the budget lives as long as the process
    }
  }
  void wake_workers() {
    wake_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) unpark_all(&wake_);
  }

  Job* own_job();
  int claim_chunks(Job& j, uint32_t gen, int thread_idx, bool yield_to_callers);
  bool help_one();
  void wait_wake(uint32_t seen, int spin_us);
  void worker();

  std::mutex mu_;
  std::condition_variable cv_;
  int threads_ = 1;
  bool explicit_ = false;
  uint64_t next_ticket_ = 0, granted_ = 0;  // under mu_
  std::vector<std::thread> workers_;        // under mu_
  alignas(64) std::atomic<int> free_{0};    // slots not held; negative after the budget shrank
  std::atomic<int> waiting_{0};             // callers waiting for a slot
  std::atomic<int> held_{0};
  std::atomic<int> peak_{0};
  alignas(64) std::atomic<int> active_{0};  // regions published and not finished
  std::atomic<int> n_jobs_{0};              // job slots ever used (workers scan these)
  alignas(64) std::atomic<uint32_t> wake_{0};
  std::atomic<int> sleepers_{0};
  Job jobs_[kMaxJobs];
};

Budget& budget() {
  static Budget* b = new Budget();  // never destroyed: detached workers use it until exit
  return *b;
}

Job* Budget::own_job() {
  if (t_job >= 0) {
    bool expect = false;
    if (jobs_[t_job].busy.compare_exchange_strong(expect, true, std::memory_order_acquire)) return &jobs_[t_job];
  }
  for (int i = 0; i < kMaxJobs; ++i) {
    bool expect = false;
    if (!jobs_[i].busy.compare_exchange_strong(expect, true, std::memory_order_acquire)) continue;
    t_job = i;
    int n = n_jobs_.load(std::memory_order_relaxed);
    while (n < i + 1 && !n_jobs_.compare_exchange_weak(n, i + 1, std::memory_order_release)) {
    }
    return &jobs_[i];
  }
  return nullptr;
}

// Chunk k of c over n items, largest first and tapering: chunk k starts at n (1 - ((c - k) / c)^2), so
// the first is about 2n / c and the last about n / c^2. Threads that claim in turn then end a region
// close together (with c equal chunks the last one claimed left the other thread idle for up to 1 / c
// of it, about a tenth of a 2-thread decode step), while the number of chunks, and of per-call set-up
// such as a packed GEMM's activation sums, stays at c. Chunks may be empty when n is small.
Range taper_range(int64_t n, int c, int k) {
  const auto start = [&](int i) {
    const double r = static_cast<double>(c - i) / c;
    return n - static_cast<int64_t>(static_cast<double>(n) * r * r);
  };
  return {start(k), start(k + 1)};
}

int Budget::claim_chunks(Job& j, uint32_t gen, int thread_idx, bool yield_to_callers) {
  int ran = 0;
  uint64_t s = j.claim.load(std::memory_order_acquire);
  for (;;) {
    const auto n_chunks = static_cast<int>((s >> 16) & 0xFFFF), next = static_cast<int>(s & 0xFFFF);
    if (static_cast<uint32_t>(s >> 32) != gen || next >= n_chunks) return ran;
    if (!j.claim.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The chunk is ours and the job cannot change until done counts it.
    const Range r = taper_range(j.n_items, n_chunks, next);
    if (r.end > r.begin) j.fn(j.ctx, r.begin, r.end, thread_idx);
    ++ran;
    j.done.fetch_add(1, std::memory_order_acq_rel);
    if (yield_to_callers && waiting_.load(std::memory_order_relaxed) > 0) return ran;  // its slot goes to a caller
    s = j.claim.load(std::memory_order_acquire);
  }
}

// A worker with a free slot joins the region with work left and the fewest helpers. False when it
// ran nothing.
bool Budget::help_one() {
  if (waiting_.load(std::memory_order_seq_cst) > 0 || !try_take()) return false;
  t_slots = 1;
  int ran = 0;
  for (;;) {
    Job* best = nullptr;
    uint64_t best_seats = 0;
    const int n = n_jobs_.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i) {
      Job& j = jobs_[i];
      const uint64_t c = j.claim.load(std::memory_order_acquire);
      if ((c & 0xFFFF) >= ((c >> 16) & 0xFFFF)) continue;  // no chunk left
      const uint64_t s = j.seats.load(std::memory_order_acquire);
      if ((s >> 32) != (c >> 32) || (s & 0xFFFF) >= ((s >> 16) & 0xFFFF)) continue;  // full
      if (!best || (s & 0xFFFF) < (best_seats & 0xFFFF)) {
        best = &j;
        best_seats = s;
      }
    }
    if (!best) break;
    if (!best->seats.compare_exchange_strong(best_seats, best_seats + 1, std::memory_order_acq_rel)) continue;
    ran += claim_chunks(*best, static_cast<uint32_t>(best_seats >> 32), static_cast<int>(best_seats & 0xFFFF) + 1, true);
    if (waiting_.load(std::memory_order_relaxed) > 0) break;
  }
  t_slots = 0;
  release(false);
  return ran > 0;
}

void Budget::wait_wake(uint32_t seen, int spin_us) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::microseconds(spin_us);
  // Spin only while a slot is free: with the budget fully held, a spinning worker would take a core
  // from the threads that hold it.
  for (int i = 1; free_.load(std::memory_order_relaxed) > 0; ++i) {
    if (wake_.load(std::memory_order_acquire) != seen) return;
    cpu_relax();
    if ((i & 255) == 0 && clock::now() > deadline) break;  // read the clock rarely: it costs ~20 ns
  }
  // Announce the sleep before re-checking: a waker bumps wake_, then reads sleepers_ (both
  // seq_cst), so either it sees us and wakes us, or we see its bump.
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  while (wake_.load(std::memory_order_seq_cst) == seen) park(&wake_, seen);
  sleepers_.fetch_sub(1, std::memory_order_relaxed);
}

void Budget::worker() {
  int spin_us = kSpinUs;
  for (;;) {
    // Read the wake counter before looking: a region published after the look bumps it.
    uint32_t seen = wake_.load(std::memory_order_seq_cst);
    if (help_one()) {
      spin_us = kSpinUs;
      continue;
    }
    wait_wake(seen, spin_us);
    spin_us = std::max(spin_us / 2, 1);
  }
}

void Budget::run(int limit, int64_t n_items, ThreadPool::Trampoline fn, void* ctx) {
  Job* j = limit > 1 && n_items > 1 ? own_job() : nullptr;
  if (!j) {  // nothing to share (or no job slot left): no hand-off at all
    fn(ctx, 0, n_items, 0);
    return;
  }
  // A few tapering chunks per thread balance uneven progress; contiguous chunks keep weight reads streaming.
  const int64_t n_chunks = std::min<int64_t>(n_items, std::min<int64_t>(4 * limit, 0xFFFF));
  j->fn = fn;
  j->ctx = ctx;
  j->n_items = n_items;
  j->done.store(0, std::memory_order_relaxed);
  const uint32_t gen = ++j->gen;
  const uint64_t helpers = static_cast<uint64_t>(std::min(limit - 1, 0xFFFF));
  j->seats.store((static_cast<uint64_t>(gen) << 32) | (helpers << 16), std::memory_order_release);
  j->claim.store((static_cast<uint64_t>(gen) << 32) | (static_cast<uint64_t>(n_chunks) << 16), std::memory_order_release);
  active_.fetch_add(1, std::memory_order_relaxed);
  if (free_.load(std::memory_order_seq_cst) > 0) wake_workers();
  claim_chunks(*j, gen, 0, false);
  for (int i = 1; j->done.load(std::memory_order_acquire) != n_chunks; ++i) {
    cpu_relax();
    if ((i & 1023) == 0) std::this_thread::yield();  // a worker holding a chunk was descheduled
  }
  active_.fetch_sub(1, std::memory_order_relaxed);
  j->busy.store(false, std::memory_order_release);
}

}  // namespace

void set_thread_budget(int n) { budget().set(n); }
int thread_budget() { return budget().threads(); }
int thread_budget_peak() { return budget().peak(); }
void reset_thread_budget_peak() { budget().reset_peak(); }

CpuSlot::CpuSlot() {
  if (t_slots++ == 0) budget().acquire();
}

CpuSlot::~CpuSlot() {
  if (--t_slots == 0) budget().release(true);
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) { budget().ensure(n_threads_); }

void ThreadPool::run(int64_t n_items, Trampoline fn, void* ctx) {
  if (n_items <= 0) return;
  const CpuSlot slot;
  budget().run(n_items == 1 ? 1 : n_threads_, n_items, fn, ctx);
}

}  // namespace capibara
