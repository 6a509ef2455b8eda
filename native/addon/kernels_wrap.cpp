// Kernels callable from JS on typed arrays, with an ISA argument, for tests and benchmarks.
#include "addon/convert.h"
#include "addon/modules.h"
#include "common/cpu_features.h"
#include "kernels/kernels.h"

namespace capibara::addon {

namespace {

const Kernels& arg_isa(const Napi::CallbackInfo& info, size_t i) {
  const std::string name = arg_string(info, i, "backend");
  Isa isa;
  if (!parse_isa(name.c_str(), &isa)) throw_invalid(info.Env(), "unknown kernel backend '" + name + "'");
  const Kernels* k = kernels_for(isa);
  if (!k) throw_invalid(info.Env(), "kernel backend '" + name + "' is not available on this CPU/build");
  return *k;
}

Napi::Value cpu_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuFeatures& f = cpu_features();
  Napi::Object o = Napi::Object::New(env);
  o.Set("active", isa_name(kernels().isa));
  Napi::Array avail = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < kIsaCount; ++i)
    if (kernels_for(static_cast<Isa>(i))) avail.Set(n++, isa_name(static_cast<Isa>(i)));
  o.Set("available", avail);
  Napi::Object feat = Napi::Object::New(env);
  feat.Set("avx2", f.avx2);
  feat.Set("fma", f.fma);
  feat.Set("f16c", f.f16c);
  feat.Set("avx512f", f.avx512f);
  feat.Set("avx512vnni", f.avx512vnni);
  feat.Set("neon", f.neon);
  feat.Set("dotprod", f.dotprod);
  feat.Set("i8mm", f.i8mm);
  o.Set("features", feat);
  return o;
}

Napi::Value set_isa(const Napi::CallbackInfo& info) {
  set_kernel_isa(arg_isa(info, 0).isa);
  return info.Env().Undefined();
}

// rmsnorm(backend, x, w|null, eps) -> Float32Array
Napi::Value rmsnorm(const Napi::CallbackInfo& info) {
  const Kernels& k = arg_isa(info, 0);
  Napi::Float32Array x = arg_f32(info, 1, "x");
  Napi::Float32Array w = arg_f32_opt(info, 2, "w");
  const float eps = static_cast<float>(arg_number(info, 3, "eps"));
  if (!w.IsEmpty() && w.ElementLength() != x.ElementLength()) throw_invalid(info.Env(), "w must have x's length");
  Napi::Float32Array y = Napi::Float32Array::New(info.Env(), x.ElementLength());
  k.rmsnorm(y.Data(), x.Data(), w.IsEmpty() ? nullptr : w.Data(), static_cast<int64_t>(x.ElementLength()), eps);
  return y;
}

}  // namespace

void init_kernels(Napi::Env env, Napi::Object exports) {
  Napi::Object k = Napi::Object::New(env);
  k.Set("cpuInfo", Napi::Function::New(env, cpu_info, "cpuInfo"));
  k.Set("setIsa", Napi::Function::New(env, set_isa, "setIsa"));
  k.Set("rmsnorm", Napi::Function::New(env, rmsnorm, "rmsnorm"));
  exports.Set("kernels", k);
}

}  // namespace capibara::addon
