// Elementwise ops and flash attention: every SIMD table present vs the scalar reference on random
// inputs, odd sizes and edge values. Each case prints the worst error it saw next to its tolerance
// (the tolerances stated in native/kernels/scalar/*.cpp).
#include <algorithm>
#include <cstdio>
#include <string>

#include "harness.h"
#include "kernels/fp16.h"
#include "kernels/kernels.h"
#include "test_util.h"

using namespace capibara;
using capitest::max_abs_diff;
using capitest::nmse;
using capitest::odd_sizes;
using capitest::random_floats;

namespace {

template <typename Fn>
void for_each_simd_isa(Fn&& fn) {
  for (int i = 1; i < kIsaCount; ++i) {
    const Kernels* k = kernels_for(static_cast<Isa>(i));
    if (k) fn(*k);
  }
}

const Kernels& ref() { return *kernels_for(Isa::Scalar); }

// Worst error over a case; checked once against the tolerance and printed.
struct Worst {
  const char* what;
  double tol;
  double value = 0.0;
  std::string where;
  void add(double e, const std::string& ctx) {
    if (e > value || where.empty()) value = std::max(value, e), where = ctx;
  }
  void check(const Kernels& k) {
    std::printf("    %-8s %-7s worst %.3g (tol %.3g) at %s\n", what, isa_name(k.isa), value, tol, where.c_str());
    CHECK_LE(value, tol, std::string(what) + " " + isa_name(k.isa) + " " + where);
  }
};

// max_i |got - ref| / (|ref| + atol / rtol): relative error with an absolute floor.
double rel_err(const float* r, const float* g, int64_t n, double atol_over_rtol) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(r[i]) - g[i]);
    const double e = d / (std::fabs(static_cast<double>(r[i])) + atol_over_rtol);
    if (e > m) m = e;
  }
  return m;
}

std::vector<float> edge_values() {
  return {0.0f,  -0.0f,   1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.1f,   -0.1f,  3.0f,  -3.0f,  4.5f,    -4.5f,   6.0f,
          -6.0f, 20.0f,  -20.0f, 87.0f,   -87.0f, 88.5f, -88.5f, 89.0f,  -89.0f, 100.0f, -100.0f, 1e4f, -1e4f, 1e30f, -1e30f};
}

std::vector<uint16_t> random_f16(int64_t n, uint32_t seed, float lo, float hi) {
  const auto f = random_floats(n, seed, lo, hi);
  std::vector<uint16_t> h(f.size());
  for (size_t i = 0; i < f.size(); ++i) h[i] = fp32_to_fp16(f[i]);
  return h;
}

}  // namespace

CAPI_TEST(elementwise_scalar_table_is_complete) {
  const Kernels& s = ref();
  CHECK(s.swiglu && s.geglu && s.gelu && s.softmax && s.rope && s.flash_attn);
  for_each_simd_isa([](const Kernels& k) { CHECK(k.swiglu && k.geglu && k.gelu && k.softmax && k.rope && k.flash_attn); });
}

// Norms on edge inputs (kernels_test covers random rows): zeros, large magnitudes, per-head rows.
CAPI_TEST(norms_edge_inputs_match_scalar) {
  for_each_simd_isa([](const Kernels& k) {
    Worst worst{"norms", 1e-10};
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{128}, int64_t{4097}}) {
      for (float mag : {0.0f, 1e-3f, 1.0f, 1e4f}) {
        auto x = random_floats(n, 10 + static_cast<uint32_t>(n), -mag, mag);
        std::vector<float> a(n), b(n);
        const std::string ctx = "n=" + std::to_string(n) + " mag=" + std::to_string(mag);
        ref().rmsnorm(a.data(), x.data(), nullptr, n, 1e-6f);
        k.rmsnorm(b.data(), x.data(), nullptr, n, 1e-6f);
        worst.add(nmse(a.data(), b.data(), n), "rmsnorm " + ctx);
        ref().layernorm(a.data(), x.data(), nullptr, n, 1e-5f);
        k.layernorm(b.data(), x.data(), nullptr, n, 1e-5f);
        worst.add(nmse(a.data(), b.data(), n), "layernorm " + ctx);
        // In place (y aliases x).
        std::vector<float> c = x;
        k.layernorm(c.data(), c.data(), nullptr, n, 1e-5f);
        CHECK(b == c);
      }
    }
    worst.check(k);
  });
}

// swiglu, geglu: |got - ref| <= 1e-5 |ref| + 1e-12.
CAPI_TEST(gated_activations_match_scalar) {
  for_each_simd_isa([](const Kernels& k) {
    for (auto [name, pick] : {std::pair{"swiglu", &Kernels::swiglu}, std::pair{"geglu", &Kernels::geglu}}) {
      Worst worst{name, 1e-5};
      auto run = [&](const std::vector<float>& g, const std::vector<float>& u, const std::string& ctx) {
        const int64_t n = static_cast<int64_t>(g.size());
        std::vector<float> a(n), b(n);
        (ref().*pick)(a.data(), g.data(), u.data(), n);
        (k.*pick)(b.data(), g.data(), u.data(), n);
        worst.add(rel_err(a.data(), b.data(), n, 1e-12 / 1e-5), ctx);
        std::vector<float> c = g;  // in place over g
        (k.*pick)(c.data(), c.data(), u.data(), n);
        CHECK(b == c);
      };
      for (int64_t n : odd_sizes())
        run(random_floats(n, 3 + static_cast<uint32_t>(n), -12.0f, 12.0f), random_floats(n, 4 + static_cast<uint32_t>(n)),
            "n=" + std::to_string(n));
      const auto e = edge_values();
      run(e, std::vector<float>(e.size(), 1.0f), "edge values");
      worst.check(k);
    }
  });
}

// gelu: |got - ref| <= 1e-5 |ref| + 1e-12, and equal to geglu with u = 1.
CAPI_TEST(gelu_matches_scalar) {
  for_each_simd_isa([](const Kernels& k) {
    Worst worst{"gelu", 1e-5};
    auto run = [&](const std::vector<float>& x, const std::string& ctx) {
      const int64_t n = static_cast<int64_t>(x.size());
      std::vector<float> a(n), b(n), ones(n, 1.0f), g(n);
      ref().gelu(a.data(), x.data(), n);
      k.gelu(b.data(), x.data(), n);
      worst.add(rel_err(a.data(), b.data(), n, 1e-12 / 1e-5), ctx);
      k.geglu(g.data(), x.data(), ones.data(), n);
      CHECK(b == g);
      std::vector<float> c = x;  // in place
      k.gelu(c.data(), c.data(), n);
      CHECK(b == c);
    };
    for (int64_t n : odd_sizes()) run(random_floats(n, 5 + static_cast<uint32_t>(n), -12.0f, 12.0f), "n=" + std::to_string(n));
    run(edge_values(), "edge values");
    worst.check(k);
  });
}

// softmax: |got - ref| <= 1e-6 max(ref) = 1e-6 (the max probability is >= 1/n and <= 1).
CAPI_TEST(softmax_matches_scalar) {
  for_each_simd_isa([](const Kernels& k) {
    Worst worst{"softmax", 1e-6};
    auto run = [&](std::vector<float> x, const std::string& ctx) {
      const int64_t n = static_cast<int64_t>(x.size());
      std::vector<float> b = x;
      ref().softmax(x.data(), n);
      k.softmax(b.data(), n);
      worst.add(max_abs_diff(x.data(), b.data(), n) / *std::max_element(x.begin(), x.end()), ctx);
      double sum = 0.0;
      for (float v : b) sum += v;
      worst.add(std::fabs(sum - 1.0), ctx + " (sum)");
    };
    for (int64_t n : odd_sizes()) {
      run(random_floats(n, 5 + static_cast<uint32_t>(n), -20.0f, 20.0f), "n=" + std::to_string(n));
      run(random_floats(n, 6 + static_cast<uint32_t>(n), -1e4f, 1e4f), "large n=" + std::to_string(n));
      run(std::vector<float>(n, 3.5f), "constant n=" + std::to_string(n));
    }
    run(edge_values(), "edge values");
    run(random_floats(262147, 9, -30.0f, 30.0f), "vocabulary-sized n=262147");
    // Masked logits (-inf) get probability exactly 0.
    for (int64_t n : odd_sizes()) {
      auto x = random_floats(n, 12 + static_cast<uint32_t>(n), -5.0f, 5.0f);
      for (int64_t i = 0; i < n; i += 3) x[i] = -INFINITY;
      if (n % 3 == 1) x[n - 1] = -INFINITY;  // the tail too
      x[1 % n] = 1.0f;
      k.softmax(x.data(), n);
      for (int64_t i = 0; i < n; i += 3) CHECK(x[i] == 0.0f || i == 1 % n);
    }
    worst.check(k);
  });
}

// RoPE: max abs <= 1e-5 for |x| <= 1 (and attn_factor <= 1.2); dims past n_dims untouched exactly.
CAPI_TEST(rope_matches_scalar) {
  for_each_simd_isa([](const Kernels& k) {
    Worst worst{"rope", 1e-5};
    const int64_t n_heads = 3;
    for (int64_t hd : {64, 80, 96, 128, 256}) {
      for (int64_t n_dims : {hd, hd / 2, int64_t{24}, int64_t{2}}) {
        const auto ff = random_floats(n_dims / 2, 7 + static_cast<uint32_t>(n_dims), 1.0f, 4.0f);
        for (bool neox : {false, true}) {
          for (int64_t pos : {int64_t{0}, int64_t{1}, int64_t{17}, int64_t{4095}, int64_t{131071}}) {
            for (int variant = 0; variant < 3; ++variant) {
              RopeParams p;
              p.n_dims = static_cast<int>(n_dims);
              p.neox = neox;
              p.freq_base = variant == 2 ? 1e6f : 10000.0f;
              p.freq_scale = variant == 1 ? 0.25f : 1.0f;
              p.freq_factors = variant == 1 ? ff.data() : nullptr;
              p.attn_factor = variant == 1 ? 1.19f : 1.0f;
              auto x = random_floats(n_heads * hd, 8 + static_cast<uint32_t>(hd + pos));
              std::vector<float> a = x, b = x;
              ref().rope(a.data(), n_heads, hd, pos, p);
              k.rope(b.data(), n_heads, hd, pos, p);
              const std::string ctx = std::string(neox ? "neox" : "normal") + " hd=" + std::to_string(hd) +
                                      " n_dims=" + std::to_string(n_dims) + " pos=" + std::to_string(pos) +
                                      " variant=" + std::to_string(variant);
              worst.add(max_abs_diff(a.data(), b.data(), n_heads * hd), ctx);
              for (int64_t h = 0; h < n_heads; ++h)
                for (int64_t d = n_dims; d < hd; ++d) CHECK(b[h * hd + d] == x[h * hd + d]);
            }
          }
        }
      }
    }
    worst.check(k);
  });
}

namespace {

struct AttnCase {
  int64_t n_head, n_kv_head, head_dim, n_q, q_pos0, window;
  float softcap;
  int64_t kv_end = 0;  // > 0: non-causal up to this key
};

// Runs flash attention for one case with padded strides; heads split in two calls when split; paged:
// the same K/V rows laid out in blocks of kKvBlockRows, in reverse order with padding between them.
std::vector<float> run_attention(const Kernels& k, const AttnCase& c, bool split, bool paged = false) {
  const int64_t q_stride = c.n_head * c.head_dim + 5, kv_stride = c.n_kv_head * c.head_dim + 3;
  const int64_t n_kv = std::max(c.q_pos0 + c.n_q, c.kv_end);
  const uint32_t seed = static_cast<uint32_t>(c.head_dim * 131 + c.n_q * 7 + c.q_pos0);
  const auto q = random_floats(c.n_q * q_stride, seed, -1.0f, 1.0f);
  const auto kc = random_f16(n_kv * kv_stride, seed + 1, -1.0f, 1.0f);
  const auto vc = random_f16(n_kv * kv_stride, seed + 2, -1.0f, 1.0f);
  std::vector<float> out(c.n_q * q_stride, 0.0f);
  FlashAttnArgs a;
  a.q = q.data();
  a.q_stride = q_stride;
  a.k = kc.data();
  a.v = vc.data();
  a.kv_stride = kv_stride;
  const int64_t n_blocks = (n_kv + kKvBlockRows - 1) / kKvBlockRows, block_stride = kKvBlockRows * kv_stride + 7;
  std::vector<uint16_t> pk(static_cast<size_t>(n_blocks * block_stride)), pv(pk.size());
  std::vector<int32_t> table(static_cast<size_t>(n_blocks));
  if (paged) {
    for (int64_t b = 0; b < n_blocks; ++b) table[b] = static_cast<int32_t>(n_blocks - 1 - b);
    for (int64_t j = 0; j < n_kv; ++j)
      for (int64_t e = 0; e < kv_stride; ++e) {
        const size_t at = static_cast<size_t>(table[j / kKvBlockRows] * block_stride + (j % kKvBlockRows) * kv_stride + e);
        pk[at] = kc[j * kv_stride + e];
        pv[at] = vc[j * kv_stride + e];
      }
    a.k = pk.data();
    a.v = pv.data();
    a.blocks = table.data();
    a.block_stride = block_stride;
  }
  a.out = out.data();
  a.out_stride = q_stride;
  a.n_q = c.n_q;
  a.n_head = c.n_head;
  a.n_kv_head = c.n_kv_head;
  a.head_dim = c.head_dim;
  a.q_pos0 = c.q_pos0;
  a.window = c.window;
  a.kv_end = c.kv_end;
  // A large scale makes the softmax peaky, so the online max really moves between tiles.
  a.scale = 4.0f / std::sqrt(static_cast<float>(c.head_dim));
  a.softcap = c.softcap;
  const int64_t mid = split ? c.n_head / 2 : c.n_head;
  a.head_begin = 0;
  a.head_end = mid;
  k.flash_attn(a);
  if (split) {
    a.head_begin = mid;
    a.head_end = c.n_head;
    k.flash_attn(a);
  }
  return out;
}

}  // namespace

// Flash attention: NMSE <= 1e-10 vs the two-pass double reference, dense or paged.
CAPI_TEST(flash_attention_matches_scalar) {
  const AttnCase cases[] = {
      {4, 4, 64, 1, 0, 0, 0.0f},     {8, 2, 128, 1, 100, 0, 0.0f},   {8, 2, 80, 1, 250, 0, 0.0f},
      {6, 3, 96, 5, 37, 0, 0.0f},    {4, 1, 256, 3, 70, 0, 50.0f},   {8, 4, 128, 9, 120, 32, 0.0f},
      {4, 2, 64, 17, 3, 8, 30.0f},   {2, 1, 40, 4, 33, 0, 0.0f},     {2, 2, 20, 2, 65, 0, 0.0f},
      {16, 8, 128, 1, 1000, 0, 0.0f}, {4, 4, 96, 33, 0, 0, 0.0f},    {8, 1, 64, 2, 300, 100, 0.0f},
      {2, 2, 64, 40, 100, 5, 0.0f},   {16, 1, 64, 3, 50, 0, 0.0f},   {3, 1, 72, 7, 29, 0, 20.0f},
      {2, 1, 13, 3, 40, 0, 0.0f},     {2, 1, 288, 3, 40, 0, 0.0f},  // wider than AVX-512's float K tile
      // Non-causal: a vision encoder's patches (all see all), an image span after a text prefix,
      // and a span under a sliding window.
      {4, 4, 64, 70, 0, 0, 0.0f, 70},  {3, 3, 72, 16, 0, 0, 0.0f, 16}, {4, 2, 64, 9, 30, 0, 0.0f, 39},
      {8, 4, 128, 12, 20, 16, 0.0f, 32},
  };
  for_each_simd_isa([&](const Kernels& k) {
    Worst worst{"attn", 1e-10};
    for (const AttnCase& c : cases) {
      const std::string ctx = "heads=" + std::to_string(c.n_head) + "/" + std::to_string(c.n_kv_head) +
                              " hd=" + std::to_string(c.head_dim) + " n_q=" + std::to_string(c.n_q) +
                              " pos0=" + std::to_string(c.q_pos0) + " window=" + std::to_string(c.window) +
                              " softcap=" + std::to_string(c.softcap) + " kv_end=" + std::to_string(c.kv_end);
      const auto a = run_attention(ref(), c, false);
      const auto b = run_attention(k, c, false);
      worst.add(nmse(a.data(), b.data(), static_cast<int64_t>(a.size())), ctx);
      const auto s = run_attention(k, c, true);
      CHECK(b == s);
      CHECK(run_attention(k, c, false, true) == b);  // a paged cache gives the same bits
    }
    worst.check(k);
  });
  for (const AttnCase& c : cases) CHECK(run_attention(ref(), c, false, true) == run_attention(ref(), c, false));
}
