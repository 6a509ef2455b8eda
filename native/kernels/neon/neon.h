// neon kernels: same signatures as scalar/scalar.h; only this folder is compiled with neon flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::neon {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);

}  // namespace capibara::neon
