// Module init: per-env data, initialize(errorFactory), and the exports of every wrap module.
#include <napi.h>

#include "addon/addon_data.h"
#include "addon/convert.h"
#include "addon/modules.h"

namespace capibara::addon {

AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

namespace {

// initialize({ makeError(code, message) }): lib/native.ts calls this once after loading.
Napi::Value initialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "initialize expects an options object");
  Napi::Value factory = info[0].As<Napi::Object>().Get("makeError");
  if (!factory.IsFunction()) throw_invalid(env, "initialize: makeError must be a function");
  addon_data(env).make_error = Napi::Persistent(factory.As<Napi::Function>());
  return env.Undefined();
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());  // deleted by node-addon-api's env cleanup hook
  exports.Set("initialize", Napi::Function::New(env, initialize, "initialize"));
  init_kernels(env, exports);
  init_gguf(env, exports);
  init_quant(env, exports);
  init_tokenizer(env, exports);
  init_model(env, exports);
  init_session(env, exports);
  init_scheduler(env, exports);
  init_token_stream(env, exports);
  init_grammar(env, exports);
  init_vision(env, exports);
  init_embed(env, exports);
  return exports;
}

}  // namespace
}  // namespace capibara::addon

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified name.
static Napi::Object InitCapibara(Napi::Env env, Napi::Object exports) { return capibara::addon::init(env, exports); }
NODE_API_MODULE(capibara, InitCapibara)
