// Quantised formats and dot products: block layouts against hand-built blocks, round-trip error
// bounds per type, every ISA's vec_dot/gemm/from_float against the scalar reference, and the scalar
// vec_dot against the f32 dot of the dequantised rows.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/fp16.h"
#include "kernels/kernels.h"
#include "kernels/quant_blocks.h"
#include "quant_util.h"
#include "test_util.h"

using namespace capibara;
using capitest::nmse;

namespace {

struct TypeCase {
  GgmlType type;
  double round_trip_nmse;  // bound for uniform [-1, 1) data (stated in scalar/quantize.cpp)
  double simd_dot_rel;     // |simd - scalar| <= this * sum |w_i x_i| (same quantised inputs)
  double f32_dot_rel;      // |quantised pipeline - f32 dot| <= this * |w| |x| (ggml's MAX_DOT_PRODUCT_ERROR idea)
};

const std::vector<TypeCase>& weight_types() {
  static const std::vector<TypeCase> t = {
      {GgmlType::F32, 0.0, 1e-6, 1e-6},      {GgmlType::F16, 1e-7, 1e-6, 2e-3},
      {GgmlType::BF16, 5e-6, 1e-6, 1e-2},    {GgmlType::Q8_0, 3e-5, 1e-6, 1e-2},
      {GgmlType::Q4_0, 8e-3, 1e-6, 4e-2},    {GgmlType::Q4_K, 6e-3, 1e-6, 4e-2},
      {GgmlType::Q5_K, 1.5e-3, 1e-6, 3e-2},  {GgmlType::Q6_K, 3e-4, 1e-6, 2e-2},
      {GgmlType::Q4_1, 4e-3, 1e-6, 4e-2},    {GgmlType::Q5_0, 3e-3, 1e-6, 3e-2},
      {GgmlType::Q5_1, 1e-3, 1e-6, 3e-2},  {GgmlType::IQ4_NL, 4.5e-3, 1e-6, 4e-2},
      {GgmlType::IQ4_XS, 4.5e-3, 1e-6, 4e-2},  {GgmlType::Q3_K, 2e-2, 1e-6, 8e-2},
      {GgmlType::Q2_K, 6e-2, 1e-6, 1.5e-1},
  };
  return t;
}

const Kernels& scalar_k() { return *kernels_for(Isa::Scalar); }

std::string tname(GgmlType t) { return ggml_type_traits(t).name; }

template <typename Fn>
void for_each_isa(Fn&& fn) {
  for (int i = 0; i < kIsaCount; ++i)
    if (const Kernels* k = kernels_for(static_cast<Isa>(i))) fn(*k);
}

std::vector<uint8_t> quantize(const Kernels& k, GgmlType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(ggml_row_size(t, static_cast<int64_t>(x.size())));
  k.type(t).from_float(x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

std::vector<float> dequantize(const Kernels& k, GgmlType t, const void* q, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  k.type(t).to_float(q, y.data(), n);
  return y;
}

double abs_dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return s;
}

double norm2(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += static_cast<double>(v) * v;
  return std::sqrt(s);
}

// Q4_1/Q5_1 dots take a block's min times Q8_1's s = d * sum(q), which is stored as fp16 (as in ggml): that
// rounding (at most 2^-11 relative) is the one difference from the dot of the dequantised rows.
double q8_1_sum_slack(const TypeKernels& tk, const std::vector<uint8_t>& wq, const std::vector<uint8_t>& xq, int64_t n) {
  if (tk.vec_dot_type != GgmlType::Q8_1) return 0.0;
  const size_t wb = wq.size() / (n / kQK0);
  double slack = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    uint16_t m, s;  // the weight block's min and the activation block's s both sit at byte offset 2
    std::memcpy(&m, wq.data() + b * wb + 2, 2);
    std::memcpy(&s, xq.data() + b * sizeof(BlockQ8_1) + 2, 2);
    slack += std::fabs(fp16_to_fp32(m) * fp16_to_fp32(s)) * 0x1p-10;
  }
  return slack;
}

}  // namespace

CAPI_TEST(block_sizes_match_type_table) {
  CHECK(ggml_type_traits(GgmlType::Q8_0).type_size == sizeof(BlockQ8_0));
  CHECK(ggml_type_traits(GgmlType::Q4_0).type_size == sizeof(BlockQ4_0));
  CHECK(ggml_type_traits(GgmlType::Q4_K).type_size == sizeof(BlockQ4_K));
  CHECK(ggml_type_traits(GgmlType::Q5_K).type_size == sizeof(BlockQ5_K));
  CHECK(ggml_type_traits(GgmlType::Q6_K).type_size == sizeof(BlockQ6_K));
  CHECK(ggml_type_traits(GgmlType::Q8_K).type_size == sizeof(BlockQ8_K));
  CHECK(ggml_type_traits(GgmlType::Q4_K).block_size == kQKK && ggml_type_traits(GgmlType::Q4_0).block_size == kQK0);
  for (const TypeCase& c : weight_types()) {
    const TypeKernels& tk = scalar_k().type(c.type);
    CHECK(tk.vec_dot && tk.gemm && tk.from_float && tk.to_float);
    CHECK(scalar_k().type(tk.vec_dot_type).from_float != nullptr);
  }
}

// Q8_0: d = 2, q = j - 16.
CAPI_TEST(layout_q8_0) {
  BlockQ8_0 b{};
  b.d = 0x4000;  // 2.0
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j - 16);
  for_each_isa([&](const Kernels& k) {
    auto y = dequantize(k, GgmlType::Q8_0, &b, 32);
    for (int j = 0; j < 32; ++j) CHECK(y[j] == 2.0f * (j - 16));
  });
}

// Q4_0: element j < 16 is the low nibble of qs[j], element 16 + j the high nibble; value (q - 8) * d.
CAPI_TEST(layout_q4_0) {
  BlockQ4_0 b{};
  b.d = 0x3800;  // 0.5
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  for_each_isa([&](const Kernels& k) {
    auto y = dequantize(k, GgmlType::Q4_0, &b, 32);
    for (int j = 0; j < 16; ++j) {
      CHECK(y[j] == 0.5f * (j - 8));
      CHECK(y[16 + j] == 0.5f * (15 - j - 8));
    }
  });
}

// Q4_K/Q5_K 6-bit scales/mins packed by hand (see k_scale_min): sc = {1,2,3,4,21,38,55,63},
// m = {5,6,7,8,25,42,59,48}.
static const uint8_t kScaleBytes[12] = {0x41, 0x82, 0xC3, 0xC4, 0x45, 0x86, 0xC7, 0xC8, 0x95, 0xA6, 0xB7, 0x0F};
static const uint8_t kSc[8] = {1, 2, 3, 4, 21, 38, 55, 63};
static const uint8_t kMin[8] = {5, 6, 7, 8, 25, 42, 59, 48};

CAPI_TEST(k_scale_min_packing) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k_scale_min(j, kScaleBytes, &sc, &m);
    CHECK(sc == kSc[j]);
    CHECK(m == kMin[j]);
  }
  uint8_t sc8[8], m8[8];
  k_scales_mins(kScaleBytes, sc8, m8);
  CHECK(std::memcmp(sc8, kSc, 8) == 0 && std::memcmp(m8, kMin, 8) == 0);
  // Every byte pattern: the word-wise decoder equals the per-sub-block one.
  std::mt19937 rng(5);
  bool same = true;
  for (int it = 0; it < 10000; ++it) {
    uint8_t q[12];
    for (auto& v : q) v = static_cast<uint8_t>(rng());
    k_scales_mins(q, sc8, m8);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      k_scale_min(j, q, &sc, &m);
      same = same && sc == sc8[j] && m == m8[j];
    }
  }
  CHECK(same);
  uint8_t packed[12] = {};
  k_pack_scale_min(kSc, kMin, packed);
  CHECK(std::memcmp(packed, kScaleBytes, 12) == 0);
}

// Q4_K: chunk c holds sub-block 2c in the low nibbles of qs[32c..], 2c+1 in the high nibbles.
CAPI_TEST(layout_q4_K) {
  BlockQ4_K b{};
  b.d = 0x3C00;     // 1.0
  b.dmin = 0x3800;  // 0.5
  std::memcpy(b.scales, kScaleBytes, 12);
  for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i & 0xF) | ((15 - (i & 0xF)) << 4));
  for_each_isa([&](const Kernels& k) {
    auto y = dequantize(k, GgmlType::Q4_K, &b, 256);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) {
        CHECK(y[64 * c + l] == 1.0f * kSc[2 * c] * (l & 0xF) - 0.5f * kMin[2 * c]);
        CHECK(y[64 * c + 32 + l] == 1.0f * kSc[2 * c + 1] * (15 - (l & 0xF)) - 0.5f * kMin[2 * c + 1]);
      }
  });
}

// Q5_K: the fifth bit of element l of sub-block j is bit j of qh[l].
CAPI_TEST(layout_q5_K) {
  BlockQ5_K b{};
  b.d = 0x3C00;
  b.dmin = 0x3800;
  std::memcpy(b.scales, kScaleBytes, 12);
  for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i & 0xF) | ((15 - (i & 0xF)) << 4));
  for (int l = 0; l < 32; ++l) b.qh[l] = static_cast<uint8_t>(l * 37 + 11);  // arbitrary bit patterns
  for_each_isa([&](const Kernels& k) {
    auto y = dequantize(k, GgmlType::Q5_K, &b, 256);
    for (int j = 0; j < 8; ++j)
      for (int l = 0; l < 32; ++l) {
        const int nib = (j % 2 == 0) ? (l & 0xF) : 15 - (l & 0xF);
        const int q = nib + 16 * ((b.qh[l] >> j) & 1);
        CHECK(y[32 * j + l] == 1.0f * kSc[j] * q - 0.5f * kMin[j]);
      }
  });
}

// Q6_K: ql/qh order of the header comment; 16 int8 scales, one per 16 consecutive elements.
CAPI_TEST(layout_q6_K) {
  int q[256];
  for (int e = 0; e < 256; ++e) q[e] = (e * 7 + 3) % 64;
  BlockQ6_K b{};
  b.d = 0x3400;  // 0.25
  for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(s - 8);
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) {
      const int* qq = q + 128 * h;
      b.ql[64 * h + l] = static_cast<uint8_t>((qq[l] & 0xF) | ((qq[l + 64] & 0xF) << 4));
      b.ql[64 * h + l + 32] = static_cast<uint8_t>((qq[l + 32] & 0xF) | ((qq[l + 96] & 0xF) << 4));
      b.qh[32 * h + l] = static_cast<uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) | ((qq[l + 64] >> 4) << 4) |
                                              ((qq[l + 96] >> 4) << 6));
    }
  for_each_isa([&](const Kernels& k) {
    auto y = dequantize(k, GgmlType::Q6_K, &b, 256);
    for (int e = 0; e < 256; ++e) CHECK(y[e] == 0.25f * b.scales[e / 16] * (q[e] - 32));
  });
}

// Quantise -> dequantise NMSE on uniform data, on rows with outliers, and exact zeros for zero rows.
CAPI_TEST(round_trip_error_bounds) {
  const int64_t n = 4096;
  auto x = capitest::random_floats(n, 7);
  auto spiky = capitest::random_floats(n, 8, -0.1f, 0.1f);
  for (int64_t i = 0; i < n; i += 97) spiky[i] = (i % 2 ? 3.0f : -3.0f);
  const std::vector<float> zeros(n, 0.0f);
  for (const TypeCase& c : weight_types()) {
    const std::string ctx = tname(c.type);
    auto y = dequantize(scalar_k(), c.type, quantize(scalar_k(), c.type, x).data(), n);
    CHECK_LE(nmse(x.data(), y.data(), n), c.round_trip_nmse, ctx + " uniform");
    auto ys = dequantize(scalar_k(), c.type, quantize(scalar_k(), c.type, spiky).data(), n);
    CHECK_LE(nmse(spiky.data(), ys.data(), n), std::max(4 * c.round_trip_nmse, 5e-4), ctx + " outliers");
    auto yz = dequantize(scalar_k(), c.type, quantize(scalar_k(), c.type, zeros).data(), n);
    CHECK_LE(capitest::max_err(zeros.data(), yz.data(), n), 0.0, ctx + " zeros");
  }
  // Activation types (8-bit): Q8_K must be at least as good as Q8_0.
  auto y8k = dequantize(scalar_k(), GgmlType::Q8_K, quantize(scalar_k(), GgmlType::Q8_K, x).data(), n);
  CHECK_LE(nmse(x.data(), y8k.data(), n), 3e-5, "q8_K uniform");
}

// Large and small magnitudes stay finite and relative error stays bounded. Block scales are fp16, so
// (as in ggml) blocks whose absmax is below ~1e-3 lose precision and below ~1e-6 decode to zero.
CAPI_TEST(round_trip_edge_values) {
  const int64_t n = 512;
  for (float scale : {1e-2f, 1e4f}) {
    auto x = capitest::random_floats(n, 11);
    for (auto& v : x) v *= scale;
    for (const TypeCase& c : weight_types()) {
      if (c.type == GgmlType::F16 && scale > 1e3f) continue;  // beyond f16 precision/range by design
      auto y = dequantize(scalar_k(), c.type, quantize(scalar_k(), c.type, x).data(), n);
      bool finite = true;
      for (float v : y) finite = finite && std::isfinite(v);
      CHECK(finite);
      CHECK_LE(nmse(x.data(), y.data(), n), c.round_trip_nmse * 2 + 1e-6, tname(c.type) + " scale " + std::to_string(scale));
    }
  }
}

// Scalar vec_dot equals the f32 dot of the dequantised operands (exact integer maths, float rounding only),
// and the whole quantised pipeline stays within the per-type bound of the f32 dot of the originals.
CAPI_TEST(scalar_vec_dot_matches_dequantised) {
  for (int64_t n : {256, 1024, 4096}) {
    auto w = capitest::random_floats(n, 21 + static_cast<uint32_t>(n));
    auto x = capitest::random_floats(n, 22 + static_cast<uint32_t>(n));
    for (const TypeCase& c : weight_types()) {
      const TypeKernels& tk = scalar_k().type(c.type);
      auto wq = quantize(scalar_k(), c.type, w);
      auto xq = quantize(scalar_k(), tk.vec_dot_type, x);
      auto wd = dequantize(scalar_k(), c.type, wq.data(), n);
      auto xd = dequantize(scalar_k(), tk.vec_dot_type, xq.data(), n);
      float got = 0;
      tk.vec_dot(n, &got, wq.data(), xq.data());
      double ref = 0, exact = 0;
      for (int64_t i = 0; i < n; ++i) {
        ref += static_cast<double>(wd[i]) * xd[i];
        exact += static_cast<double>(w[i]) * x[i];
      }
      const std::string ctx = tname(c.type) + " n=" + std::to_string(n);
      CHECK_LE(std::fabs(got - ref), 2e-6 * abs_dot(wd, xd) + q8_1_sum_slack(tk, wq, xq, n) + 1e-7, ctx + " vs dequantised");
      CHECK_LE(std::fabs(got - exact), c.f32_dot_rel * norm2(w) * norm2(x), ctx + " vs f32");
    }
  }
}

// Every ISA's vec_dot against the scalar one on identical quantised inputs.
CAPI_TEST(simd_vec_dot_matches_scalar) {
  for_each_isa([&](const Kernels& k) {
    for (int64_t n : {256, 512, 2816, 4096}) {
      auto w = capitest::random_floats(n, 31 + static_cast<uint32_t>(n), -2.0f, 2.0f);
      auto x = capitest::random_floats(n, 32 + static_cast<uint32_t>(n), -3.0f, 3.0f);
      for (const TypeCase& c : weight_types()) {
        const TypeKernels& ts = scalar_k().type(c.type);
        auto wq = quantize(scalar_k(), c.type, w);
        auto xq = quantize(scalar_k(), ts.vec_dot_type, x);
        float a = 0, b = 0;
        ts.vec_dot(n, &a, wq.data(), xq.data());
        k.type(c.type).vec_dot(n, &b, wq.data(), xq.data());
        CHECK_LE(std::fabs(a - b), c.simd_dot_rel * abs_dot(w, x) + 1e-6,
                 std::string(isa_name(k.isa)) + " " + tname(c.type) + " n=" + std::to_string(n));
      }
    }
  });
}

// Every ISA's quantisers produce the scalar reference's bytes exactly (halfway values included: the
// inputs are multiples of 1/64, many of which land exactly between two levels).
CAPI_TEST(simd_from_float_is_bit_exact) {
  const int64_t n = 1024;
  auto x = capitest::random_floats(n, 41, -5.0f, 5.0f);
  std::vector<float> ties(n);
  for (int64_t i = 0; i < n; ++i) ties[i] = static_cast<float>((i * 37) % 255 - 127) / 64.0f;
  for (int64_t i = 0; i < n; i += 32) ties[i] = 127.0f / 64.0f;  // makes d exactly 1/64
  for_each_isa([&](const Kernels& k) {
    for (const auto* input : {&x, &ties})
      for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q8_K, GgmlType::Q8_1, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_K}) {
        CHECK(quantize(scalar_k(), t, *input) == quantize(k, t, *input));
        CHECK(dequantize(scalar_k(), t, quantize(k, t, *input).data(), n) == dequantize(k, t, quantize(k, t, *input).data(), n));
      }
  });
}

// gemm over an odd block of rows x tokens equals vec_dot per element, for every ISA.
CAPI_TEST(gemm_matches_vec_dot) {
  const int64_t n = 512, rows = 7, toks = 5;
  for_each_isa([&](const Kernels& k) {
    for (const TypeCase& c : weight_types()) {
      const TypeKernels& tk = k.type(c.type);
      const size_t wrb = ggml_row_size(c.type, n), xrb = ggml_row_size(tk.vec_dot_type, n);
      std::vector<uint8_t> w(rows * wrb), x(toks * xrb);
      double mag = 0;
      for (int64_t r = 0; r < rows; ++r) {
        auto v = capitest::random_floats(n, 50 + static_cast<uint32_t>(r));
        tk.from_float(v.data(), w.data() + r * wrb, n);
      }
      for (int64_t t = 0; t < toks; ++t) {
        auto v = capitest::random_floats(n, 60 + static_cast<uint32_t>(t));
        k.type(tk.vec_dot_type).from_float(v.data(), x.data() + t * xrb, n);
        mag = std::max(mag, norm2(v));
      }
      std::vector<float> y(toks * (rows + 2), -1.0f);
      tk.gemm(n, w.data(), wrb, rows, x.data(), xrb, toks, y.data(), rows + 2);
      for (int64_t t = 0; t < toks; ++t)
        for (int64_t r = 0; r < rows; ++r) {
          float d = 0;
          tk.vec_dot(n, &d, w.data() + r * wrb, x.data() + t * xrb);
          CHECK_LE(std::fabs(d - y[t * (rows + 2) + r]), 1e-5 * mag * mag + 1e-6,
                   std::string(isa_name(k.isa)) + " " + tname(c.type));
        }
      CHECK(y[rows] == -1.0f && y[rows + 1] == -1.0f);  // stride gap untouched
    }
  });
}

namespace {

// Calls fn(p) with p pointing at `bytes` writable bytes that end right before an inaccessible page, then
// again with p right after one, so any read outside them faults.
template <typename Fn>
void against_guard_pages(size_t bytes, Fn&& fn) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t span = (bytes + page - 1) / page * page;
  auto* base = static_cast<uint8_t*>(mmap(nullptr, span + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  CHECK(base != MAP_FAILED);
  if (base == MAP_FAILED) return;
  mprotect(base, page, PROT_NONE);
  mprotect(base + page + span, page, PROT_NONE);
  for (uint8_t* p : {base + page + span - bytes, base + page}) fn(p);
  munmap(base, span + 2 * page);
}

// Offset of a super-block or block's fp16 scale d (the only one for Q6_K, Q3_K, Q2_K not at the start).
size_t scale_offset(GgmlType t) {
  switch (t) {
    case GgmlType::Q6_K: return 208;
    case GgmlType::Q3_K: return 108;
    case GgmlType::Q2_K: return 80;
    default: return 0;
  }
}

}  // namespace

// Corrupt weight blocks (random bytes, NaN and infinite fp16 scales) never make a kernel read outside its
// row: each row is placed against an inaccessible page, at its end and then at its start, and every
// ISA's to_float, vec_dot and gemm run on it. (The IQ4 types index a 16-entry table with 4-bit values, so
// no byte can index out of range; the other types have no indices.)
CAPI_TEST(corrupt_blocks_stay_inside_their_row) {
  const int64_t n = 512;
  for (const TypeCase& c : weight_types()) {
    const size_t bytes = ggml_row_size(c.type, n);
    std::mt19937 rng(91);
    against_guard_pages(bytes, [&](uint8_t* row) {
      for (size_t i = 0; i < bytes; ++i) row[i] = static_cast<uint8_t>(rng());
      const uint16_t nan = 0x7E00, inf = 0xFC00;
      if (ggml_type_traits(c.type).block_size > 1) {
        std::memcpy(row, &nan, 2);                                    // first block: NaN scale (d is first or, Q6_K, last)
        std::memcpy(row + bytes - 2, &inf, 2);                        // last block: -inf in its last two bytes
      }
      for_each_isa([&](const Kernels& k) {
        const TypeKernels& tk = k.type(c.type);
        std::vector<float> y(n);
        tk.to_float(row, y.data(), n);
        const auto xq = quantize(k, tk.vec_dot_type, capitest::random_floats(n, 92));
        float d = 0, g = 0;
        tk.vec_dot(n, &d, row, xq.data());
        tk.gemm(n, row, bytes, 1, xq.data(), xq.size(), 1, &g, 1);
        CHECK(std::isnan(d) == std::isnan(g));
      });
    });
  }
}

// The same for every packed layout: a group of pack_rows random rows (row 0's first block with a NaN
// scale d, the last two bytes -inf) is packed and placed against the inaccessible pages, then its GEMV
// and a GEMM of 3 tokens (a remainder tile on every ISA) run on it. Row 0's results must be NaN.
CAPI_TEST(corrupt_packed_groups_stay_inside_their_group) {
  const int64_t n = 512;
  for_each_isa([&](const Kernels& k) {
    for (const TypeCase& c : weight_types()) {
      const TypeKernels& tk = k.type(c.type);
      if (!tk.pack) continue;
      const size_t row_bytes = ggml_row_size(c.type, n), bytes = row_bytes * static_cast<size_t>(tk.pack_rows);
      std::mt19937 rng(93);
      std::vector<uint8_t> rows(bytes);
      for (uint8_t& b : rows) b = static_cast<uint8_t>(rng());
      const uint16_t nan = 0x7E00, inf = 0xFC00;
      std::memcpy(rows.data() + scale_offset(c.type), &nan, 2);
      std::memcpy(rows.data() + bytes - 2, &inf, 2);
      const int64_t toks = 3;
      std::vector<uint8_t> xq;
      for (int64_t t = 0; t < toks; ++t) {
        const auto q = quantize(k, tk.vec_dot_type, capitest::random_floats(n, 94 + static_cast<uint32_t>(t)));
        xq.insert(xq.end(), q.begin(), q.end());
      }
      const size_t x_row = xq.size() / toks;
      against_guard_pages(bytes, [&](uint8_t* group) {
        tk.pack(rows.data(), row_bytes, tk.pack_rows, n, group);
        for (int64_t nt : {int64_t{1}, toks}) {
          std::vector<float> y(static_cast<size_t>(nt * tk.pack_rows));
          tk.gemm_packed(n, group, row_bytes, tk.pack_rows, xq.data(), x_row, nt, y.data(), tk.pack_rows);
          for (int64_t t = 0; t < nt; ++t)
            CHECK_LE(std::isnan(y[static_cast<size_t>(t * tk.pack_rows)]) ? 0 : 1, 0,
                     std::string(isa_name(k.isa)) + " packed " + tname(c.type) + " toks=" + std::to_string(nt));
        }
      });
    }
  });
}

#if defined(__aarch64__)
#include "common/cpu_features.h"
#include "kernels/neon/neon.h"

// The table holds the SDOT variants when the CPU has them (qemu -cpu max does); the base ARMv8
// variants must agree with the scalar reference too (and run alone on cores without SDOT:
// `qemu-aarch64 -cpu cortex-a53` passes the whole suite).
CAPI_TEST(neon_base_and_dotprod_variants_match_scalar) {
  struct Variant {
    GgmlType type;
    VecDotFn base, dotprod;
  };
  const Variant variants[] = {
      {GgmlType::Q8_0, neon::vec_dot_q8_0_q8_0, neon::vec_dot_q8_0_q8_0_dotprod},
      {GgmlType::Q4_0, neon::vec_dot_q4_0_q8_0, neon::vec_dot_q4_0_q8_0_dotprod},
      {GgmlType::Q4_K, neon::vec_dot_q4_K_q8_K, neon::vec_dot_q4_K_q8_K_dotprod},
      {GgmlType::Q5_K, neon::vec_dot_q5_K_q8_K, neon::vec_dot_q5_K_q8_K_dotprod},
      {GgmlType::Q6_K, neon::vec_dot_q6_K_q8_K, neon::vec_dot_q6_K_q8_K_dotprod},
  };
  const int64_t n = 1024;
  auto w = capitest::random_floats(n, 71);
  auto x = capitest::random_floats(n, 72);
  for (const Variant& v : variants) {
    auto wq = quantize(scalar_k(), v.type, w);
    auto xq = quantize(scalar_k(), scalar_k().type(v.type).vec_dot_type, x);
    float ref = 0;
    scalar_k().type(v.type).vec_dot(n, &ref, wq.data(), xq.data());
    for (VecDotFn f : {v.base, v.dotprod}) {
      if (f == v.dotprod && !cpu_features().dotprod) continue;
      float got = 0;
      f(n, &got, wq.data(), xq.data());
      CHECK_LE(std::fabs(got - ref), 1e-6 * abs_dot(w, x) + 1e-6, tname(v.type));
    }
  }
  for (bool q4 : {false, true}) {
    auto wq = quantize(scalar_k(), q4 ? GgmlType::Q4_0 : GgmlType::Q8_0, w);
    auto xq = quantize(scalar_k(), GgmlType::Q8_0, x);
    float ref = 0, g = 0;
    (q4 ? neon::vec_dot_q4_0_q8_0 : neon::vec_dot_q8_0_q8_0)(n, &ref, wq.data(), xq.data());
    (q4 ? neon::gemm_q4_0_q8_0 : neon::gemm_q8_0_q8_0)(n, wq.data(), wq.size(), 1, xq.data(), xq.size(), 1, &g, 1);
    CHECK_LE(std::fabs(g - ref), 1e-6 * abs_dot(w, x) + 1e-6, q4 ? "q4_0 gemm" : "q8_0 gemm");
  }
}
#endif
