// Argument checking for the glue: each helper throws a typed INVALID_ARGUMENT naming the argument.
#pragma once
#include <napi.h>

#include <string>

#include "addon/errors.h"
#include "kernels/kernels.h"

namespace capibara::addon {

inline Napi::Float32Array arg_f32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_invalid(info.Env(), std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

// Optional Float32Array: null/undefined -> empty handle.
inline Napi::Float32Array arg_f32_opt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return Napi::Float32Array();
  return arg_f32(info, i, name);
}

inline Napi::Uint8Array arg_u8(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_invalid(info.Env(), std::string(name) + " must be a Uint8Array");
  return info[i].As<Napi::Uint8Array>();
}

inline double arg_number(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw_invalid(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double v = arg_number(info, i, name);
  if (v != static_cast<double>(static_cast<int64_t>(v)))
    throw_invalid(info.Env(), std::string(name) + " must be an integer");
  return static_cast<int64_t>(v);
}

// Optional integer option `key` of an options object: `def` when absent.
inline int64_t opt_int(const Napi::Object& o, const char* key, int64_t def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() != static_cast<double>(v.As<Napi::Number>().Int64Value()))
    throw_invalid(o.Env(), std::string(key) + " must be an integer");
  return v.As<Napi::Number>().Int64Value();
}

inline std::string arg_string(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) throw_invalid(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// Kernel table named by a backend string ("scalar", "avx2", ...): unknown or unavailable -> INVALID_ARGUMENT.
inline const Kernels& arg_kernels(const Napi::CallbackInfo& info, size_t i) {
  const std::string name = arg_string(info, i, "backend");
  Isa isa;
  if (!parse_isa(name.c_str(), &isa)) throw_invalid(info.Env(), "unknown kernel backend '" + name + "'");
  const Kernels* k = kernels_for(isa);
  if (!k) throw_invalid(info.Env(), "kernel backend '" + name + "' is not available on this CPU/build");
  return *k;
}

}  // namespace capibara::addon
