// Serving pieces that need no weights: the Generator's stop rules on synthetic logits, and the KV
// pool's sizing and sliding-window rows (a Gemma-3-27B shape at 24K context).
#include <vector>

#include "harness.h"
#include "model/generator.h"
#include "model/kv_pool.h"

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
  const auto rows = kv_layer_rows(c, 24576, 256);
  CHECK(rows[0] == 1024 + 256);
  CHECK(rows[5] == 24576);
  const double gib = 1024.0 * 1024.0 * 1024.0;
  const double f16 = static_cast<double>(kv_pool_bytes(c, 24576, 1, 256)) / gib;
  CHECK_LE(f16, 2.6, "gemma3-27b F16 KV at 24K (GiB)");
  const double q8 = static_cast<double>(kv_pool_bytes(c, 24576, 1, 256, KvType::Q8_0)) / gib;
  CHECK_LE(q8, 1.4, "gemma3-27b Q8_0 KV at 24K (GiB)");
  CHECK(check_kv_type(c, KvType::Q8_0).is_ok());
  // Full-length layers everywhere would be 11.6 GiB.
  CHECK_LE(11.5, static_cast<double>(kv_pool_bytes(c, 24576, 1, 24576)) / gib, "full-length KV (GiB)");
  CHECK(kv_pool_bytes(c, 24576, 4, 256) == 4 * kv_pool_bytes(c, 24576, 1, 256));
}

CAPI_TEST(kv_cache_window_layer_slides_and_keeps_the_window) {
  ModelConfig c;
  c.n_layer = 2;
  c.n_head = 1;
  c.n_head_kv = 1;
  c.head_dim = 2;
  c.sliding_window = 4;
  c.swa_layers = {true, false};
  auto pool = KvPool::create(c, 64, 2, 3);
  CHECK(pool.is_ok());
  KvCache& kv = pool.value()->seq(0);
  // F16 rows of 2 values: the first value of each row carries the tag.
  const auto key = [](KvCache& c, int64_t row) -> uint16_t& { return reinterpret_cast<uint16_t*>(c.k(0))[row * 2]; };
  // Layer 0 keeps 4 + 3 rows; write positions 0..9 in chunks of 3 (+1), tagging each row with its position.
  for (int64_t pos0 = 0; pos0 < 10; pos0 += 3) {
    const int64_t n = pos0 + 3 <= 10 ? 3 : 10 - pos0;
    const int64_t r0 = kv.prepare(0, pos0, n);
    CHECK(r0 == pos0 - kv.first(0));
    for (int64_t i = 0; i < n; ++i) key(kv, r0 + i) = static_cast<uint16_t>(pos0 + i);
    // Every key a query of this chunk attends to (window 4) is still held at its row.
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = std::max<int64_t>(0, pos0 + i - 3); p <= pos0 + i; ++p)
        CHECK(key(kv, p - kv.first(0)) == p);
  }
  CHECK(kv.first(0) > 0);
  CHECK(kv.first(1) == 0);
  // Position 10 needs keys from 7 on: a prefix of 10 is usable, one of 2 no longer is.
  CHECK(kv.usable_prefix(10) == 10);
  CHECK(kv.usable_prefix(2) == 0);
  KvCache& other = pool.value()->seq(1);
  other.copy_prefix(kv, 10);
  for (int64_t p = 7; p < 10; ++p) CHECK(key(other, p - other.first(0)) == p);
}
