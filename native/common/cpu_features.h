// What the CPU we run on can do; read once (cpuid on x86-64, HWCAP on aarch64).
#pragma once

namespace capibara {

struct CpuFeatures {
  // x86-64
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  // aarch64
  bool neon = false;
  bool dotprod = false;
  bool i8mm = false;
  bool fp16 = false;
};

const CpuFeatures& cpu_features();

}  // namespace capibara
