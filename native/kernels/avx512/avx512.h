// avx512 kernels: same signatures as scalar/scalar.h; only this folder is compiled with avx512 flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::avx512 {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);

}  // namespace capibara::avx512
