// Bit-exactness against ggml itself: loads the libggml-base shared library that node-llama-cpp (the
// project's correctness reference, a devDependency) ships for this platform and compares, byte for
// byte, every ISA's quantisers with ggml's quantize_row_*_ref and every ISA's dequantisers with
// ggml's dequantize_row_* (on ggml-made blocks and on random blocks). Skipped with a note when the
// library is not installed; under CI=true its absence fails.
//
// One platform difference: ggml's aarch64 build lets the compiler fuse multiply-adds inside its K-quant
// and IQ4 fitters, so its Q4_K/Q5_K/Q6_K/IQ4_NL/IQ4_XS bytes differ from its own x86-64 build's on some rows. Our reference
// quantiser never fuses (scalar/quantize.cpp), so capibara writes identical GGUF bytes on every
// platform; there the test accepts differing bytes of those types when their error is no worse than ggml's.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/fp16.h"
#include "kernels/kernels.h"
#include "kernels/quant_blocks.h"
#include "test_util.h"

using namespace capibara;

namespace {

using RefQuant = void (*)(const float*, void*, int64_t);
using RefDequant = void (*)(const void*, float*, int64_t);

void* ggml_base() {
  static void* lib = [] {
    std::string path;
    if (const char* env = std::getenv("CAPIBARA_GGML_BASE")) {
      path = env;
    } else {
      const std::string file = __FILE__;
      const std::string root = file.substr(0, file.rfind("test/native/"));
#if defined(__aarch64__)
      path = root + "node_modules/@node-llama-cpp/linux-arm64/bins/linux-arm64/libggml-base.so";
#else
      path = root + "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so";
#endif
    }
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) std::printf("note: ggml reference library not loaded (%s): %s\n", path.c_str(), dlerror());
    return h;
  }();
  return lib;
}

struct RefType {
  GgmlType type;
  const char* quant;    // ggml's reference quantiser
  const char* dequant;  // ggml's dequantiser, or null
  bool chunk = false;   // quant is a quantize_<t>(src, dst, nrow, n_per_row, imatrix) routine
};

const RefType kRefTypes[] = {
    {GgmlType::F16, "ggml_fp32_to_fp16_row", "ggml_fp16_to_fp32_row"},
    {GgmlType::BF16, "ggml_fp32_to_bf16_row_ref", "ggml_bf16_to_fp32_row"},
    {GgmlType::Q8_0, "quantize_row_q8_0_ref", "dequantize_row_q8_0"},
    {GgmlType::Q4_0, "quantize_row_q4_0_ref", "dequantize_row_q4_0"},
    {GgmlType::Q4_K, "quantize_row_q4_K_ref", "dequantize_row_q4_K"},
    {GgmlType::Q5_K, "quantize_row_q5_K_ref", "dequantize_row_q5_K"},
    {GgmlType::Q6_K, "quantize_row_q6_K_ref", "dequantize_row_q6_K"},
    {GgmlType::Q8_K, "quantize_row_q8_K_ref", "dequantize_row_q8_K"},
    {GgmlType::Q4_1, "quantize_row_q4_1_ref", "dequantize_row_q4_1"},
    {GgmlType::Q5_0, "quantize_row_q5_0_ref", "dequantize_row_q5_0"},
    {GgmlType::Q5_1, "quantize_row_q5_1_ref", "dequantize_row_q5_1"},
    {GgmlType::Q8_1, "quantize_row_q8_1_ref", nullptr},  // ggml has no Q8_1 dequantiser
    {GgmlType::IQ4_XS, "quantize_row_iq4_xs_ref", "dequantize_row_iq4_xs"},
    {GgmlType::Q2_K, "quantize_row_q2_K_ref", "dequantize_row_q2_K"},
    {GgmlType::Q3_K, "quantize_row_q3_K_ref", "dequantize_row_q3_K"},
    // IQ4_NL as llama-quantize writes it: ggml_quantize_chunk calls quantize_iq4_nl, which searches 15
    // scales (quantize_row_iq4_nl_ref is a single-scale variant that nothing writing files uses).
    {GgmlType::IQ4_NL, "quantize_iq4_nl", "dequantize_row_iq4_nl", true},
};

using RefChunk = size_t (*)(const float*, void*, int64_t, int64_t, const float*);

// Inputs that stress the fitters: uniform, bell-shaped, outliers, all-zero and constant blocks, tiny
// and large magnitudes, and values on exact rounding ties.
std::vector<std::vector<float>> inputs(int64_t n) {
  std::vector<std::vector<float>> out;
  out.push_back(capitest::random_floats(n, 1));
  auto bell = capitest::random_floats(n, 2);
  auto u2 = capitest::random_floats(n, 3);
  for (int64_t i = 0; i < n; ++i) bell[i] = (bell[i] + u2[i]) * 0.7f;
  out.push_back(bell);
  auto spiky = capitest::random_floats(n, 4, -0.05f, 0.05f);
  for (int64_t i = 0; i < n; i += 41) spiky[i] = (i % 3 ? 2.5f : -4.0f);
  for (int64_t i = 0; i < 256 && i < n; ++i) spiky[i] = 0.0f;           // an all-zero super-block
  for (int64_t i = 256; i < 512 && i < n; ++i) spiky[i] = 0.25f;        // a constant one
  out.push_back(spiky);
  auto tiny = capitest::random_floats(n, 5, -1e-3f, 1e-3f);
  out.push_back(tiny);
  auto large = capitest::random_floats(n, 6, -300.0f, 300.0f);
  out.push_back(large);
  std::vector<float> ties(n);
  for (int64_t i = 0; i < n; ++i) ties[i] = static_cast<float>((i * 37) % 255 - 127) / 64.0f;
  out.push_back(ties);
  return out;
}

// Random blocks with finite scales: every other bit random.
std::vector<uint8_t> random_blocks(GgmlType t, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> b(ggml_row_size(t, n));
  for (auto& v : b) v = static_cast<uint8_t>(rng());
  const size_t bs = ggml_type_traits(t).type_size;
  auto half = [&](size_t off) {
    const uint16_t h = fp32_to_fp16(std::ldexp(static_cast<float>(rng() % 1000) / 1000.0f + 0.5f, static_cast<int>(rng() % 12) - 10));
    std::memcpy(&b[off], &h, 2);
  };
  for (size_t blk = 0; blk < b.size() / bs; ++blk) {
    const size_t o = blk * bs;
    switch (t) {
      case GgmlType::F16: half(o); break;
      case GgmlType::BF16: b[o + 1] = static_cast<uint8_t>(0x30 + rng() % 0x1F); break;  // finite exponent
      case GgmlType::Q8_0:
      case GgmlType::Q4_0:
      case GgmlType::Q5_0:
      case GgmlType::IQ4_NL:
      case GgmlType::IQ4_XS: half(o); break;
      case GgmlType::Q4_1:
      case GgmlType::Q5_1:
      case GgmlType::Q8_1: half(o); half(o + 2); break;
      case GgmlType::Q4_K:
      case GgmlType::Q5_K: half(o); half(o + 2); break;
      case GgmlType::Q2_K: half(o + offsetof(BlockQ2_K, d)); half(o + offsetof(BlockQ2_K, dmin)); break;
      case GgmlType::Q3_K: half(o + offsetof(BlockQ3_K, d)); break;
      case GgmlType::Q6_K: half(o + offsetof(BlockQ6_K, d)); break;
      case GgmlType::Q8_K: {
        const float d = static_cast<float>(rng() % 1000) / 1e5f;
        std::memcpy(&b[o], &d, 4);
        break;
      }
      default: break;
    }
  }
  return b;
}

#if defined(__aarch64__)
constexpr bool kFusedRef = true;
#else
constexpr bool kFusedRef = false;
#endif

// Types whose quantiser fits scales by float sums, which ggml's aarch64 build fuses.
bool fitted(GgmlType t) {
  return t == GgmlType::Q2_K || t == GgmlType::Q3_K || t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K ||
         t == GgmlType::IQ4_NL || t == GgmlType::IQ4_XS;
}

// Our bytes reconstruct x at least as well as ggml's (within 1 %).
bool no_worse(const std::vector<float>& x, const std::vector<uint8_t>& ours, const std::vector<uint8_t>& ggml,
              GgmlType t, const Kernels& k) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> a(n), b(n);
  k.type(t).to_float(ours.data(), a.data(), n);
  k.type(t).to_float(ggml.data(), b.data(), n);
  return capitest::nmse(x.data(), a.data(), n) <= capitest::nmse(x.data(), b.data(), n) * 1.01 + 1e-12;
}

}  // namespace

CAPI_TEST(quantisers_and_dequantisers_are_bit_exact_with_ggml) {
  void* lib = ggml_base();
  if (!lib) {
    CHECK(std::getenv("CI") == nullptr);  // CI installs node-llama-cpp: the reference must be there
    return;
  }
  const int64_t n = 4096;
  for (const RefType& rt : kRefTypes) {
    void* q_sym = dlsym(lib, rt.quant);
    const auto ref_dq = rt.dequant ? reinterpret_cast<RefDequant>(dlsym(lib, rt.dequant)) : nullptr;
    CHECK(q_sym != nullptr && (ref_dq != nullptr || !rt.dequant));
    if (!q_sym || (rt.dequant && !ref_dq)) continue;
    auto ref_q = [&](const float* x, void* y, int64_t n) {
      if (rt.chunk) reinterpret_cast<RefChunk>(q_sym)(x, y, 1, n, nullptr);
      else reinterpret_cast<RefQuant>(q_sym)(x, y, n);
    };
    const std::string name = ggml_type_traits(rt.type).name;
    const size_t bytes = ggml_row_size(rt.type, n);
    int case_idx = 0;
    for (const auto& x : inputs(n)) {
      std::vector<uint8_t> want(bytes);
      ref_q(x.data(), want.data(), n);
      std::vector<float> want_f(n), got_f(n);
      if (ref_dq) ref_dq(want.data(), want_f.data(), n);
      for (int i = 0; i < kIsaCount; ++i) {
        const Kernels* k = kernels_for(static_cast<Isa>(i));
        if (!k) continue;
        const std::string ctx = std::string(isa_name(k->isa)) + " " + name + " input " + std::to_string(case_idx);
        std::vector<uint8_t> got(bytes);
        k->type(rt.type).from_float(x.data(), got.data(), n);
        if (got != want && !(kFusedRef && fitted(rt.type) && no_worse(x, got, want, rt.type, *k)))
          capitest::fail(__FILE__, __LINE__, ctx + ": quantised bytes differ from ggml's reference");
        if (!ref_dq) continue;
        k->type(rt.type).to_float(want.data(), got_f.data(), n);
        if (std::memcmp(got_f.data(), want_f.data(), n * sizeof(float)) != 0)
          capitest::fail(__FILE__, __LINE__, ctx + ": dequantised values differ from ggml's");
      }
      ++case_idx;
    }
    if (!ref_dq) continue;
    auto blocks = random_blocks(rt.type, n, 77);
    std::vector<float> want_f(n), got_f(n);
    ref_dq(blocks.data(), want_f.data(), n);
    for (int i = 0; i < kIsaCount; ++i) {
      const Kernels* k = kernels_for(static_cast<Isa>(i));
      if (!k) continue;
      k->type(rt.type).to_float(blocks.data(), got_f.data(), n);
      CHECK(std::memcmp(got_f.data(), want_f.data(), n * sizeof(float)) == 0);
    }
  }
}
