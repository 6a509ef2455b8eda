// avx512 kernels: same signatures as scalar/scalar.h; only this folder is compiled with avx512 flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::avx512 {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);
void layernorm(float* y, const float* x, const float* w, int64_t n, float eps);

// act.cpp (rope and flash attention use the AVX2 versions)
void swiglu(float* y, const float* g, const float* u, int64_t n);
void geglu(float* y, const float* g, const float* u, int64_t n);
void softmax(float* x, int64_t n);

}  // namespace capibara::avx512
