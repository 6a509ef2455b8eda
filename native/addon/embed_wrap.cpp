// Embedding glue: embed(model, tokens, offsets, { pooling?, threads? }) runs off the JS thread;
// declaredPooling(model) names the pooling the file declares.
#include <memory>
#include <string>
#include <vector>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"
#include "model/embed.h"

namespace capibara::addon {

namespace {

const char* pooling_name(model::Pooling p) {
  switch (p) {
    case model::Pooling::Mean: return "mean";
    case model::Pooling::Cls: return "cls";
    case model::Pooling::Last: return "last";
  }
  return "last";
}

model::Pooling declared(Napi::Env env, const model::Model& m) {
  auto p = model::declared_pooling(m);
  if (!p) throw_status(env, p.status());
  return p.value();
}

Napi::Value declared_pooling(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pooling_name(declared(info.Env(), *open_model(info, 0))));
}

// embed(model, tokens: Int32Array, offsets: Float64Array [n + 1], { pooling?, threads? }):
// Promise<Float32Array [n][n_embd]>, each row L2-normalised.
Napi::Value embed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto m = open_model(info, 0);
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_invalid(env, "tokens must be an Int32Array");
  if (info.Length() < 3 || !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw_invalid(env, "offsets must be a Float64Array");
  Napi::Int32Array tok = info[1].As<Napi::Int32Array>();
  Napi::Float64Array off = info[2].As<Napi::Float64Array>();
  const size_t n_tok = tok.ElementLength();
  if (off.ElementLength() < 1 || off[0] != 0.0 || off[off.ElementLength() - 1] != static_cast<double>(n_tok))
    throw_invalid(env, "offsets must start at 0 and end at the token count");
  auto offsets = std::make_shared<std::vector<int64_t>>(off.ElementLength());
  for (size_t i = 0; i < off.ElementLength(); ++i) {
    const double v = off[i];
    if (v != static_cast<double>(static_cast<int64_t>(v)) || (i > 0 && v < static_cast<double>((*offsets)[i - 1])))
      throw_invalid(env, "offsets must be non-decreasing integers");
    (*offsets)[i] = static_cast<int64_t>(v);
  }
  auto tokens = std::make_shared<std::vector<int32_t>>(tok.Data(), tok.Data() + n_tok);
  model::EmbedOptions opts;
  bool pooling_given = false;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsObject()) throw_invalid(env, "embed options must be an object");
    const Napi::Object o = info[3].As<Napi::Object>();
    const Napi::Value pooling = o.Get("pooling");
    if (!pooling.IsUndefined()) {
      const std::string p = pooling.IsString() ? pooling.As<Napi::String>().Utf8Value() : "";
      if (p == "mean") opts.pooling = model::Pooling::Mean;
      else if (p == "cls") opts.pooling = model::Pooling::Cls;
      else if (p == "last") opts.pooling = model::Pooling::Last;
      else throw_invalid(env, "pooling must be 'mean', 'cls' or 'last'");
      pooling_given = true;
    }
    const Napi::Value threads = o.Get("threads");
    if (!threads.IsUndefined()) {
      const double t = threads.IsNumber() ? threads.As<Napi::Number>().DoubleValue() : 0;
      if (t != static_cast<double>(static_cast<int>(t)) || t < 1 || t > 256) throw_invalid(env, "threads must be an integer in [1, 256]");
      opts.n_threads = static_cast<int>(t);
    }
  }
  // Read only when needed, so a file declaring a pooling we do not do still embeds with an explicit one.
  if (!pooling_given) opts.pooling = declared(env, *m);
  using Rows = std::vector<float>;
  return PromiseWorker<Rows>::run(
      env, "capibara.embed",
      [m, tokens, offsets, opts]() -> Result<Rows> {
        const int64_t n_seq = static_cast<int64_t>(offsets->size()) - 1;
        Rows out(static_cast<size_t>(n_seq * m->config().n_embd));
        Status st = model::embed(*m, tokens->data(), offsets->data(), n_seq, opts, out.data());
        if (!st) return st;
        return out;
      },
      [](Napi::Env e, Rows& r) -> Napi::Value {
        Napi::Float32Array a = Napi::Float32Array::New(e, r.size());
        std::copy(r.begin(), r.end(), a.Data());
        return a;
      });
}

}  // namespace

void init_embed(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("embed", Napi::Function::New(env, embed, "embed"));
  e.Set("declaredPooling", Napi::Function::New(env, declared_pooling, "declaredPooling"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
