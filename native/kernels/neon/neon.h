// neon kernels: same signatures as scalar/scalar.h; only this folder is compiled with neon flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::neon {

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

}  // namespace capibara::neon
