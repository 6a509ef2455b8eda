// Each *_wrap.cpp adds its functions/classes to the exports; addon.cpp calls every one.
#pragma once
#include <napi.h>

namespace capibara::addon {

void init_kernels(Napi::Env env, Napi::Object exports);
void init_gguf(Napi::Env env, Napi::Object exports);
void init_quant(Napi::Env env, Napi::Object exports);
void init_tokenizer(Napi::Env env, Napi::Object exports);
void init_model(Napi::Env env, Napi::Object exports);
void init_session(Napi::Env env, Napi::Object exports);
void init_scheduler(Napi::Env env, Napi::Object exports);
void init_token_stream(Napi::Env env, Napi::Object exports);

}  // namespace capibara::addon
