// Scalar reference kernels: readable maths, compiled with auto-vectorisation off so "scalar" means
// scalar. Every SIMD variant is tested against these. Signatures are the types in kernels.h.
#pragma once
#include "kernels/kernels.h"

namespace capibara::scalar {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);
void layernorm(float* y, const float* x, const float* w, int64_t n, float eps);

// act.cpp
void swiglu(float* y, const float* g, const float* u, int64_t n);
void geglu(float* y, const float* g, const float* u, int64_t n);
void softmax(float* x, int64_t n);

// rope.cpp
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p);

// attention.cpp
void flash_attn(const FlashAttnArgs& a);

}  // namespace capibara::scalar
