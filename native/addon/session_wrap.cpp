// Session glue: create/dispose a sequence over a model, evaluate tokens off the JS thread (logits
// of the last one), clear, abort.
#include <string>
#include <vector>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"

namespace capibara::addon {

SessionBox& arg_session(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal() || !info[i].As<Napi::External<SessionBox>>().CheckTypeTag(&kSessionTag))
    throw_invalid(info.Env(), "expected a session handle");
  return *info[i].As<Napi::External<SessionBox>>().Data();
}

namespace {

// createSession(model, { contextSize?, threads?, batchSize? }) -> handle
Napi::Value create(const Napi::CallbackInfo& info) {
  auto m = open_model(info, 0);
  if (info.Length() < 2 || !info[1].IsObject()) throw_invalid(info.Env(), "createSession expects an options object");
  const Napi::Object o = info[1].As<Napi::Object>();
  model::SessionOptions opts;
  opts.n_ctx = opt_int(o, "contextSize", 0);
  opts.n_threads = static_cast<int>(opt_int(o, "threads", 1));
  opts.n_batch = opt_int(o, "batchSize", 64);
  if (opts.n_ctx < 0 || opts.n_threads < 1 || opts.n_threads > 256 || opts.n_batch < 1 || opts.n_batch > 4096)
    throw_invalid(info.Env(), "createSession: contextSize >= 0, threads in [1, 256], batchSize in [1, 4096]");
  auto s = model::Session::create(*m, opts);
  if (!s) throw_status(info.Env(), s.status());
  auto* box = new SessionBox();
  box->model = std::move(m);
  box->session = s.take();
  box->session->set_abort_flag(&box->abort);
  auto ext = Napi::External<SessionBox>::New(info.Env(), box, [](Napi::Env, SessionBox* b) { delete b; });
  ext.TypeTag(&kSessionTag);
  return ext;
}

// sessionEval(session, tokens: Int32Array, wantLogits: boolean): Promise<Float32Array | null>
Napi::Value eval(const Napi::CallbackInfo& info) {
  SessionBox& box = arg_session(info, 0);
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_invalid(info.Env(), "tokens must be an Int32Array");
  Napi::Int32Array arr = info[1].As<Napi::Int32Array>();
  auto tokens = std::make_shared<std::vector<int32_t>>(arr.Data(), arr.Data() + arr.ElementLength());
  const bool want = info.Length() > 2 && info[2].ToBoolean().Value();
  auto guard = std::make_shared<BusyGuard>(info.Env(), box);
  model::Session* s = box.session.get();
  auto keep = box.model;  // the weights outlive the job even if the model is closed meanwhile
  using Logits = std::vector<float>;
  return PromiseWorker<Logits>::run(
      info.Env(), "capibara.sessionEval",
      [s, tokens, want, guard, keep]() -> Result<Logits> {
        Logits out(want ? static_cast<size_t>(keep->config().n_vocab) : 0);
        Status st = s->eval(tokens->data(), static_cast<int64_t>(tokens->size()), want ? out.data() : nullptr);
        if (!st) return st;
        return out;
      },
      [want](Napi::Env env, Logits& l) -> Napi::Value {
        if (!want) return env.Null();
        Napi::Float32Array a = Napi::Float32Array::New(env, l.size());
        std::copy(l.begin(), l.end(), a.Data());
        return a;
      });
}

// sessionEvalEmbd(session, rows: Float32Array [n][n_embd], bidirectional: boolean, wantLogits: boolean):
// Promise<Float32Array | null> -- appends embedding rows (an image's tokens) to the sequence.
Napi::Value eval_embd(const Napi::CallbackInfo& info) {
  SessionBox& box = arg_session(info, 0);
  Napi::Float32Array arr = arg_f32(info, 1, "rows");
  const int64_t E = box.model ? box.model->config().n_embd : 0;
  if (E == 0 || arr.ElementLength() == 0 || arr.ElementLength() % static_cast<size_t>(E) != 0)
    throw_invalid(info.Env(), "rows must hold a positive multiple of n_embd (" + std::to_string(E) + ") floats");
  auto rows = std::make_shared<std::vector<float>>(arr.Data(), arr.Data() + arr.ElementLength());
  const bool bidirectional = info.Length() > 2 && info[2].ToBoolean().Value();
  const bool want = info.Length() > 3 && info[3].ToBoolean().Value();
  auto guard = std::make_shared<BusyGuard>(info.Env(), box);
  model::Session* s = box.session.get();
  auto keep = box.model;
  using Logits = std::vector<float>;
  return PromiseWorker<Logits>::run(
      info.Env(), "capibara.sessionEvalEmbd",
      [s, rows, E, bidirectional, want, guard, keep]() -> Result<Logits> {
        Logits out(want ? static_cast<size_t>(keep->config().n_vocab) : 0);
        Status st = s->eval_embd(rows->data(), static_cast<int64_t>(rows->size()) / E, bidirectional, want ? out.data() : nullptr);
        if (!st) return st;
        return out;
      },
      [want](Napi::Env env, Logits& l) -> Napi::Value {
        if (!want) return env.Null();
        Napi::Float32Array a = Napi::Float32Array::New(env, l.size());
        std::copy(l.begin(), l.end(), a.Data());
        return a;
      });
}

// sessionTrace(session, tokens: Int32Array): Promise<{ name, layer, data }[]> -- evaluates like
// sessionEval and returns every debug tap (llama.cpp names: "attn_norm", il ...), last token's row.
Napi::Value trace(const Napi::CallbackInfo& info) {
  SessionBox& box = arg_session(info, 0);
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_invalid(info.Env(), "tokens must be an Int32Array");
  Napi::Int32Array arr = info[1].As<Napi::Int32Array>();
  auto tokens = std::make_shared<std::vector<int32_t>>(arr.Data(), arr.Data() + arr.ElementLength());
  auto guard = std::make_shared<BusyGuard>(info.Env(), box);
  model::Session* s = box.session.get();
  auto keep = box.model;
  struct Tap {
    std::string name;
    int64_t layer;
    std::vector<float> data;
  };
  using Taps = std::vector<Tap>;
  return PromiseWorker<Taps>::run(
      info.Env(), "capibara.sessionTrace",
      [s, tokens, guard, keep]() -> Result<Taps> {
        Taps taps;
        s->set_tap([&taps](const char* name, int64_t il, const float* data, int64_t n_tok, int64_t width) {
          const float* last = data + (n_tok - 1) * width;
          taps.push_back({name, il, std::vector<float>(last, last + width)});
        });
        std::vector<float> logits(static_cast<size_t>(keep->config().n_vocab));
        Status st = s->eval(tokens->data(), static_cast<int64_t>(tokens->size()), logits.data());
        s->set_tap(nullptr);
        if (!st) return st;
        return taps;
      },
      [](Napi::Env env, Taps& taps) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, taps.size());
        for (uint32_t i = 0; i < taps.size(); ++i) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", taps[i].name);
          o.Set("layer", static_cast<double>(taps[i].layer));
          Napi::Float32Array a = Napi::Float32Array::New(env, taps[i].data.size());
          std::copy(taps[i].data.begin(), taps[i].data.end(), a.Data());
          o.Set("data", a);
          out.Set(i, o);
        }
        return out;
      });
}

Napi::Value clear(const Napi::CallbackInfo& info) {
  SessionBox& box = arg_session(info, 0);
  BusyGuard g(info.Env(), box);
  box.session->clear();
  return info.Env().Undefined();
}

Napi::Value abort(const Napi::CallbackInfo& info) {
  arg_session(info, 0).abort.store(true);
  return info.Env().Undefined();
}

// sessionDispose(session): frees the KV cache now; the caller must not dispose a busy session.
Napi::Value dispose(const Napi::CallbackInfo& info) {
  SessionBox& box = arg_session(info, 0);
  if (box.busy.load()) throw_invalid(info.Env(), "cannot dispose a busy session (abort and await it first)");
  box.session.reset();
  box.model.reset();
  return info.Env().Undefined();
}

}  // namespace

void init_session(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("createSession", Napi::Function::New(env, create, "createSession"));
  e.Set("sessionEval", Napi::Function::New(env, eval, "sessionEval"));
  e.Set("sessionEvalEmbd", Napi::Function::New(env, eval_embd, "sessionEvalEmbd"));
  e.Set("sessionTrace", Napi::Function::New(env, trace, "sessionTrace"));
  e.Set("sessionClear", Napi::Function::New(env, clear, "sessionClear"));
  e.Set("sessionAbort", Napi::Function::New(env, abort, "sessionAbort"));
  e.Set("sessionDispose", Napi::Function::New(env, dispose, "sessionDispose"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
