// The process's CPU budget (runtime/thread_pool.h): parallel regions of several callers at once never
// run on more threads than the budget, every item is still visited once with unique thread indices,
// a caller alone gets the shared workers, callers beyond the budget take turns, and two schedulers
// generating at once give the tokens each gives alone.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "model/model.h"
#include "model/scheduler.h"
#include "runtime/thread_pool.h"

using namespace capibara;

namespace {

// Restores the budget a test changed.
struct BudgetScope {
  explicit BudgetScope(int n) : before(thread_budget()) {
    set_thread_budget(n);
    reset_thread_budget_peak();
  }
  ~BudgetScope() { set_thread_budget(before); }
  int before;
};

void spin_for(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

// Runs `regions` parallel regions of n items on a pool of `size`, counting the threads inside
// chunks across every caller (`inside`, `most`) and checking items and thread indices.
void run_regions(int size, int regions, int64_t n, std::atomic<int>& inside, std::atomic<int>& most, std::atomic<int>& errors,
                 std::atomic<int>* helped = nullptr) {
  ThreadPool pool(size);
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::vector<std::atomic<int>> by_idx(static_cast<size_t>(size));
  for (int r = 0; r < regions; ++r) {
    pool.parallel_for(n, [&](int64_t b, int64_t e, int t) {
      if (t < 0 || t >= size || by_idx[static_cast<size_t>(t)].fetch_add(1) != 0) errors.fetch_add(1);
      if (t > 0 && helped) helped->fetch_add(1);
      const int now = inside.fetch_add(1) + 1;
      int m = most.load();
      while (now > m && !most.compare_exchange_weak(m, now)) {
      }
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      spin_for(std::chrono::microseconds(20));
      inside.fetch_sub(1);
      by_idx[static_cast<size_t>(t)].fetch_sub(1);
    });
  }
  for (auto& h : hits)
    if (h.load() != regions) errors.fetch_add(1);
}

}  // namespace

CAPI_TEST(thread_budget_bounds_threads_of_concurrent_callers) {
  for (const int budget : {1, 2, 3}) {
    const BudgetScope scope(budget);
    std::atomic<int> inside{0}, most{0}, errors{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < 3; ++c)  // pools of 4 each: 12 threads wanted
      callers.emplace_back([&, c] { run_regions(4, 150, 37 + c, inside, most, errors); });
    for (auto& t : callers) t.join();
    CHECK(errors.load() == 0);
    CHECK(most.load() >= 1);
    CHECK_LE(most.load(), budget, "threads inside chunks at once, budget " + std::to_string(budget));
    CHECK_LE(thread_budget_peak(), budget, "slots held at once, budget " + std::to_string(budget));
  }
}

CAPI_TEST(thread_budget_gives_a_lone_caller_the_shared_workers) {
  const BudgetScope scope(2);
  std::atomic<int> inside{0}, most{0}, errors{0}, helped{0};
  // On a loaded machine the worker may lose many races; within a few seconds it joins some region.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (helped.load() == 0 && std::chrono::steady_clock::now() < end) run_regions(2, 50, 64, inside, most, errors, &helped);
  CHECK(errors.load() == 0);
  CHECK(helped.load() > 0);
  CHECK_LE(most.load(), 2, "threads inside chunks at once");
}

CAPI_TEST(thread_budget_callers_beyond_it_take_turns) {
  const BudgetScope scope(1);
  std::atomic<int> inside{0}, most{0};
  std::atomic<int> turns[3] = {};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&, c] {
      for (int i = 0; i < 40; ++i) {
        const CpuSlot slot;
        const int now = inside.fetch_add(1) + 1;
        int m = most.load();
        while (now > m && !most.compare_exchange_weak(m, now)) {
        }
        ThreadPool pool(2);  // inside a held slot: no second one, no helper (the budget is full)
        pool.parallel_for(8, [&](int64_t, int64_t, int t) {
          if (t != 0) most.store(99);
        });
        spin_for(std::chrono::microseconds(200));
        inside.fetch_sub(1);
        turns[c].fetch_add(1);
      }
    });
  for (auto& t : callers) t.join();
  CHECK(most.load() == 1);
  for (auto& t : turns) CHECK(t.load() == 40);
  CHECK(thread_budget_peak() == 1);
}

namespace {

// Collects one sequence's tokens.
class Collect : public model::SeqSink {
 public:
  void token(int32_t t) override { tokens.push_back(t); }
  bool ready() override { return true; }
  void done(model::StopReason r, const model::GenerateStats&, const Status&) override {
    std::lock_guard<std::mutex> lk(mu);
    reason = r;
    finished = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return finished; });
  }
  std::vector<int32_t> tokens;  // scheduler thread until done()
  model::StopReason reason = model::StopReason::None;

 private:
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
};

const std::vector<std::vector<int32_t>> kPrompts = {{1, 403, 407, 261, 419, 15, 77}, {1, 100, 200, 300}, {1, 9, 9, 9, 9, 44}};

// Greedy continuations of kPrompts, one after another on a scheduler of 2 threads (one sequence at a
// time, so every step's batch is the same whatever the timing).
std::vector<std::vector<int32_t>> generate(const std::shared_ptr<const model::Model>& m) {
  model::SchedulerOptions o;
  o.n_seq = 1;
  o.n_ctx = 128;
  o.n_threads = 2;
  auto s = model::Scheduler::create(m, o);
  CHECK(s.is_ok());
  if (!s.is_ok()) return {};
  std::vector<std::shared_ptr<Collect>> sinks;
  for (const auto& p : kPrompts) {
    model::GenerateParams g;
    g.sampler.temperature = 0.0f;
    g.max_tokens = 40;
    sinks.push_back(std::make_shared<Collect>());
    CHECK(s.value()->submit(p, g, sinks.back()).is_ok());
  }
  std::vector<std::vector<int32_t>> out;
  for (auto& k : sinks) {
    k->wait();
    CHECK(k->reason == model::StopReason::MaxTokens);
    out.push_back(k->tokens);
  }
  return out;
}

}  // namespace

CAPI_TEST(thread_budget_two_schedulers_at_once_match_each_alone) {
  const std::string path = std::string(CAPIBARA_ROOT_DIR) + "/../shared/models/stories260K.gguf";
  if (!std::ifstream(path).good()) {
    std::printf("  (skipped: %s is absent; see ../shared/models/README.md)\n", path.c_str());
    return;
  }
  auto loaded = model::Model::load(path);
  CHECK(loaded.is_ok());
  if (!loaded.is_ok()) return;
  const std::shared_ptr<const model::Model> m = loaded.take();
  const BudgetScope scope(2);
  const auto alone = generate(m);
  std::vector<std::vector<int32_t>> a, b;
  std::thread ta([&] { a = generate(m); });
  std::thread tb([&] { b = generate(m); });
  ta.join();
  tb.join();
  CHECK(alone.size() == kPrompts.size());
  CHECK(a == alone);
  CHECK(b == alone);
  CHECK_LE(thread_budget_peak(), 2, "slots held at once by two schedulers of 2 threads");
}
