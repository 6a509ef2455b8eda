// avx2 kernels: same signatures as scalar/scalar.h; only this folder is compiled with avx2 flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::avx2 {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);

}  // namespace capibara::avx2
