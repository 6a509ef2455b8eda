// Kernels callable from JS on typed arrays, with an ISA argument, for tests and benchmarks.
// Every shape is checked here, so no JS input can make a kernel read or write out of bounds.
// Each op is prepared once from its arguments (checked, output allocated) into a Call; the op's
// entry point runs it once, benchKernel runs it many times under a native timer.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>

#include "addon/convert.h"
#include "addon/modules.h"
#include "common/cpu_features.h"
#include "kernels/kernels.h"

namespace capibara::addon {

namespace {

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
  set_kernel_isa(arg_kernels(info, 0).isa);
  return info.Env().Undefined();
}

// Copy of a Float32Array (for ops that work in place).
Napi::Float32Array copy_f32(Napi::Env env, const Napi::Float32Array& x) {
  Napi::Float32Array y = Napi::Float32Array::New(env, x.ElementLength());
  std::copy(x.Data(), x.Data() + x.ElementLength(), y.Data());
  return y;
}

Napi::Uint16Array arg_u16(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array)
    throw_invalid(info.Env(), std::string(name) + " must be a Uint16Array (F16 bit patterns)");
  return info[i].As<Napi::Uint16Array>();
}

Napi::Object arg_object(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsObject()) throw_invalid(info.Env(), std::string(name) + " must be an object");
  return info[i].As<Napi::Object>();
}

// Property readers: fallback when the property is undefined; a wrong type or range is an error.
double prop_number(Napi::Env env, const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue()))
    throw_invalid(env, std::string(key) + " must be a finite number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t prop_int(Napi::Env env, const Napi::Object& o, const char* key, int64_t fallback, int64_t min) {
  const double v = prop_number(env, o, key, static_cast<double>(fallback));
  if (v != std::floor(v) || v < static_cast<double>(min) || v > 9007199254740991.0)
    throw_invalid(env, std::string(key) + " must be an integer >= " + std::to_string(min));
  return static_cast<int64_t>(v);
}

// A checked, ready-to-run kernel call and the JS value it fills.
struct Call {
  std::function<void()> run;
  Napi::Value result;
};
using PrepareFn = Call (*)(const Napi::CallbackInfo& info, size_t base);

// (rmsnorm|layernorm)(backend, x, w|null, eps) -> Float32Array
template <RmsNormFn Kernels::*Op>
Call prepare_norm(const Napi::CallbackInfo& info, size_t b) {
  const Kernels& k = arg_kernels(info, b);
  Napi::Float32Array x = arg_f32(info, b + 1, "x");
  Napi::Float32Array w = arg_f32_opt(info, b + 2, "w");
  const float eps = static_cast<float>(arg_number(info, b + 3, "eps"));
  if (!w.IsEmpty() && w.ElementLength() != x.ElementLength()) throw_invalid(info.Env(), "w must have x's length");
  Napi::Float32Array y = Napi::Float32Array::New(info.Env(), x.ElementLength());
  const float* wp = w.IsEmpty() ? nullptr : w.Data();
  const int64_t n = static_cast<int64_t>(x.ElementLength());
  return {[kp = &k, xp = x.Data(), wp, yp = y.Data(), n, eps] { (kp->*Op)(yp, xp, wp, n, eps); }, y};
}

// (swiglu|geglu)(backend, g, u) -> Float32Array
template <GatedActFn Kernels::*Op>
Call prepare_gated(const Napi::CallbackInfo& info, size_t b) {
  const Kernels& k = arg_kernels(info, b);
  Napi::Float32Array g = arg_f32(info, b + 1, "g");
  Napi::Float32Array u = arg_f32(info, b + 2, "u");
  if (g.ElementLength() != u.ElementLength()) throw_invalid(info.Env(), "g and u must have the same length");
  Napi::Float32Array y = Napi::Float32Array::New(info.Env(), g.ElementLength());
  const int64_t n = static_cast<int64_t>(g.ElementLength());
  return {[kp = &k, gp = g.Data(), up = u.Data(), yp = y.Data(), n] { (kp->*Op)(yp, gp, up, n); }, y};
}

// gelu(backend, x) -> Float32Array
Call prepare_gelu(const Napi::CallbackInfo& info, size_t b) {
  const Kernels& k = arg_kernels(info, b);
  Napi::Float32Array x = arg_f32(info, b + 1, "x");
  Napi::Float32Array y = Napi::Float32Array::New(info.Env(), x.ElementLength());
  const int64_t n = static_cast<int64_t>(x.ElementLength());
  return {[kp = &k, xp = x.Data(), yp = y.Data(), n] { kp->gelu(yp, xp, n); }, y};
}

// softmax(backend, x) -> new Float32Array
Call prepare_softmax(const Napi::CallbackInfo& info, size_t b) {
  const Kernels& k = arg_kernels(info, b);
  Napi::Float32Array x = arg_f32(info, b + 1, "x");
  if (x.ElementLength() == 0) throw_invalid(info.Env(), "softmax needs at least one value");
  Napi::Float32Array y = copy_f32(info.Env(), x);
  const int64_t n = static_cast<int64_t>(y.ElementLength());
  return {[kp = &k, yp = y.Data(), n] { kp->softmax(yp, n); }, y};
}

// rope(backend, x, nHeads, headDim, pos, {nDims, neox, freqBase, freqScale, freqFactors, attnFactor})
//   -> new Float32Array
Call prepare_rope(const Napi::CallbackInfo& info, size_t b) {
  Napi::Env env = info.Env();
  const Kernels& k = arg_kernels(info, b);
  Napi::Float32Array x = arg_f32(info, b + 1, "x");
  const int64_t n_heads = arg_int(info, b + 2, "nHeads");
  const int64_t head_dim = arg_int(info, b + 3, "headDim");
  const int64_t pos = arg_int(info, b + 4, "pos");
  Napi::Object o = arg_object(info, b + 5, "params");
  if (n_heads < 1 || head_dim < 2) throw_invalid(env, "nHeads must be >= 1 and headDim >= 2");
  if (pos < 0) throw_invalid(env, "pos must be >= 0");
  const int64_t len = static_cast<int64_t>(x.ElementLength());
  if (head_dim > len || n_heads != len / head_dim || len % head_dim != 0)
    throw_invalid(env, "x must hold nHeads * headDim values");
  RopeParams p;
  const int64_t n_dims = prop_int(env, o, "nDims", head_dim, 2);
  if (n_dims % 2 != 0 || n_dims > head_dim) throw_invalid(env, "nDims must be even and <= headDim");
  p.n_dims = static_cast<int>(n_dims);
  const Napi::Value neox = o.Get("neox");
  if (!neox.IsUndefined() && !neox.IsBoolean()) throw_invalid(env, "neox must be a boolean");
  p.neox = neox.IsBoolean() && neox.As<Napi::Boolean>().Value();
  p.freq_base = static_cast<float>(prop_number(env, o, "freqBase", 10000.0));
  p.freq_scale = static_cast<float>(prop_number(env, o, "freqScale", 1.0));
  p.attn_factor = static_cast<float>(prop_number(env, o, "attnFactor", 1.0));
  if (!(p.freq_base > 0.0f) || !(p.freq_scale > 0.0f)) throw_invalid(env, "freqBase and freqScale must be > 0");
  const Napi::Value ff = o.Get("freqFactors");
  if (!ff.IsUndefined() && !ff.IsNull()) {
    if (!ff.IsTypedArray() || ff.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw_invalid(env, "freqFactors must be a Float32Array");
    Napi::Float32Array factors = ff.As<Napi::Float32Array>();
    if (factors.ElementLength() != static_cast<size_t>(n_dims / 2)) throw_invalid(env, "freqFactors must hold nDims / 2 values");
    p.freq_factors = factors.Data();  // the array stays alive with the call's arguments
  }
  Napi::Float32Array y = copy_f32(env, x);
  return {[kp = &k, yp = y.Data(), n_heads, head_dim, pos, p] { kp->rope(yp, n_heads, head_dim, pos, p); }, y};
}

// flashAttention(backend, q, k, v, {nHead, nKvHead, headDim, qPos0, window, kvEnd, scale, softcap,
//   headBegin, headEnd}) -> Float32Array [nQ][nHead][headDim]. Dense layouts: q is
// [nQ][nHead][headDim] f32, k/v are [nKv][nKvHead][headDim] F16 bits with nKv >= qPos0 + nQ.
Call prepare_flash_attention(const Napi::CallbackInfo& info, size_t b) {
  Napi::Env env = info.Env();
  const Kernels& k = arg_kernels(info, b);
  Napi::Float32Array q = arg_f32(info, b + 1, "q");
  Napi::Uint16Array kc = arg_u16(info, b + 2, "k");
  Napi::Uint16Array vc = arg_u16(info, b + 3, "v");
  Napi::Object o = arg_object(info, b + 4, "params");
  FlashAttnArgs a;
  a.n_head = prop_int(env, o, "nHead", 0, 1);
  a.n_kv_head = prop_int(env, o, "nKvHead", a.n_head, 1);
  a.head_dim = prop_int(env, o, "headDim", 0, 1);
  if (a.n_head % a.n_kv_head != 0) throw_invalid(env, "nHead must be a multiple of nKvHead");
  if (a.head_dim > static_cast<int64_t>(q.ElementLength()) / a.n_head)
    throw_invalid(env, "q must hold nQ * nHead * headDim values (nQ >= 1)");
  const int64_t q_row = a.n_head * a.head_dim, kv_row = a.n_kv_head * a.head_dim;
  if (q.ElementLength() % static_cast<size_t>(q_row) != 0) throw_invalid(env, "q must hold nQ * nHead * headDim values (nQ >= 1)");
  if (kc.ElementLength() != vc.ElementLength() || kc.ElementLength() % static_cast<size_t>(kv_row) != 0)
    throw_invalid(env, "k and v must have the same length, a multiple of nKvHead * headDim");
  a.n_q = static_cast<int64_t>(q.ElementLength()) / q_row;
  a.q_pos0 = prop_int(env, o, "qPos0", 0, 0);
  a.kv_end = prop_int(env, o, "kvEnd", 0, 0);
  if (static_cast<int64_t>(kc.ElementLength()) / kv_row < std::max(a.q_pos0 + a.n_q, a.kv_end))
    throw_invalid(env, "k and v must hold at least max(qPos0 + nQ, kvEnd) positions");
  a.window = prop_int(env, o, "window", 0, 0);
  a.scale = static_cast<float>(prop_number(env, o, "scale", 1.0 / std::sqrt(static_cast<double>(a.head_dim))));
  a.softcap = static_cast<float>(prop_number(env, o, "softcap", 0.0));
  if (a.softcap < 0.0f) throw_invalid(env, "softcap must be >= 0");
  a.head_begin = prop_int(env, o, "headBegin", 0, 0);
  a.head_end = prop_int(env, o, "headEnd", a.n_head, 0);
  if (a.head_begin > a.head_end || a.head_end > a.n_head) throw_invalid(env, "need 0 <= headBegin <= headEnd <= nHead");
  Napi::Float32Array out = Napi::Float32Array::New(env, q.ElementLength());  // zero: heads not computed stay 0
  a.q = q.Data();
  a.q_stride = q_row;
  a.k = kc.Data();
  a.v = vc.Data();
  a.kv_stride = kv_row;
  a.out = out.Data();
  a.out_stride = q_row;
  return {[kp = &k, a] { kp->flash_attn(a); }, out};
}

struct Op {
  const char* name;
  PrepareFn prepare;
};
constexpr Op kOps[] = {
    {"rmsnorm", prepare_norm<&Kernels::rmsnorm>}, {"layernorm", prepare_norm<&Kernels::layernorm>},
    {"swiglu", prepare_gated<&Kernels::swiglu>},  {"geglu", prepare_gated<&Kernels::geglu>},
    {"gelu", prepare_gelu},
    {"softmax", prepare_softmax},                  {"rope", prepare_rope},
    {"flashAttention", prepare_flash_attention},
};

// The JS entry point of one op (the Op is the function's data).
Napi::Value run_once(const Napi::CallbackInfo& info) {
  Call c = static_cast<const Op*>(info.Data())->prepare(info, 0);
  c.run();
  return c.result;
}

// benchKernel(op, iterations, ...op's arguments) -> seconds per call, timed natively after one
// warm-up call. In-place ops (softmax, rope) keep working on their own output.
Napi::Value bench_kernel(const Napi::CallbackInfo& info) {
  const std::string name = arg_string(info, 0, "op");
  const int64_t iterations = arg_int(info, 1, "iterations");
  if (iterations < 1) throw_invalid(info.Env(), "iterations must be >= 1");
  const auto op = std::find_if(std::begin(kOps), std::end(kOps), [&](const Op& o) { return name == o.name; });
  if (op == std::end(kOps)) throw_invalid(info.Env(), "unknown kernel '" + name + "'");
  Call c = op->prepare(info, 2);
  c.run();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) c.run();
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  return Napi::Number::New(info.Env(), dt.count() / static_cast<double>(iterations));
}

}  // namespace

void init_kernels(Napi::Env env, Napi::Object exports) {
  Napi::Object k = Napi::Object::New(env);
  k.Set("cpuInfo", Napi::Function::New(env, cpu_info, "cpuInfo"));
  k.Set("setIsa", Napi::Function::New(env, set_isa, "setIsa"));
  for (const Op& op : kOps) k.Set(op.name, Napi::Function::New(env, run_once, op.name, const_cast<Op*>(&op)));
  k.Set("benchKernel", Napi::Function::New(env, bench_kernel, "benchKernel"));
  exports.Set("kernels", k);
}

}  // namespace capibara::addon
