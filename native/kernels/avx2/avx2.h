// avx2 kernels: same signatures as scalar/scalar.h; only this folder is compiled with avx2 flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::avx2 {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);
void layernorm(float* y, const float* x, const float* w, int64_t n, float eps);

// act.cpp
void swiglu(float* y, const float* g, const float* u, int64_t n);
void geglu(float* y, const float* g, const float* u, int64_t n);
void softmax(float* x, int64_t n);

// rope.cpp
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p);
// cos/sin tables for pairs [i0, i0 + m), m <= kRopeChunk, advancing the angle recurrence *theta.
// NeoX: c[k], s[k] per pair. Normal: two entries per pair, c = (c, c), s = (-s, +s), so adjacent
// pairs rotate as x * c + swap_adjacent(x) * s. c and s hold 2 * kRopeChunk floats, 32-byte aligned.
constexpr int64_t kRopeChunk = 64;
void rope_tables(const RopeParams& p, float theta_scale, float* theta, int64_t i0, int64_t m, float* c, float* s);

// attention.cpp
void flash_attn(const FlashAttnArgs& a);

}  // namespace capibara::avx2
