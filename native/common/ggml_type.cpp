#include "common/ggml_type.h"

#include <array>

namespace capibara {

namespace {
constexpr std::array<GgmlTypeTraits, kGgmlTypeCount> make_traits() {
  std::array<GgmlTypeTraits, kGgmlTypeCount> t{};
  for (auto& e : t) e = {nullptr, 1, 0};
  auto set = [&t](GgmlType id, const char* name, int64_t bs, size_t ts) {
    t[static_cast<uint32_t>(id)] = {name, bs, ts};
  };
  // Block sizes/bytes follow ggml's block structs (see native/kernels/quant_blocks.h). Types without
  // kernels are listed too, so a file holding them parses and is refused by name where a tensor is bound.
  set(GgmlType::F32, "f32", 1, 4);
  set(GgmlType::F16, "f16", 1, 2);
  set(GgmlType::Q4_0, "q4_0", 32, 18);
  set(GgmlType::Q4_1, "q4_1", 32, 20);
  set(GgmlType::Q5_0, "q5_0", 32, 22);
  set(GgmlType::Q5_1, "q5_1", 32, 24);
  set(GgmlType::Q8_0, "q8_0", 32, 34);
  set(GgmlType::Q8_1, "q8_1", 32, 36);
  set(GgmlType::Q2_K, "q2_K", 256, 84);
  set(GgmlType::Q3_K, "q3_K", 256, 110);
  set(GgmlType::Q4_K, "q4_K", 256, 144);
  set(GgmlType::Q5_K, "q5_K", 256, 176);
  set(GgmlType::Q6_K, "q6_K", 256, 210);
  set(GgmlType::Q8_K, "q8_K", 256, 292);
  set(GgmlType::IQ2_XXS, "iq2_xxs", 256, 66);
  set(GgmlType::IQ2_XS, "iq2_xs", 256, 74);
  set(GgmlType::IQ3_XXS, "iq3_xxs", 256, 98);
  set(GgmlType::IQ1_S, "iq1_s", 256, 50);
  set(GgmlType::IQ4_NL, "iq4_nl", 32, 18);
  set(GgmlType::IQ3_S, "iq3_s", 256, 110);
  set(GgmlType::IQ2_S, "iq2_s", 256, 82);
  set(GgmlType::IQ4_XS, "iq4_xs", 256, 136);
  set(GgmlType::I8, "i8", 1, 1);
  set(GgmlType::I16, "i16", 1, 2);
  set(GgmlType::I32, "i32", 1, 4);
  set(GgmlType::I64, "i64", 1, 8);
  set(GgmlType::F64, "f64", 1, 8);
  set(GgmlType::IQ1_M, "iq1_m", 256, 56);
  set(GgmlType::BF16, "bf16", 1, 2);
  set(GgmlType::TQ1_0, "tq1_0", 256, 54);
  set(GgmlType::TQ2_0, "tq2_0", 256, 66);
  set(GgmlType::MXFP4, "mxfp4", 32, 17);
  return t;
}
constexpr auto kTraits = make_traits();
}  // namespace

const GgmlTypeTraits& ggml_type_traits(GgmlType type) {
  static const GgmlTypeTraits unknown{nullptr, 1, 0};
  const auto id = static_cast<uint32_t>(type);
  return id < kGgmlTypeCount ? kTraits[id] : unknown;
}

}  // namespace capibara
