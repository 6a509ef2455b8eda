// Which kernel variant every table chose, printed for the log, and on aarch64 checked against the CPU
// model the run was started for: scripts/test-native.mjs runs this binary under qemu-aarch64 with
// -cpu max / cortex-a76 / cortex-a53 and sets CAPIBARA_EXPECT_NEON=i8mm / dotprod / base, so a wrong
// HWCAP reading or dispatch rule fails here instead of silently running a slower (or illegal) kernel.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/cpu_features.h"
#include "harness.h"
#include "kernels/kernels.h"

using namespace capibara;

namespace {

const char* or_dash(const char* s) { return s ? s : "-"; }

}  // namespace

CAPI_TEST(dispatch_names_every_variant) {
  for (int i = 0; i < kIsaCount; ++i) {
    const Kernels* k = kernels_for(static_cast<Isa>(i));
    if (!k) continue;
    std::string line = std::string("  ") + isa_name(k->isa) + ":";
    for (uint32_t id = 0; id < kGgmlTypeCount; ++id) {
      const TypeKernels& tk = k->types[id];
      if (!tk.gemm) continue;
      // A named entry exists, and an existing entry is named.
      CHECK((tk.gemm_variant != nullptr) && ((tk.gemm_packed != nullptr) == (tk.packed_variant != nullptr)));
      line += std::string(" ") + ggml_type_traits(static_cast<GgmlType>(id)).name + "=" + or_dash(tk.gemm_variant) + "/" +
              or_dash(tk.packed_variant);
    }
    std::printf("%s\n", line.c_str());
  }
  const Kernels* s = kernels_for(Isa::Scalar);
  CHECK(std::strcmp(s->type(GgmlType::Q4_0).gemm_variant, "scalar") == 0 && !s->type(GgmlType::Q4_0).packed_variant);
}

// variant names per feature level: gemm of Q8_0/Q4_0, gemm of the other quant types, packed Q8_0/Q4_0,
// packed Q4_K/Q5_K/Q6_K (which have SMMLA kernels), packed others (Q2_K, Q3_K, IQ4_XS and the legacy
// 32-element Q4_1/Q5_0/Q5_1/IQ4_NL: SDOT on every level that has it).
CAPI_TEST(dispatch_matches_expected_neon_level) {
  const char* want = std::getenv("CAPIBARA_EXPECT_NEON");
  const Kernels* k = kernels_for(Isa::Neon);
#if defined(__aarch64__)
  const CpuFeatures& f = cpu_features();
  std::printf("  cpu: dotprod=%d i8mm=%d; expected level: %s\n", f.dotprod, f.i8mm, want ? want : "(unset)");
  CHECK(k != nullptr);
  if (!k || !want) return;
  struct Level {
    const char* name;
    const char* gemm_32;
    const char* gemm_k;
    const char* packed;
    const char* packed_k;
    const char* packed_other;
  };
  static const Level kLevels[] = {{"i8mm", "neon-i8mm", "neon-dotprod", "neon-i8mm", "neon-i8mm", "neon-dotprod"},
                                  {"dotprod", "neon-dotprod", "neon-dotprod", "neon-dotprod", "neon-dotprod", "neon-dotprod"},
                                  {"base", "neon", "neon", nullptr, nullptr, nullptr}};
  const Level* lv = nullptr;
  for (const Level& l : kLevels)
    if (std::strcmp(l.name, want) == 0) lv = &l;
  CHECK(lv != nullptr);
  if (!lv) return;
  auto same = [](const char* a, const char* b) { return a == b || (a && b && std::strcmp(a, b) == 0); };
  using G = GgmlType;
  for (G t : {G::Q8_0, G::Q4_0}) {
    const TypeKernels& tk = k->type(t);
    const std::string ctx = std::string(want) + " " + ggml_type_traits(t).name + " got " + or_dash(tk.gemm_variant) +
                            "/" + or_dash(tk.packed_variant);
    CHECK_LE(same(tk.gemm_variant, lv->gemm_32) && same(tk.packed_variant, lv->packed) ? 0 : 1, 0, ctx);
  }
  for (G t : {G::Q4_K, G::Q5_K, G::Q6_K, G::Q2_K, G::Q3_K, G::IQ4_XS, G::Q4_1, G::Q5_0, G::Q5_1, G::IQ4_NL}) {
    const bool smmla = t == G::Q4_K || t == G::Q5_K || t == G::Q6_K;
    const TypeKernels& tk = k->type(t);
    CHECK_LE(same(tk.gemm_variant, lv->gemm_k) && same(tk.packed_variant, smmla ? lv->packed_k : lv->packed_other) ? 0 : 1, 0,
             std::string(want) + " " + ggml_type_traits(t).name + " got " + or_dash(tk.gemm_variant) + "/" +
                 or_dash(tk.packed_variant));
  }
#else
  CHECK(k == nullptr);
  if (want) std::printf("  CAPIBARA_EXPECT_NEON=%s ignored: not an aarch64 build\n", want);
#endif
}
