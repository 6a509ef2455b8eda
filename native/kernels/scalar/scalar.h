// Scalar reference kernels: readable maths, compiled with auto-vectorisation off so "scalar" means
// scalar. Every SIMD variant is tested against these. Signatures are the types in kernels.h.
#pragma once
#include "kernels/kernels.h"

namespace capibara::scalar {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);
void layernorm(float* y, const float* x, const float* w, int64_t n, float eps);

}  // namespace capibara::scalar
