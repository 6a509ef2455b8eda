// Fills one Kernels table per ISA at start-up and picks the active one. The only file that names
// every ISA. Each fill function starts from the scalar table, so an op without a SIMD version
// falls back to the reference and the table is always complete.
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "common/cpu_features.h"
#include "kernels/gemm_loop.h"
#include "kernels/kernels.h"
#include "kernels/scalar/scalar.h"
#if defined(__x86_64__)
#include "kernels/avx2/avx2.h"
#include "kernels/avx512/avx512.h"
#endif
#if defined(__aarch64__)
#include "kernels/neon/neon.h"
#endif

namespace capibara {

namespace {

TypeKernels& type_of(Kernels& k, GgmlType t) { return k.types[static_cast<uint32_t>(t)]; }

// A packed layout is three entries that only make sense together (kernels.h): set them as one.
void set_packed(Kernels& k, GgmlType t, int rows, PackFn pack, GemmFn gemm) {
  TypeKernels& tk = type_of(k, t);
  tk.pack_rows = rows;
  tk.pack = pack;
  tk.gemm_packed = gemm;
}

void fill_scalar(Kernels& k) {
  k.isa = Isa::Scalar;
  k.rmsnorm = scalar::rmsnorm;
  k.layernorm = scalar::layernorm;
  k.swiglu = scalar::swiglu;
  k.geglu = scalar::geglu;
  k.gelu = scalar::gelu;
  k.softmax = scalar::softmax;
  k.apply_token_mask = scalar::apply_token_mask;
  k.rope = scalar::rope;
  k.flash_attn = scalar::flash_attn;
  using G = GgmlType;
  // {vec_dot_type, vec_dot, gemm, from_float, to_float}
  type_of(k, G::F32) = {G::F32, scalar::vec_dot_f32, gemm_by_vec_dot<scalar::vec_dot_f32>, scalar::quantize_row_f32, scalar::dequantize_row_f32};
  type_of(k, G::F16) = {G::F16, scalar::vec_dot_f16, gemm_by_vec_dot<scalar::vec_dot_f16>, scalar::quantize_row_f16, scalar::dequantize_row_f16};
  type_of(k, G::BF16) = {G::BF16, scalar::vec_dot_bf16, gemm_by_vec_dot<scalar::vec_dot_bf16>, scalar::quantize_row_bf16, scalar::dequantize_row_bf16};
  type_of(k, G::Q8_0) = {G::Q8_0, scalar::vec_dot_q8_0_q8_0, gemm_by_vec_dot<scalar::vec_dot_q8_0_q8_0>, scalar::quantize_row_q8_0, scalar::dequantize_row_q8_0};
  type_of(k, G::Q4_0) = {G::Q8_0, scalar::vec_dot_q4_0_q8_0, gemm_by_vec_dot<scalar::vec_dot_q4_0_q8_0>, scalar::quantize_row_q4_0, scalar::dequantize_row_q4_0};
  type_of(k, G::Q4_K) = {G::Q8_K, scalar::vec_dot_q4_K_q8_K, gemm_by_vec_dot<scalar::vec_dot_q4_K_q8_K>, scalar::quantize_row_q4_K, scalar::dequantize_row_q4_K};
  type_of(k, G::Q5_K) = {G::Q8_K, scalar::vec_dot_q5_K_q8_K, gemm_by_vec_dot<scalar::vec_dot_q5_K_q8_K>, scalar::quantize_row_q5_K, scalar::dequantize_row_q5_K};
  type_of(k, G::Q6_K) = {G::Q8_K, scalar::vec_dot_q6_K_q8_K, gemm_by_vec_dot<scalar::vec_dot_q6_K_q8_K>, scalar::quantize_row_q6_K, scalar::dequantize_row_q6_K};
  type_of(k, G::Q4_1) = {G::Q8_1, scalar::vec_dot_q4_1_q8_1, gemm_by_vec_dot<scalar::vec_dot_q4_1_q8_1>, scalar::quantize_row_q4_1, scalar::dequantize_row_q4_1};
  type_of(k, G::Q5_0) = {G::Q8_0, scalar::vec_dot_q5_0_q8_0, gemm_by_vec_dot<scalar::vec_dot_q5_0_q8_0>, scalar::quantize_row_q5_0, scalar::dequantize_row_q5_0};
  type_of(k, G::Q5_1) = {G::Q8_1, scalar::vec_dot_q5_1_q8_1, gemm_by_vec_dot<scalar::vec_dot_q5_1_q8_1>, scalar::quantize_row_q5_1, scalar::dequantize_row_q5_1};
  type_of(k, G::IQ4_NL) = {G::Q8_0, scalar::vec_dot_iq4_nl_q8_0, gemm_by_vec_dot<scalar::vec_dot_iq4_nl_q8_0>, scalar::quantize_row_iq4_nl, scalar::dequantize_row_iq4_nl};
  type_of(k, G::IQ4_XS) = {G::Q8_K, scalar::vec_dot_iq4_xs_q8_K, gemm_by_vec_dot<scalar::vec_dot_iq4_xs_q8_K>, scalar::quantize_row_iq4_xs, scalar::dequantize_row_iq4_xs};
  type_of(k, G::Q2_K) = {G::Q8_K, scalar::vec_dot_q2_K_q8_K, gemm_by_vec_dot<scalar::vec_dot_q2_K_q8_K>, scalar::quantize_row_q2_K, scalar::dequantize_row_q2_K};
  type_of(k, G::Q3_K) = {G::Q8_K, scalar::vec_dot_q3_K_q8_K, gemm_by_vec_dot<scalar::vec_dot_q3_K_q8_K>, scalar::quantize_row_q3_K, scalar::dequantize_row_q3_K};
  // Activation-only types: conversions, no dot product of their own.
  type_of(k, G::Q8_K) = {G::Q8_K, nullptr, nullptr, scalar::quantize_row_q8_K, scalar::dequantize_row_q8_K};
  type_of(k, G::Q8_1) = {G::Q8_1, nullptr, nullptr, scalar::quantize_row_q8_1, scalar::dequantize_row_q8_1};
}

#if defined(__x86_64__)
void fill_avx2(Kernels& k) {
  k.isa = Isa::Avx2;
  k.rmsnorm = avx2::rmsnorm;
  k.layernorm = avx2::layernorm;
  k.swiglu = avx2::swiglu;
  k.geglu = avx2::geglu;
  k.gelu = avx2::gelu;
  k.softmax = avx2::softmax;
  k.apply_token_mask = avx2::apply_token_mask;
  k.rope = avx2::rope;
  k.flash_attn = avx2::flash_attn;
  using G = GgmlType;
  type_of(k, G::F32) = {G::F32, avx2::vec_dot_f32, gemm_by_vec_dot<avx2::vec_dot_f32>, scalar::quantize_row_f32, scalar::dequantize_row_f32};
  type_of(k, G::F16) = {G::F16, avx2::vec_dot_f16, gemm_by_vec_dot<avx2::vec_dot_f16>, avx2::quantize_row_f16, avx2::dequantize_row_f16};
  type_of(k, G::BF16) = {G::BF16, avx2::vec_dot_bf16, gemm_by_vec_dot<avx2::vec_dot_bf16>, scalar::quantize_row_bf16, avx2::dequantize_row_bf16};
  type_of(k, G::Q8_0) = {G::Q8_0, avx2::vec_dot_q8_0_q8_0, avx2::gemm_q8_0_q8_0, avx2::quantize_row_q8_0, scalar::dequantize_row_q8_0};
  type_of(k, G::Q4_0) = {G::Q8_0, avx2::vec_dot_q4_0_q8_0, avx2::gemm_q4_0_q8_0, scalar::quantize_row_q4_0, scalar::dequantize_row_q4_0};
  type_of(k, G::Q4_K) = {G::Q8_K, avx2::vec_dot_q4_K_q8_K, avx2::gemm_q4_K_q8_K, scalar::quantize_row_q4_K, scalar::dequantize_row_q4_K};
  type_of(k, G::Q5_K) = {G::Q8_K, avx2::vec_dot_q5_K_q8_K, avx2::gemm_q5_K_q8_K, scalar::quantize_row_q5_K, scalar::dequantize_row_q5_K};
  type_of(k, G::Q6_K) = {G::Q8_K, avx2::vec_dot_q6_K_q8_K, avx2::gemm_q6_K_q8_K, scalar::quantize_row_q6_K, scalar::dequantize_row_q6_K};
  type_of(k, G::Q4_1) = {G::Q8_1, avx2::vec_dot_q4_1_q8_1, avx2::gemm_q4_1_q8_1, scalar::quantize_row_q4_1, scalar::dequantize_row_q4_1};
  type_of(k, G::Q5_0) = {G::Q8_0, avx2::vec_dot_q5_0_q8_0, avx2::gemm_q5_0_q8_0, scalar::quantize_row_q5_0, scalar::dequantize_row_q5_0};
  type_of(k, G::Q5_1) = {G::Q8_1, avx2::vec_dot_q5_1_q8_1, avx2::gemm_q5_1_q8_1, scalar::quantize_row_q5_1, scalar::dequantize_row_q5_1};
  type_of(k, G::IQ4_NL) = {G::Q8_0, avx2::vec_dot_iq4_nl_q8_0, avx2::gemm_iq4_nl_q8_0, scalar::quantize_row_iq4_nl, scalar::dequantize_row_iq4_nl};
  type_of(k, G::Q2_K) = {G::Q8_K, avx2::vec_dot_q2_K_q8_K, gemm_by_vec_dot<avx2::vec_dot_q2_K_q8_K>, scalar::quantize_row_q2_K, scalar::dequantize_row_q2_K};
  type_of(k, G::Q3_K) = {G::Q8_K, avx2::vec_dot_q3_K_q8_K, gemm_by_vec_dot<avx2::vec_dot_q3_K_q8_K>, scalar::quantize_row_q3_K, scalar::dequantize_row_q3_K};
  type_of(k, G::IQ4_XS) = {G::Q8_K, avx2::vec_dot_iq4_xs_q8_K, avx2::gemm_iq4_xs_q8_K, scalar::quantize_row_iq4_xs, scalar::dequantize_row_iq4_xs};
  type_of(k, G::Q8_K).from_float = avx2::quantize_row_q8_K;
  set_packed(k, G::Q8_0, 8, avx2::pack_q8_0, avx2::gemm_q8_0_q8_0_packed);
  set_packed(k, G::Q4_0, 8, avx2::pack_q4_0, avx2::gemm_q4_0_q8_0_packed);
  set_packed(k, G::Q4_1, 8, avx2::pack_q4_1, avx2::gemm_q4_1_q8_1_packed);
  set_packed(k, G::Q5_0, 8, avx2::pack_q5_0, avx2::gemm_q5_0_q8_0_packed);
  set_packed(k, G::Q5_1, 8, avx2::pack_q5_1, avx2::gemm_q5_1_q8_1_packed);
  set_packed(k, G::IQ4_NL, 8, avx2::pack_iq4_nl, avx2::gemm_iq4_nl_q8_0_packed);
  set_packed(k, G::Q4_K, 8, avx2::pack_q4_K, avx2::gemm_q4_K_q8_K_packed);
  set_packed(k, G::Q5_K, 8, avx2::pack_q5_K, avx2::gemm_q5_K_q8_K_packed);
  set_packed(k, G::Q6_K, 8, avx2::pack_q6_K, avx2::gemm_q6_K_q8_K_packed);
  set_packed(k, G::F16, 8, avx2::pack_half, avx2::gemm_f16_packed);
  set_packed(k, G::BF16, 8, avx2::pack_half, avx2::gemm_bf16_packed);
  set_packed(k, G::Q2_K, 8, avx2::pack_q2_K, avx2::gemm_q2_K_q8_K_packed);
  set_packed(k, G::Q3_K, 8, avx2::pack_q3_K, avx2::gemm_q3_K_q8_K_packed);
  set_packed(k, G::IQ4_XS, 8, avx2::pack_iq4_xs, avx2::gemm_iq4_xs_q8_K_packed);
}

// AVX-512 builds on the AVX2 table: only ops with a 512-bit version are replaced.
void fill_avx512(Kernels& k) {
  fill_avx2(k);
  k.isa = Isa::Avx512;
  k.rmsnorm = avx512::rmsnorm;
  k.layernorm = avx512::layernorm;
  k.swiglu = avx512::swiglu;
  k.geglu = avx512::geglu;
  k.gelu = avx512::gelu;
  k.softmax = avx512::softmax;
  k.apply_token_mask = avx512::apply_token_mask;
  k.rope = avx512::rope;
  k.flash_attn = avx512::flash_attn;
  using G = GgmlType;
  type_of(k, G::Q8_0).vec_dot = avx512::vec_dot_q8_0_q8_0;
  type_of(k, G::Q8_0).gemm = avx512::gemm_q8_0_q8_0;
  type_of(k, G::Q4_0).vec_dot = avx512::vec_dot_q4_0_q8_0;
  type_of(k, G::Q4_0).gemm = avx512::gemm_q4_0_q8_0;
  set_packed(k, G::Q8_0, 16, avx512::pack_q8_0, avx512::gemm_q8_0_q8_0_packed);
  set_packed(k, G::Q4_0, 16, avx512::pack_q4_0, avx512::gemm_q4_0_q8_0_packed);
  set_packed(k, G::Q4_1, 16, avx512::pack_q4_1, avx512::gemm_q4_1_q8_1_packed);
  set_packed(k, G::Q5_0, 16, avx512::pack_q5_0, avx512::gemm_q5_0_q8_0_packed);
  set_packed(k, G::Q5_1, 16, avx512::pack_q5_1, avx512::gemm_q5_1_q8_1_packed);
  set_packed(k, G::IQ4_NL, 16, avx512::pack_iq4_nl, avx512::gemm_iq4_nl_q8_0_packed);
  set_packed(k, G::Q4_K, 16, avx512::pack_q4_K, avx512::gemm_q4_K_q8_K_packed);
  set_packed(k, G::Q5_K, 16, avx512::pack_q5_K, avx512::gemm_q5_K_q8_K_packed);
  set_packed(k, G::Q6_K, 16, avx512::pack_q6_K, avx512::gemm_q6_K_q8_K_packed);
  set_packed(k, G::F16, 16, avx512::pack_half, avx512::gemm_f16_packed);
  set_packed(k, G::BF16, 16, avx512::pack_half, avx512::gemm_bf16_packed);
  set_packed(k, G::Q2_K, 16, avx512::pack_q2_K, avx512::gemm_q2_K_q8_K_packed);
  set_packed(k, G::Q3_K, 16, avx512::pack_q3_K, avx512::gemm_q3_K_q8_K_packed);
  set_packed(k, G::IQ4_XS, 16, avx512::pack_iq4_xs, avx512::gemm_iq4_xs_q8_K_packed);
  type_of(k, G::Q4_K).vec_dot = avx512::vec_dot_q4_K_q8_K;
  type_of(k, G::Q4_K).gemm = avx512::gemm_q4_K_q8_K;
  type_of(k, G::Q5_K).vec_dot = avx512::vec_dot_q5_K_q8_K;
  type_of(k, G::Q5_K).gemm = avx512::gemm_q5_K_q8_K;
  type_of(k, G::Q6_K).vec_dot = avx512::vec_dot_q6_K_q8_K;
  type_of(k, G::Q6_K).gemm = avx512::gemm_q6_K_q8_K;
  type_of(k, G::Q4_1).vec_dot = avx512::vec_dot_q4_1_q8_1;
  type_of(k, G::Q4_1).gemm = avx512::gemm_q4_1_q8_1;
  type_of(k, G::Q5_0).vec_dot = avx512::vec_dot_q5_0_q8_0;
  type_of(k, G::Q5_0).gemm = avx512::gemm_q5_0_q8_0;
  type_of(k, G::Q5_1).vec_dot = avx512::vec_dot_q5_1_q8_1;
  type_of(k, G::Q5_1).gemm = avx512::gemm_q5_1_q8_1;
  type_of(k, G::IQ4_NL).vec_dot = avx512::vec_dot_iq4_nl_q8_0;
  type_of(k, G::IQ4_NL).gemm = avx512::gemm_iq4_nl_q8_0;
}
#endif

#if defined(__aarch64__)
void fill_neon(Kernels& k) {
  k.isa = Isa::Neon;
  k.rmsnorm = neon::rmsnorm;
  k.layernorm = neon::layernorm;
  k.swiglu = neon::swiglu;
  k.geglu = neon::geglu;
  k.gelu = neon::gelu;
  k.softmax = neon::softmax;
  k.apply_token_mask = neon::apply_token_mask;
  k.rope = neon::rope;
  k.flash_attn = neon::flash_attn;
  using G = GgmlType;
  const bool dot = cpu_features().dotprod;
  type_of(k, G::F32) = {G::F32, neon::vec_dot_f32, gemm_by_vec_dot<neon::vec_dot_f32>, scalar::quantize_row_f32, scalar::dequantize_row_f32};
  type_of(k, G::F16) = {G::F16, neon::vec_dot_f16, gemm_by_vec_dot<neon::vec_dot_f16>, neon::quantize_row_f16, neon::dequantize_row_f16};
  type_of(k, G::BF16) = {G::BF16, neon::vec_dot_bf16, gemm_by_vec_dot<neon::vec_dot_bf16>, scalar::quantize_row_bf16, neon::dequantize_row_bf16};
  const bool mm = dot && cpu_features().i8mm;
  type_of(k, G::Q8_0) = {G::Q8_0, dot ? neon::vec_dot_q8_0_q8_0_dotprod : neon::vec_dot_q8_0_q8_0,
                         mm ? neon::gemm_q8_0_q8_0_i8mm : dot ? neon::gemm_q8_0_q8_0_dotprod : neon::gemm_q8_0_q8_0,
                         neon::quantize_row_q8_0, scalar::dequantize_row_q8_0};
  type_of(k, G::Q4_0) = {G::Q8_0, dot ? neon::vec_dot_q4_0_q8_0_dotprod : neon::vec_dot_q4_0_q8_0,
                         mm ? neon::gemm_q4_0_q8_0_i8mm : dot ? neon::gemm_q4_0_q8_0_dotprod : neon::gemm_q4_0_q8_0,
                         scalar::quantize_row_q4_0, scalar::dequantize_row_q4_0};
  type_of(k, G::Q4_K) = {G::Q8_K, dot ? neon::vec_dot_q4_K_q8_K_dotprod : neon::vec_dot_q4_K_q8_K,
                         dot ? neon::gemm_q4_K_q8_K_dotprod : neon::gemm_q4_K_q8_K,
                         scalar::quantize_row_q4_K, scalar::dequantize_row_q4_K};
  type_of(k, G::Q5_K) = {G::Q8_K, dot ? neon::vec_dot_q5_K_q8_K_dotprod : neon::vec_dot_q5_K_q8_K,
                         dot ? neon::gemm_q5_K_q8_K_dotprod : neon::gemm_q5_K_q8_K,
                         scalar::quantize_row_q5_K, scalar::dequantize_row_q5_K};
  type_of(k, G::Q6_K) = {G::Q8_K, dot ? neon::vec_dot_q6_K_q8_K_dotprod : neon::vec_dot_q6_K_q8_K,
                         dot ? neon::gemm_q6_K_q8_K_dotprod : neon::gemm_q6_K_q8_K,
                         scalar::quantize_row_q6_K, scalar::dequantize_row_q6_K};
  type_of(k, G::Q4_1) = {G::Q8_1, dot ? neon::vec_dot_q4_1_q8_1_dotprod : neon::vec_dot_q4_1_q8_1,
                         dot ? neon::gemm_q4_1_q8_1_dotprod : neon::gemm_q4_1_q8_1, scalar::quantize_row_q4_1, scalar::dequantize_row_q4_1};
  type_of(k, G::Q5_0) = {G::Q8_0, dot ? neon::vec_dot_q5_0_q8_0_dotprod : neon::vec_dot_q5_0_q8_0,
                         dot ? neon::gemm_q5_0_q8_0_dotprod : neon::gemm_q5_0_q8_0, scalar::quantize_row_q5_0, scalar::dequantize_row_q5_0};
  type_of(k, G::Q5_1) = {G::Q8_1, dot ? neon::vec_dot_q5_1_q8_1_dotprod : neon::vec_dot_q5_1_q8_1,
                         dot ? neon::gemm_q5_1_q8_1_dotprod : neon::gemm_q5_1_q8_1, scalar::quantize_row_q5_1, scalar::dequantize_row_q5_1};
  type_of(k, G::IQ4_NL) = {G::Q8_0, dot ? neon::vec_dot_iq4_nl_q8_0_dotprod : neon::vec_dot_iq4_nl_q8_0,
                           dot ? neon::gemm_iq4_nl_q8_0_dotprod : neon::gemm_iq4_nl_q8_0, scalar::quantize_row_iq4_nl, scalar::dequantize_row_iq4_nl};
  type_of(k, G::Q2_K) = {G::Q8_K, dot ? neon::vec_dot_q2_K_q8_K_dotprod : neon::vec_dot_q2_K_q8_K,
                         dot ? gemm_by_vec_dot<neon::vec_dot_q2_K_q8_K_dotprod> : gemm_by_vec_dot<neon::vec_dot_q2_K_q8_K>,
                         scalar::quantize_row_q2_K, scalar::dequantize_row_q2_K};
  type_of(k, G::Q3_K) = {G::Q8_K, dot ? neon::vec_dot_q3_K_q8_K_dotprod : neon::vec_dot_q3_K_q8_K,
                         dot ? gemm_by_vec_dot<neon::vec_dot_q3_K_q8_K_dotprod> : gemm_by_vec_dot<neon::vec_dot_q3_K_q8_K>,
                         scalar::quantize_row_q3_K, scalar::dequantize_row_q3_K};
  type_of(k, G::IQ4_XS) = {G::Q8_K, dot ? neon::vec_dot_iq4_xs_q8_K_dotprod : neon::vec_dot_iq4_xs_q8_K,
                           dot ? neon::gemm_iq4_xs_q8_K_dotprod : neon::gemm_iq4_xs_q8_K,
                           scalar::quantize_row_iq4_xs, scalar::dequantize_row_iq4_xs};
  type_of(k, G::Q8_K).from_float = neon::quantize_row_q8_K;
  if (dot) {  // the packed kernels multiply with SDOT: without it the table keeps no packed layout
    set_packed(k, G::Q8_0, 4, neon::pack_q8_0, neon::gemm_q8_0_q8_0_packed_dotprod);
    set_packed(k, G::Q4_0, 4, neon::pack_q4_0, neon::gemm_q4_0_q8_0_packed_dotprod);
    set_packed(k, G::Q4_K, 4, neon::pack_q4_K, neon::gemm_q4_K_q8_K_packed_dotprod);
    set_packed(k, G::Q5_K, 4, neon::pack_q5_K, neon::gemm_q5_K_q8_K_packed_dotprod);
    set_packed(k, G::Q6_K, 4, neon::pack_q6_K, neon::gemm_q6_K_q8_K_packed_dotprod);
    set_packed(k, G::Q4_1, 4, neon::pack_q4_1, neon::gemm_q4_1_q8_1_packed_dotprod);
    set_packed(k, G::Q5_0, 4, neon::pack_q5_0, neon::gemm_q5_0_q8_0_packed_dotprod);
    set_packed(k, G::Q5_1, 4, neon::pack_q5_1, neon::gemm_q5_1_q8_1_packed_dotprod);
    set_packed(k, G::IQ4_NL, 4, neon::pack_iq4_nl, neon::gemm_iq4_nl_q8_0_packed_dotprod);
    set_packed(k, G::Q2_K, 4, neon::pack_q2_K, neon::gemm_q2_K_q8_K_packed_dotprod);
    set_packed(k, G::Q3_K, 4, neon::pack_q3_K, neon::gemm_q3_K_q8_K_packed_dotprod);
    set_packed(k, G::IQ4_XS, 4, neon::pack_iq4_xs, neon::gemm_iq4_xs_q8_K_packed_dotprod);
    for (G t : {G::Q4_K, G::Q5_K, G::Q6_K, G::Q4_1, G::Q5_0, G::Q5_1, G::IQ4_NL, G::Q2_K, G::Q3_K, G::IQ4_XS}) type_of(k, t).packed_variant = "neon-dotprod";
  }
  if (mm) {  // SMMLA's operands want their own interleave: pack and gemm change together
    set_packed(k, G::Q8_0, 4, neon::pack_q8_0_i8mm, neon::gemm_q8_0_q8_0_packed_i8mm);
    set_packed(k, G::Q4_0, 4, neon::pack_q4_0_i8mm, neon::gemm_q4_0_q8_0_packed_i8mm);
    // The K-quants keep the dotprod layouts: their SMMLA kernels pair the 4-byte words themselves.
    set_packed(k, G::Q4_K, 4, neon::pack_q4_K, neon::gemm_q4_K_q8_K_packed_i8mm);
    set_packed(k, G::Q5_K, 4, neon::pack_q5_K, neon::gemm_q5_K_q8_K_packed_i8mm);
    set_packed(k, G::Q6_K, 4, neon::pack_q6_K, neon::gemm_q6_K_q8_K_packed_i8mm);
    for (G t : {G::Q4_K, G::Q5_K, G::Q6_K}) type_of(k, t).packed_variant = "neon-i8mm";
  }
  // Variant names (kernels.h) of the choices above: one extension level per entry.
  const char* level = dot ? "neon-dotprod" : "neon";
  for (G t : {G::Q8_0, G::Q4_0, G::Q4_K, G::Q5_K, G::Q6_K, G::Q4_1, G::Q5_0, G::Q5_1, G::IQ4_NL, G::Q2_K, G::Q3_K, G::IQ4_XS}) type_of(k, t).gemm_variant = level;
  for (G t : {G::Q8_0, G::Q4_0}) {
    if (mm) type_of(k, t).gemm_variant = "neon-i8mm";
    if (dot) type_of(k, t).packed_variant = mm ? "neon-i8mm" : "neon-dotprod";
  }
}
#endif

// Entries a fill function did not name are named after the first table (in order of preference)
// holding the same function, so an AVX-512 table's inherited AVX2 kernels read "avx2".
void name_variants(Kernels& k, const Kernels* earlier, int n_earlier) {
  for (uint32_t t = 0; t < kGgmlTypeCount; ++t) {
    TypeKernels& tk = k.types[t];
    const char* gemm = isa_name(k.isa);
    const char* packed = isa_name(k.isa);
    for (int i = n_earlier - 1; i >= 0; --i) {
      if (earlier[i].types[t].gemm == tk.gemm) gemm = earlier[i].types[t].gemm_variant;
      if (earlier[i].types[t].gemm_packed == tk.gemm_packed) packed = earlier[i].types[t].packed_variant;
    }
    if (!tk.gemm_variant && tk.gemm) tk.gemm_variant = gemm;
    if (!tk.packed_variant && tk.gemm_packed) tk.packed_variant = packed;
  }
}

struct Tables {
  Kernels table[kIsaCount];
  bool available[kIsaCount] = {};
  Isa active = Isa::Scalar;

  Tables() {
    const CpuFeatures& f = cpu_features();
    auto make = [this](Isa isa, void (*fill)(Kernels&)) {
      Kernels& k = table[static_cast<int>(isa)];
      fill_scalar(k);
      fill(k);
      name_variants(k, table, static_cast<int>(isa));
      available[static_cast<int>(isa)] = true;
      active = isa;  // called in increasing order of preference
    };
    make(Isa::Scalar, fill_scalar);
#if defined(__x86_64__)
    if (f.avx2 && f.fma && f.f16c) make(Isa::Avx2, fill_avx2);
    if (f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni)
      make(Isa::Avx512, fill_avx512);
#endif
#if defined(__aarch64__)
    if (f.neon) make(Isa::Neon, fill_neon);
#endif
    (void)f;
    Isa forced;
    const char* env = std::getenv("CAPIBARA_KERNELS");
    if (env && *env && parse_isa(env, &forced) && available[static_cast<int>(forced)]) active = forced;
  }
};

Tables& tables() {
  static Tables t;
  return t;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
  }
  return "scalar";
}

bool parse_isa(const char* name, Isa* out) {
  for (int i = 0; i < kIsaCount; ++i) {
    if (std::strcmp(name, isa_name(static_cast<Isa>(i))) == 0) {
      *out = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

const Kernels& kernels() {
  Tables& t = tables();
  return t.table[static_cast<int>(t.active)];
}

const Kernels* kernels_for(Isa isa) {
  Tables& t = tables();
  const int i = static_cast<int>(isa);
  return (i >= 0 && i < kIsaCount && t.available[i]) ? &t.table[i] : nullptr;
}

bool set_kernel_isa(Isa isa) {
  if (!kernels_for(isa)) return false;
  tables().active = isa;
  return true;
}

}  // namespace capibara
