// Serving pieces: the Generator's stop rules on synthetic logits; the paged KV pool's sizing (a
// Gemma-3-27B shape at 24K context), block sharing, copy-on-write and sliding-window release; and the
// scheduler on the real stories260K model (skipped when absent): a shared prefix, a prompt waiting
// for blocks, and a sequence outgrowing the pool.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "harness.h"
#include "model/generator.h"
#include "model/kv_pool.h"
#include "model/model.h"
#include "model/scheduler.h"

using namespace capibara;
using namespace capibara::model;

namespace {

GenerateParams greedy(int64_t max_tokens) {
  GenerateParams p;
  p.sampler.temperature = 0.0f;
  p.max_tokens = max_tokens;
  return p;
}

std::vector<float> peak(int64_t n_vocab, int32_t at) {
  std::vector<float> l(static_cast<size_t>(n_vocab), 0.0f);
  l[static_cast<size_t>(at)] = 5.0f;
  return l;
}

// Gemma-3-27B: 62 layers, every sixth global, the others sliding-window (1024), 16 KV heads x 128.
ModelConfig gemma3_27b() {
  ModelConfig c;
  c.n_layer = 62;
  c.n_head = 32;
  c.n_head_kv = 16;
  c.head_dim = 128;
  c.sliding_window = 1024;
  for (int64_t il = 0; il < c.n_layer; ++il) c.swa_layers.push_back((il + 1) % 6 != 0);
  return c;
}

// The one token a step emits, or -1 when it emits none.
int32_t only(const std::vector<int32_t>& step) { return step.size() == 1 ? step[0] : -1; }

}  // namespace

CAPI_TEST(generator_emits_until_max_tokens) {
  std::vector<int32_t> prompt = {1, 2};
  Generator g(greedy(3), 8, prompt);
  g.started(0);
  for (int i = 0; i < 3; ++i) {
    auto l = peak(8, 4);
    CHECK(only(g.next(l.data(), 3 + i, 100)) == 4);
  }
  CHECK(g.done());
  CHECK(g.reason() == StopReason::MaxTokens);
  CHECK(g.stats().generated == 3);
  CHECK(g.stats().prompt_tokens == 2);
}

CAPI_TEST(generator_stops_on_eog_without_emitting_it) {
  GenerateParams p = greedy(10);
  p.stop_tokens = {7};
  Generator g(p, 8, {1});
  auto a = peak(8, 3);
  CHECK(only(g.next(a.data(), 2, 100)) == 3);
  auto b = peak(8, 7);
  CHECK(only(g.next(b.data(), 3, 100)) == -1);
  CHECK(g.reason() == StopReason::Eos);
  CHECK(g.stats().generated == 1);
}

CAPI_TEST(generator_emits_the_last_token_then_reports_context_full) {
  Generator g(greedy(10), 8, {1, 2, 3});
  auto l = peak(8, 5);
  CHECK(only(g.next(l.data(), 4, 4)) == 5);  // 4 of 4 positions used: the token is emitted, not evaluated
  CHECK(g.reason() == StopReason::ContextFull);
  Generator zero(greedy(0), 8, {1});
  CHECK(only(zero.next(l.data(), 1, 4)) == -1);
  CHECK(zero.reason() == StopReason::MaxTokens);
}

CAPI_TEST(generator_finish_keeps_the_first_reason) {
  Generator g(greedy(10), 8, {1});
  g.finish(StopReason::Aborted);
  g.finish(StopReason::Error);
  CHECK(g.reason() == StopReason::Aborted);
  auto l = peak(8, 2);
  CHECK(only(g.next(l.data(), 2, 100)) == -1);
}

CAPI_TEST(kv_pool_sizes_sliding_window_layers_to_window_plus_chunk) {
  const ModelConfig c = gemma3_27b();
  const auto blocks = kv_layer_blocks(c, 24576, 256);
  CHECK(blocks[0] == (1024 + 256 - 2) / kKvBlockRows + 2);  // window + chunk, one block of slack on the grid
  CHECK(blocks[5] == 24576 / kKvBlockRows);
  const double gib = 1024.0 * 1024.0 * 1024.0;
  const double f16 = static_cast<double>(kv_pool_bytes(c, 24576, 1, 256)) / gib;
  CHECK_LE(f16, 2.6, "gemma3-27b F16 KV at 24K (GiB)");
  const double q8 = static_cast<double>(kv_pool_bytes(c, 24576, 1, 256, KvType::Q8_0)) / gib;
  CHECK_LE(q8, 1.4, "gemma3-27b Q8_0 KV at 24K (GiB)");
  CHECK(check_kv_type(c, KvType::Q8_0).is_ok());
  // Full-length layers everywhere would be 11.6 GiB.
  CHECK_LE(11.5, static_cast<double>(kv_pool_bytes(c, 24576, 1, 24576)) / gib, "full-length KV (GiB)");
  CHECK(kv_pool_bytes(c, 24576, 4, 256) == 4 * kv_pool_bytes(c, 24576, 1, 256));
  // A token budget of two contexts: global layers get two contexts of blocks, window layers two windows.
  CHECK(kv_pool_blocks(c, 24576, 8, 256, 2 * 24576) == kv_pool_blocks(c, 24576, 2, 256));
}

namespace {

// Two layers, one KV head of 2 values: layer 0 slides (window 40), layer 1 is global.
ModelConfig tiny_swa() {
  ModelConfig c;
  c.n_layer = 2;
  c.n_head = 1;
  c.n_head_kv = 1;
  c.head_dim = 2;
  c.sliding_window = 40;
  c.swa_layers = {true, false};
  return c;
}

// F16 rows of 2 values: the first value of a K row carries a tag.
uint16_t& tag(KvCache& kv, int64_t il, int64_t pos) { return *reinterpret_cast<uint16_t*>(kv.k_row(il, pos)); }

void write(KvCache& kv, int64_t pos0, int64_t n, uint16_t base) {
  CHECK(kv.prepare(pos0, n));
  for (int64_t il = 0; il < kv.n_layer(); ++il)
    for (int64_t p = pos0; p < pos0 + n; ++p) tag(kv, il, p) = static_cast<uint16_t>(base + p);
}

int64_t held(const KvCache& kv, int64_t il) {
  int64_t n = 0;
  for (int32_t b : kv.table(il)) n += b >= 0;
  return n;
}

}  // namespace

CAPI_TEST(kv_blocks_are_shared_by_reference_and_a_partial_block_is_copied_on_write) {
  const ModelConfig c = tiny_swa();
  auto pool = KvPool::create(c, 16);
  CHECK(pool.is_ok());
  KvPool& p = *pool.value();
  {
    KvCache a(p, c, 128), b(p, c, 128);
    write(a, 0, 70, 0);  // blocks 0, 1 full, block 2 holds 64..69
    CHECK(p.n_free() == 16 - 6);
    b.share_prefix(a, 70);
    CHECK(p.n_free() == 16 - 6);  // nothing copied yet
    for (int64_t i = 0; i < 3; ++i) {
      CHECK(b.table(1)[i] == a.table(1)[i]);
      CHECK(p.refs(a.table(1)[i]) == 2);
    }
    // Appending to the shared partial block copies it: b's rows 64..69 come along, a's block is untouched.
    write(b, 70, 2, 1000);
    CHECK(b.table(1)[2] != a.table(1)[2]);
    CHECK(p.refs(a.table(1)[2]) == 1 && p.refs(b.table(1)[2]) == 1);
    CHECK(p.refs(a.table(1)[0]) == 2);  // full blocks stay shared
    for (int64_t pos = 64; pos < 70; ++pos) CHECK(tag(b, 1, pos) == pos);
    CHECK(tag(b, 1, 70) == 1070 && tag(a, 1, 69) == 69);
    write(a, 70, 1, 2000);  // a's block is its own again: written in place
    CHECK(tag(a, 1, 70) == 2070 && tag(b, 1, 70) == 1070);
    CHECK(p.n_free() == 16 - 8);
  }
  CHECK(p.n_free() == 16);  // destroyed caches release every block
}

CAPI_TEST(kv_window_layer_releases_blocks_out_of_the_window) {
  const ModelConfig c = tiny_swa();
  auto pool = KvPool::create(c, 64);
  CHECK(pool.is_ok());
  const int64_t chunk = 10;
  KvCache kv(*pool.value(), c, chunk);
  const int64_t most = kv_layer_blocks(c, 1000, chunk)[0];
  for (int64_t pos0 = 0; pos0 < 300; pos0 += chunk) {
    write(kv, pos0, chunk, 0);
    CHECK(held(kv, 0) <= most);
    // Until the bound is reached nothing is released, so a shorter prefix stays reusable.
    if (pos0 + chunk <= most * kKvBlockRows) CHECK(held(kv, 0) == held(kv, 1) && kv.usable_prefix(1) == 1);
    // Every key a query of this chunk attends to (window 40) is still held with its own tag.
    for (int64_t p = std::max<int64_t>(0, pos0 - 39); p < pos0 + chunk; ++p) CHECK(tag(kv, 0, p) == p);
  }
  CHECK(held(kv, 1) == 300 / kKvBlockRows + 1);  // the global layer keeps everything
  CHECK(pool.value()->n_free() == 64 - held(kv, 0) - held(kv, 1));
  // Position 300 needs keys from 261 on: a prefix of 300 is usable, one of 100 no longer is.
  CHECK(kv.usable_prefix(300) == 300);
  CHECK(kv.usable_prefix(100) == 0);
  KvCache other(*pool.value(), c, chunk);
  other.share_prefix(kv, 300);
  for (int64_t p = 261; p < 300; ++p) CHECK(tag(other, 0, p) == p);
  CHECK(held(other, 0) == 300 / kKvBlockRows - 261 / kKvBlockRows + 1);
}

CAPI_TEST(kv_pool_exhaustion_fails_prepare_after_reclaim_and_leaves_others_intact) {
  const ModelConfig c = tiny_swa();
  auto pool = KvPool::create(c, 5);
  CHECK(pool.is_ok());
  KvPool& p = *pool.value();
  auto spare = std::make_unique<KvCache>(p, c, 40);
  write(*spare, 0, 10, 500);  // two blocks a reclaim may take back
  int reclaims = 0;
  p.set_reclaim([&] {
    ++reclaims;
    if (!spare) return false;
    spare.reset();
    return true;
  });
  KvCache a(p, c, 64), b(p, c, 64);
  write(a, 0, 40, 0);  // 2 blocks per layer: the 5th block comes from the reclaimed cache
  CHECK(reclaims == 1 && !spare);
  CHECK(!b.prepare(0, 40));  // one block left, two needed
  CHECK(reclaims == 2);
  for (int64_t p0 = 0; p0 < 40; ++p0) CHECK(tag(a, 1, p0) == p0);
  b.reset();
  CHECK(p.n_free() == 1);
}

namespace {

// The real stories260K model beside the repository (../shared/models), or null with a note.
std::shared_ptr<const Model> stories() {
  static std::shared_ptr<const Model> m = []() -> std::shared_ptr<const Model> {
    const std::string file = __FILE__;
    const std::string path = file.substr(0, file.rfind("test/native/")) + "../shared/models/stories260K.gguf";
    auto r = Model::load(path);
    if (!r) {
      std::printf("note: %s not loaded (%s): the scheduler tests on the real model are skipped\n", path.c_str(),
                  r.status().message().c_str());
      return nullptr;
    }
    return std::shared_ptr<const Model>(r.take());
  }();
  return m;
}

// Collects a sequence's tokens; holds it back (not ready) once it has `pause_at` tokens until resumed.
class Collect : public SeqSink {
 public:
  explicit Collect(size_t pause_at = SIZE_MAX) : pause_at_(pause_at) {}
  void token(int32_t t) override {
    std::lock_guard<std::mutex> lk(mu_);
    tokens_.push_back(t);
    cv_.notify_all();
  }
  bool ready() override {
    std::lock_guard<std::mutex> lk(mu_);
    return tokens_.size() < pause_at_;
  }
  void done(StopReason r, const GenerateStats& st, const Status& err) override {
    std::lock_guard<std::mutex> lk(mu_);
    reason_ = r;
    stats_ = st;
    code_ = err.code();
    done_ = true;
    cv_.notify_all();
  }
  void resume(Scheduler& s) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      pause_at_ = SIZE_MAX;
    }
    s.wake();
  }
  // Waits until done, or until the sequence has at least n tokens.
  void wait(size_t n = SIZE_MAX) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_ || tokens_.size() >= n; });
  }
  std::vector<int32_t> tokens() {
    std::lock_guard<std::mutex> lk(mu_);
    return tokens_;
  }
  size_t pause_at_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int32_t> tokens_;
  StopReason reason_ = StopReason::None;
  GenerateStats stats_;
  ErrorCode code_ = ErrorCode::OK;
  bool done_ = false;
};

std::vector<int32_t> prompt_of(int64_t n, int32_t seed) {
  std::vector<int32_t> p = {1};
  for (int64_t i = 1; i < n; ++i) p.push_back(static_cast<int32_t>(3 + (seed * 131 + i * 17) % 500));
  return p;
}

std::unique_ptr<Scheduler> scheduler(int64_t n_seq, int64_t kv_tokens, bool cache = true) {
  SchedulerOptions o;
  o.n_seq = n_seq;
  o.n_ctx = 256;
  o.n_threads = 2;
  o.kv_tokens = kv_tokens;
  o.prompt_cache = cache;
  auto s = Scheduler::create(stories(), o);
  CHECK(s.is_ok());
  return s.take();
}

std::shared_ptr<Collect> submit(Scheduler& s, const std::vector<int32_t>& prompt, int64_t max_tokens, size_t pause_at = SIZE_MAX) {
  auto sink = std::make_shared<Collect>(pause_at);
  CHECK(s.submit(prompt, greedy(max_tokens), sink).is_ok());
  return sink;
}

// Stats once the scheduler has booked the end of every sequence (sinks hear "done" a little before).
SchedulerStats settled(Scheduler& s) {
  for (int i = 0; i < 200 && s.stats().kv_blocks_used > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return s.stats();
}

std::vector<int32_t> alone(const std::vector<int32_t>& prompt, int64_t max_tokens) {
  auto s = scheduler(1, 0, false);
  auto sink = submit(*s, prompt, max_tokens);
  sink->wait();
  return sink->tokens();
}

}  // namespace

CAPI_TEST(scheduler_shares_a_prefix_and_gives_the_tokens_of_each_sequence_alone) {
  if (!stories()) return;
  std::vector<int32_t> system = prompt_of(75, 7);
  std::vector<std::vector<int32_t>> prompts;
  for (int32_t i = 0; i < 3; ++i) {
    prompts.push_back(system);
    for (int32_t t : prompt_of(6 + i, 20 + i)) prompts.back().push_back(t);
  }
  std::vector<std::vector<int32_t>> ref;
  for (const auto& p : prompts) ref.push_back(alone(p, 24));
  auto s = scheduler(4, 0);
  auto first = submit(*s, prompts[0], 24);
  first->wait();
  CHECK(first->tokens() == ref[0]);
  CHECK(first->stats_.cached_prompt_tokens == 0);
  // The other two run together, each sharing the first one's blocks of the system prompt.
  auto b = submit(*s, prompts[1], 24), c = submit(*s, prompts[2], 24);
  b->wait();
  c->wait();
  CHECK(b->tokens() == ref[1] && c->tokens() == ref[2]);
  CHECK(b->stats_.cached_prompt_tokens >= 75 && c->stats_.cached_prompt_tokens >= 75);
  const SchedulerStats st = settled(*s);
  CHECK(st.cached_prompt_tokens == b->stats_.cached_prompt_tokens + c->stats_.cached_prompt_tokens);
  // Three finished caches of ~105 positions (4 blocks a layer each), the system prompt's 2 full blocks held once.
  const int64_t L = stories()->config().n_layer;
  CHECK(st.kv_blocks_used == 0);
  CHECK(st.kv_blocks_cached == L * (2 + 3 * 2));
  CHECK(st.kv_used == 0 && st.kv_cached > 3 * 100);
}

CAPI_TEST(scheduler_queues_a_prompt_until_the_pool_has_blocks_for_it) {
  if (!stories()) return;
  const auto pa = prompt_of(10, 1), pb = prompt_of(40, 2);
  const auto ref_a = alone(pa, 100), ref_b = alone(pb, 20);
  // 128 positions: 4 blocks a layer. a holds 3 per layer while paused (at 80 positions).
  auto s = scheduler(2, 128);
  auto a = submit(*s, pa, 100, 70);
  a->wait(70);
  auto b = submit(*s, pb, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(s->stats().queued == 1);  // b's 40-token prompt needs 2 blocks a layer: it waits
  CHECK(b->tokens().empty());
  a->resume(*s);
  a->wait();
  b->wait();
  CHECK(a->tokens() == ref_a && a->reason_ == StopReason::MaxTokens);
  CHECK(b->tokens() == ref_b && b->reason_ == StopReason::MaxTokens);
}

CAPI_TEST(scheduler_ends_a_sequence_that_outgrows_the_pool_with_context_full_alone) {
  if (!stories()) return;
  const auto pa = prompt_of(10, 3), pb = prompt_of(10, 4);
  const auto ref_a = alone(pa, 30), ref_b = alone(pb, 200);
  auto s = scheduler(2, 128);
  auto a = submit(*s, pa, 30, 5);  // paused, holding one block a layer
  a->wait(5);
  auto b = submit(*s, pb, 200);
  b->wait();
  CHECK(b->reason_ == StopReason::Error && b->code_ == ErrorCode::CONTEXT_FULL);
  // b got the 3 blocks a layer a left: 96 positions, then no block for the 97th.
  const auto got = b->tokens();
  CHECK(got.size() == 96 - 10 + 1);
  CHECK(std::equal(got.begin(), got.end(), ref_b.begin()));
  a->resume(*s);
  a->wait();
  CHECK(a->tokens() == ref_a && a->reason_ == StopReason::MaxTokens);
  // A prompt the whole pool cannot hold is refused at once.
  auto big = s->submit(prompt_of(200, 5), greedy(4), std::make_shared<Collect>());
  CHECK(!big.is_ok() && big.status().code() == ErrorCode::CONTEXT_FULL);
}
