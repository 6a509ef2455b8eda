// Every table entry of every ISA present vs the scalar reference, on random inputs and odd sizes.
// Tolerances are per op (comment on each case).
#include <string>

#include "harness.h"
#include "kernels/fp16.h"
#include "kernels/kernels.h"
#include "test_util.h"

using namespace capibara;
using capitest::nmse;

namespace {

template <typename Fn>
void for_each_simd_isa(Fn&& fn) {
  for (int i = 1; i < kIsaCount; ++i) {
    const Kernels* k = kernels_for(static_cast<Isa>(i));
    if (k) fn(*k);
  }
}

}  // namespace

CAPI_TEST(scalar_table_is_complete) {
  const Kernels* s = kernels_for(Isa::Scalar);
  CHECK(s != nullptr);
  CHECK(s->rmsnorm && s->layernorm);
}

// Normalisations: NMSE <= 1e-10 vs the double-accumulating reference.
CAPI_TEST(norms_match_scalar) {
  const Kernels& ref = *kernels_for(Isa::Scalar);
  for_each_simd_isa([&](const Kernels& k) {
    for (int64_t n : capitest::odd_sizes()) {
      auto x = capitest::random_floats(n, 1 + static_cast<uint32_t>(n), -3.0f, 3.0f);
      auto w = capitest::random_floats(n, 2 + static_cast<uint32_t>(n));
      std::vector<float> a(n), b(n);
      const std::string ctx = std::string(isa_name(k.isa)) + " n=" + std::to_string(n);
      for (const float* wp : {static_cast<const float*>(nullptr), static_cast<const float*>(w.data())}) {
        ref.rmsnorm(a.data(), x.data(), wp, n, 1e-6f);
        k.rmsnorm(b.data(), x.data(), wp, n, 1e-6f);
        CHECK_LE(nmse(a.data(), b.data(), n), 1e-10, "rmsnorm " + ctx);
        ref.layernorm(a.data(), x.data(), wp, n, 1e-5f);
        k.layernorm(b.data(), x.data(), wp, n, 1e-5f);
        CHECK_LE(nmse(a.data(), b.data(), n), 1e-10, "layernorm " + ctx);
      }
    }
  });
}

// fp16/bf16 conversions: every half value round-trips exactly; float->half rounds to nearest even.
CAPI_TEST(fp16_bf16_conversions) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (f != f) continue;  // nan payloads are not preserved bit-exactly
    if (fp32_to_fp16(f) != h) {
      CHECK_LE(1, 0, "fp16 round trip of " + std::to_string(h));
      break;
    }
  }
  CHECK(fp32_to_fp16(1.0f) == 0x3C00u);
  CHECK(fp32_to_fp16(65504.0f) == 0x7BFFu);
  CHECK(fp32_to_fp16(1e6f) == 0x7C00u);
  CHECK(fp32_to_fp16(1.0f + 1.0f / 2048.0f) == 0x3C00u);  // tie -> even
  CHECK(fp32_to_fp16(5.9604645e-08f) == 0x0001u);         // smallest subnormal
  CHECK(fp32_to_bf16(1.0f) == 0x3F80u);
  CHECK(bf16_to_fp32(0x4049u) == 3.140625f);
  CHECK(fp32_to_bf16(1.00390625f) == 0x3F80u);  // tie -> even
}
