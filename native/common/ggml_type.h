// Tensor element types with ggml's numeric ids (they are stored in GGUF files, so they are an ABI).
// Shared by the GGUF reader (sizes, bounds checks) and the kernels (dispatch per type).
#pragma once
#include <cstddef>
#include <cstdint>

namespace capibara {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};

// One past the largest id we index tables with.
constexpr uint32_t kGgmlTypeCount = 40;

struct GgmlTypeTraits {
  const char* name;     // "q4_K"; nullptr for ids we do not know
  int64_t block_size;   // elements per block (1 for plain types)
  size_t type_size;     // bytes per block
};

// Traits for any id < kGgmlTypeCount; unknown ids have name == nullptr.
const GgmlTypeTraits& ggml_type_traits(GgmlType type);
inline bool ggml_type_known(uint32_t id) {
  return id < kGgmlTypeCount && ggml_type_traits(static_cast<GgmlType>(id)).name != nullptr;
}
// Bytes of a row of n elements; n must be a multiple of the block size.
inline size_t ggml_row_size(GgmlType type, int64_t n) {
  const auto& t = ggml_type_traits(type);
  return static_cast<size_t>(n / t.block_size) * t.type_size;
}

}  // namespace capibara
