// Model glue: load (off the JS thread), facts, resident bytes, close; architectures(); the process's
// thread budget.
#include <string>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"
#include "gguf/reader.h"
#include "model/arch/arch.h"
#include "runtime/thread_pool.h"

namespace capibara::addon {

ModelBox& arg_model(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal() || !info[i].As<Napi::External<ModelBox>>().CheckTypeTag(&kModelTag))
    throw_invalid(info.Env(), "expected a model handle");
  return *info[i].As<Napi::External<ModelBox>>().Data();
}

std::shared_ptr<const model::Model> open_model(const Napi::CallbackInfo& info, size_t i) {
  ModelBox& box = arg_model(info, i);
  if (!box.model) throw_status(info.Env(), Status(ErrorCode::MODEL_CLOSED, "the model was closed"));
  return box.model;
}

namespace {

Napi::Value architectures(const Napi::CallbackInfo& info) {
  const auto names = model::architectures();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (uint32_t i = 0; i < names.size(); ++i) out.Set(i, names[i]);
  return out;
}

// setThreadBudget(n): threads computing at once over every model of the process; threadBudget().
Napi::Value set_budget(const Napi::CallbackInfo& info) {
  const int64_t n = arg_int(info, 0, "threads");
  if (n < 1 || n > 256) throw_invalid(info.Env(), "threads must be an integer in [1, 256]");
  set_thread_budget(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value budget(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), thread_budget()); }

// load(path, { repack? }): Promise<handle>. Opening, tokenizer, mapping, validation and repacking run
// on the libuv pool.
Napi::Value load(const Napi::CallbackInfo& info) {
  const std::string path = arg_string(info, 0, "path");
  model::LoadOptions opts;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsObject()) throw_invalid(info.Env(), "load options must be an object");
    const Napi::Value repack = info[1].As<Napi::Object>().Get("repack");
    if (!repack.IsUndefined()) {
      if (!repack.IsBoolean()) throw_invalid(info.Env(), "repack must be a boolean");
      opts.repack = repack.As<Napi::Boolean>().Value();
    }
  }
  // One open of the file serves the model (which owns the mapping) and the tokenizer.
  struct Loaded {
    std::shared_ptr<const model::Model> model;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  };
  return PromiseWorker<Loaded>::run(
      info.Env(), "capibara.loadModel",
      [path, opts]() -> Result<Loaded> {
        auto m = model::Model::load(path, opts);
        if (!m) return m.status();
        auto tok = tokenizer::Tokenizer::from_gguf(m.value()->file());  // copies what it needs
        if (!tok) return tok.status();
        return Loaded{std::shared_ptr<const model::Model>(m.take()), tok.take()};
      },
      [](Napi::Env env, Loaded& l) -> Napi::Value {
        auto ext = Napi::External<ModelBox>::New(env, new ModelBox{std::move(l.model), std::move(l.tokenizer)},
                                                 [](Napi::Env, ModelBox* b) { delete b; });
        ext.TypeTag(&kModelTag);
        return ext;
      });
}

// modelResidentBytes(handle) -> Promise<number>: the weights' bytes in memory now (file pages
// resident in this process plus packed copies), measured off the JS thread (it reads /proc).
Napi::Value resident_bytes(const Napi::CallbackInfo& info) {
  std::shared_ptr<const model::Model> m = open_model(info, 0);
  return PromiseWorker<double>::run(
      info.Env(), "capibara.modelResidentBytes", [m]() -> Result<double> { return static_cast<double>(m->resident_bytes()); },
      [](Napi::Env env, double& n) -> Napi::Value { return Napi::Number::New(env, n); });
}

// modelTokenizer(handle) -> tokenizer handle, read at load from the same file (once per model).
Napi::Value model_tokenizer(const Napi::CallbackInfo& info) {
  ModelBox& box = arg_model(info, 0);
  if (!box.tokenizer) throw_invalid(info.Env(), "modelTokenizer: the model's tokenizer was already taken");
  return wrap_tokenizer(info.Env(), std::move(box.tokenizer));
}

Napi::Value info_of(const Napi::CallbackInfo& info) {
  const auto m = open_model(info, 0);
  const model::ModelConfig& c = m->config();
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("architecture", c.arch);
  o.Set("name", c.name);
  o.Set("parameters", static_cast<double>(m->parameters()));
  o.Set("fileSize", static_cast<double>(m->file().file_size()));
  o.Set("packedBytes", static_cast<double>(m->packed_bytes()));
  o.Set("trainContextSize", static_cast<double>(c.n_ctx_train));
  o.Set("vocabSize", static_cast<double>(c.n_vocab));
  o.Set("embeddingSize", static_cast<double>(c.n_embd));
  o.Set("layers", static_cast<double>(c.n_layer));
  o.Set("heads", static_cast<double>(c.n_head));
  o.Set("kvHeads", static_cast<double>(c.n_head_kv));
  o.Set("headDim", static_cast<double>(c.head_dim));
  o.Set("feedForwardSize", static_cast<double>(c.n_ff));
  return o;
}

// close(handle): drops the handle's reference (idempotent).
Napi::Value close(const Napi::CallbackInfo& info) {
  arg_model(info, 0).model.reset();
  return info.Env().Undefined();
}

}  // namespace

void init_model(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("architectures", Napi::Function::New(env, architectures, "architectures"));
  e.Set("setThreadBudget", Napi::Function::New(env, set_budget, "setThreadBudget"));
  e.Set("threadBudget", Napi::Function::New(env, budget, "threadBudget"));
  e.Set("loadModel", Napi::Function::New(env, load, "loadModel"));
  e.Set("modelInfo", Napi::Function::New(env, info_of, "modelInfo"));
  e.Set("modelResidentBytes", Napi::Function::New(env, resident_bytes, "modelResidentBytes"));
  e.Set("modelTokenizer", Napi::Function::New(env, model_tokenizer, "modelTokenizer"));
  e.Set("closeModel", Napi::Function::New(env, close, "closeModel"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
