// Each *_wrap.cpp adds its functions/classes to the exports; addon.cpp calls every one.
#pragma once
#include <napi.h>

#include <memory>

namespace capibara::tokenizer {
class Tokenizer;
}
namespace capibara::grammar {
struct CompiledGrammar;
}

namespace capibara::addon {

void init_kernels(Napi::Env env, Napi::Object exports);
void init_gguf(Napi::Env env, Napi::Object exports);
void init_quant(Napi::Env env, Napi::Object exports);
void init_tokenizer(Napi::Env env, Napi::Object exports);
void init_model(Napi::Env env, Napi::Object exports);
void init_session(Napi::Env env, Napi::Object exports);
void init_scheduler(Napi::Env env, Napi::Object exports);
void init_token_stream(Napi::Env env, Napi::Object exports);
void init_grammar(Napi::Env env, Napi::Object exports);
void init_vision(Napi::Env env, Napi::Object exports);
void init_embed(Napi::Env env, Napi::Object exports);

// Handles shared between modules (tokenizer_wrap.cpp, grammar_wrap.cpp); throw INVALID_ARGUMENT.
const tokenizer::Tokenizer& arg_tokenizer(const Napi::CallbackInfo& info, size_t i);
std::shared_ptr<const grammar::CompiledGrammar> compiled_grammar(Napi::Env env, Napi::Value v);

}  // namespace capibara::addon
