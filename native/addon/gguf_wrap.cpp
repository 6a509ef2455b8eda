// GGUF inspection for JS: gguf.inspect(path, includeArrays) parses on the libuv pool and resolves
// with the header as plain JS values (64-bit integers as BigInt).
#include <memory>

#include "addon/convert.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"
#include "gguf/reader.h"

namespace capibara::addon {

namespace {

using gguf::GgufFile;
using gguf::Value;
using gguf::ValueType;

// Arrays longer than this are summarised ({ elementType, length }) unless includeArrays is set:
// a tokenizer vocabulary has 32k-256k entries that inspection rarely needs.
constexpr uint64_t kArraySummaryThreshold = 64;

std::string type_label(const Value& v) {
  if (v.type() != ValueType::ARRAY) return gguf::value_type_name(v.type());
  return std::string("array<") + gguf::value_type_name(v.elem_type()) + ">";
}

Napi::Value scalar_to_js(Napi::Env env, const Value& v) {
  switch (v.type()) {
    case ValueType::UINT8:
    case ValueType::UINT16:
    case ValueType::UINT32:
      return Napi::Number::New(env, static_cast<double>(v.raw_u64()));
    case ValueType::INT8:
    case ValueType::INT16:
    case ValueType::INT32:
      return Napi::Number::New(env, static_cast<double>(v.raw_i64()));
    case ValueType::UINT64:
      return Napi::BigInt::New(env, v.raw_u64());
    case ValueType::INT64:
      return Napi::BigInt::New(env, v.raw_i64());
    case ValueType::FLOAT32:
    case ValueType::FLOAT64:
      return Napi::Number::New(env, v.raw_f64());
    case ValueType::BOOL:
      return Napi::Boolean::New(env, v.raw_bool());
    case ValueType::STRING:
      return Napi::String::New(env, v.str().data(), v.str().size());
    case ValueType::ARRAY:
      break;
  }
  return env.Undefined();
}

Napi::Value value_to_js(Napi::Env env, const Value& v, bool include_arrays) {
  if (v.type() != ValueType::ARRAY) return scalar_to_js(env, v);
  if (!include_arrays && v.size() > kArraySummaryThreshold) {
    Napi::Object summary = Napi::Object::New(env);
    summary.Set("elementType", gguf::value_type_name(v.elem_type()));
    summary.Set("length", Napi::Number::New(env, static_cast<double>(v.size())));
    return summary;
  }
  Napi::Array out = Napi::Array::New(env, static_cast<size_t>(v.size()));
  for (uint32_t i = 0; i < v.size(); ++i) {
    switch (v.elem_type()) {
      case ValueType::STRING: {
        const std::string_view s = v.strings()[i];
        out.Set(i, Napi::String::New(env, s.data(), s.size()));
        break;
      }
      case ValueType::ARRAY:
        out.Set(i, value_to_js(env, v.items()[i], include_arrays));
        break;
      default:
        out.Set(i, scalar_to_js(env, gguf::array_element(v, i)));
    }
  }
  return out;
}

Napi::Value file_to_js(Napi::Env env, const GgufFile& f, bool include_arrays) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", f.version());
  o.Set("alignment", f.alignment());
  o.Set("dataOffset", Napi::Number::New(env, static_cast<double>(f.data_offset())));
  o.Set("fileSize", Napi::Number::New(env, static_cast<double>(f.file_size())));
  Napi::Object metadata = Napi::Object::New(env);
  Napi::Object types = Napi::Object::New(env);
  for (const gguf::KeyValue& kv : f.metadata()) {
    const std::string key(kv.key);
    metadata.Set(key, value_to_js(env, kv.value, include_arrays));
    types.Set(key, type_label(kv.value));
  }
  o.Set("metadata", metadata);
  o.Set("metadataTypes", types);
  Napi::Array tensors = Napi::Array::New(env, f.tensors().size());
  uint32_t i = 0;
  for (const gguf::TensorInfo& t : f.tensors()) {
    Napi::Object ti = Napi::Object::New(env);
    ti.Set("name", Napi::String::New(env, t.name.data(), t.name.size()));
    ti.Set("type", ggml_type_traits(t.type).name);
    ti.Set("typeId", static_cast<uint32_t>(t.type));
    Napi::Array shape = Napi::Array::New(env, t.n_dims);
    for (uint32_t d = 0; d < t.n_dims; ++d) shape.Set(d, Napi::Number::New(env, static_cast<double>(t.ne[d])));
    ti.Set("shape", shape);
    ti.Set("offset", Napi::Number::New(env, static_cast<double>(t.offset)));
    ti.Set("bytes", Napi::Number::New(env, static_cast<double>(t.nbytes)));
    ti.Set("elements", Napi::Number::New(env, static_cast<double>(t.n_elements())));
    tensors.Set(i++, ti);
  }
  o.Set("tensors", tensors);
  return o;
}

// inspect(path: string, includeArrays: boolean) -> Promise<RawGgufInspection>
Napi::Value inspect(const Napi::CallbackInfo& info) {
  std::string path = arg_string(info, 0, "path");
  const bool include_arrays = info.Length() > 1 && info[1].ToBoolean().Value();
  using FilePtr = std::unique_ptr<GgufFile>;
  return PromiseWorker<FilePtr>::run(
      info.Env(), "capibara.gguf.inspect", [path = std::move(path)]() { return GgufFile::open(path); },
      [include_arrays](Napi::Env env, FilePtr& f) { return file_to_js(env, *f, include_arrays); });
}

}  // namespace

void init_gguf(Napi::Env env, Napi::Object exports) {
  Napi::Object g = Napi::Object::New(env);
  g.Set("inspect", Napi::Function::New(env, inspect, "inspect"));
  exports.Set("gguf", g);
}

}  // namespace capibara::addon
