// Scalar reference kernels: readable maths, compiled with auto-vectorisation off so "scalar" means
// scalar. Every SIMD variant is tested against these. Signatures are the types in kernels.h.
#pragma once
#include "kernels/kernels.h"

namespace capibara::scalar {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);
void layernorm(float* y, const float* x, const float* w, int64_t n, float eps);

// quantize.cpp: quantize_row_<t> = from_float, dequantize_row_<t> = to_float (exact, ggml order)
void quantize_row_f32(const float* x, void* y, int64_t n);
void dequantize_row_f32(const void* x, float* y, int64_t n);
void quantize_row_f16(const float* x, void* y, int64_t n);
void dequantize_row_f16(const void* x, float* y, int64_t n);
void quantize_row_bf16(const float* x, void* y, int64_t n);
void dequantize_row_bf16(const void* x, float* y, int64_t n);
void quantize_row_q8_0(const float* x, void* y, int64_t n);
void dequantize_row_q8_0(const void* x, float* y, int64_t n);
void quantize_row_q4_0(const float* x, void* y, int64_t n);
void dequantize_row_q4_0(const void* x, float* y, int64_t n);
void quantize_row_q4_K(const float* x, void* y, int64_t n);
void dequantize_row_q4_K(const void* x, float* y, int64_t n);
void quantize_row_q5_K(const float* x, void* y, int64_t n);
void dequantize_row_q5_K(const void* x, float* y, int64_t n);
void quantize_row_q6_K(const float* x, void* y, int64_t n);
void dequantize_row_q6_K(const void* x, float* y, int64_t n);
void quantize_row_q8_K(const float* x, void* y, int64_t n);
void dequantize_row_q8_K(const void* x, float* y, int64_t n);
// quantize_legacy.cpp
void quantize_row_q4_1(const float* x, void* y, int64_t n);
void dequantize_row_q4_1(const void* x, float* y, int64_t n);
void quantize_row_q5_0(const float* x, void* y, int64_t n);
void dequantize_row_q5_0(const void* x, float* y, int64_t n);
void quantize_row_q5_1(const float* x, void* y, int64_t n);
void dequantize_row_q5_1(const void* x, float* y, int64_t n);
void quantize_row_q8_1(const float* x, void* y, int64_t n);
void dequantize_row_q8_1(const void* x, float* y, int64_t n);
// quantize_k_low.cpp
void quantize_row_q2_K(const float* x, void* y, int64_t n);
void dequantize_row_q2_K(const void* x, float* y, int64_t n);
void quantize_row_q3_K(const float* x, void* y, int64_t n);
void dequantize_row_q3_K(const void* x, float* y, int64_t n);
// quantize_iq4.cpp
void quantize_row_iq4_nl(const float* x, void* y, int64_t n);
void dequantize_row_iq4_nl(const void* x, float* y, int64_t n);
void quantize_row_iq4_xs(const float* x, void* y, int64_t n);
void dequantize_row_iq4_xs(const void* x, float* y, int64_t n);

// dot.cpp: weight row . activation row (the type's vec_dot_type)
void vec_dot_f32(int64_t n, float* s, const void* x, const void* y);
void vec_dot_f16(int64_t n, float* s, const void* x, const void* y);
void vec_dot_bf16(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* x, const void* y);
// dot_more.cpp
void vec_dot_q4_1_q8_1(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_1_q8_1(int64_t n, float* s, const void* x, const void* y);
void vec_dot_iq4_nl_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_iq4_xs_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q2_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q3_K_q8_K(int64_t n, float* s, const void* x, const void* y);
// act.cpp
void swiglu(float* y, const float* g, const float* u, int64_t n);
void geglu(float* y, const float* g, const float* u, int64_t n);
void gelu(float* y, const float* x, int64_t n);
void softmax(float* x, int64_t n);

// mask.cpp
void apply_token_mask(float* logits, const uint32_t* mask, int64_t n);

// rope.cpp
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p);

// attention.cpp
void flash_attn(const FlashAttnArgs& a);

}  // namespace capibara::scalar
