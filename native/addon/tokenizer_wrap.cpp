// Tokenizer glue: build a Tokenizer from plain JS data (the GGUF tokenizer keys), then
// tokenize / detokenize / stream-decode through type-tagged externals.
#include <memory>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"

namespace capibara::addon {

namespace {
constexpr napi_type_tag kTokenizerTag = {0x6361706962617261ULL, 0x746f6b656e697a31ULL};
}  // namespace

Napi::External<tokenizer::Tokenizer> wrap_tokenizer(Napi::Env env, std::unique_ptr<tokenizer::Tokenizer> t) {
  auto ext = Napi::External<tokenizer::Tokenizer>::New(env, t.release(), [](Napi::Env, tokenizer::Tokenizer* p) { delete p; });
  ext.TypeTag(&kTokenizerTag);
  return ext;
}

namespace {

using tokenizer::StreamDecoder;
using tokenizer::Tokenizer;
using tokenizer::TokenizerData;

constexpr napi_type_tag kDecoderTag = {0x6361706962617261ULL, 0x6465636f64657231ULL};

// A decoder keeps its tokenizer's external alive through a reference.
struct DecoderBox {
  StreamDecoder decoder;
  Napi::Reference<Napi::External<Tokenizer>> owner;
};

DecoderBox& arg_decoder(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal() || !info[i].As<Napi::External<DecoderBox>>().CheckTypeTag(&kDecoderTag))
    throw_invalid(info.Env(), "expected a stream decoder handle");
  return *info[i].As<Napi::External<DecoderBox>>().Data();
}

bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBoolean()) throw_invalid(info.Env(), std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

int32_t arg_token(const Napi::CallbackInfo& info, size_t i, const Tokenizer& t) {
  const int64_t id = arg_int(info, i, "token");
  if (id < 0 || static_cast<uint64_t>(id) >= t.size())
    throw_invalid(info.Env(), "token id " + std::to_string(id) + " is out of range [0, " + std::to_string(t.size()) + ")");
  return static_cast<int32_t>(id);
}

std::vector<std::string> string_list(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsArray()) throw_invalid(env, std::string(name) + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) throw_invalid(env, std::string(name) + "[" + std::to_string(i) + "] must be a string");
    out[i] = e.As<Napi::String>().Utf8Value();
  }
  return out;
}

template <typename T, napi_typedarray_type kType>
std::vector<T> typed_list(Napi::Env env, Napi::Value v, const char* name, const char* type_name) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kType)
    throw_invalid(env, std::string(name) + " must be a " + type_name);
  Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
  return std::vector<T>(a.Data(), a.Data() + a.ElementLength());
}

std::optional<int32_t> opt_id(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsNumber()) throw_invalid(env, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int32_t>(d))) throw_invalid(env, std::string(key) + " must be an int32");
  return static_cast<int32_t>(d);
}

std::optional<bool> opt_bool(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsBoolean()) throw_invalid(env, std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string opt_string(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsString()) throw_invalid(env, std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::External<Tokenizer> wrap(Napi::Env env, std::unique_ptr<Tokenizer> t) { return wrap_tokenizer(env, std::move(t)); }

// create({model, pre?, tokens, scores?, tokenTypes?, merges?, bosId?, ..., addBos?, addEos?, addSpacePrefix?, name?})
Napi::Value create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "tokenizer data must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  TokenizerData d;
  d.model = opt_string(env, o, "model");
  d.pre = opt_string(env, o, "pre");
  d.model_name = opt_string(env, o, "name");
  d.chat_template = opt_string(env, o, "chatTemplate");
  d.tokens = string_list(env, o.Get("tokens"), "tokens");
  if (!o.Get("merges").IsUndefined()) d.merges = string_list(env, o.Get("merges"), "merges");
  d.scores = typed_list<float, napi_float32_array>(env, o.Get("scores"), "scores", "Float32Array");
  d.token_types = typed_list<int32_t, napi_int32_array>(env, o.Get("tokenTypes"), "tokenTypes", "Int32Array");
  d.bos_id = opt_id(env, o, "bosId");
  d.eos_id = opt_id(env, o, "eosId");
  d.eot_id = opt_id(env, o, "eotId");
  d.eom_id = opt_id(env, o, "eomId");
  d.unk_id = opt_id(env, o, "unkId");
  d.sep_id = opt_id(env, o, "sepId");
  d.pad_id = opt_id(env, o, "padId");
  d.add_bos = opt_bool(env, o, "addBos");
  d.add_eos = opt_bool(env, o, "addEos");
  d.add_space_prefix = opt_bool(env, o, "addSpacePrefix");
  Result<std::unique_ptr<Tokenizer>> r = Tokenizer::create(std::move(d));
  if (!r) throw_status(env, r.status());
  return wrap(env, r.take());
}

// Opens the GGUF and builds the tokenizer on the libuv pool (a 250k vocabulary takes ~0.3 s).
class FromGgufWorker : public Napi::AsyncWorker {
 public:
  FromGgufWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    Result<std::unique_ptr<gguf::GgufFile>> f = gguf::GgufFile::open(path_);
    if (!f) {
      status_ = f.status();
      return;
    }
    Result<std::unique_ptr<Tokenizer>> t = Tokenizer::from_gguf(*f.value());
    if (!t) {
      status_ = t.status();
      return;
    }
    tokenizer_ = t.take();
  }
  void OnOK() override {
    if (!status_) {
      deferred_.Reject(to_js_error(Env(), status_).Value());
      return;
    }
    deferred_.Resolve(wrap(Env(), std::move(tokenizer_)));
  }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  Status status_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

// fromGguf(path) -> Promise<handle>
Napi::Value from_gguf(const Napi::CallbackInfo& info) {
  auto* w = new FromGgufWorker(info.Env(), arg_string(info, 0, "path"));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value info(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const auto id = [&](int32_t v) { return v < 0 ? env.Null() : Napi::Number::New(env, v); };
  o.Set("size", Napi::Number::New(env, static_cast<double>(t.size())));
  o.Set("kind", t.is_spm() ? "spm" : "bpe");
  o.Set("bos", id(t.bos()));
  o.Set("eos", id(t.eos()));
  o.Set("eot", id(t.eot()));
  o.Set("pad", id(t.pad()));
  o.Set("addBos", t.add_bos());
  o.Set("addEos", t.add_eos());
  o.Set("addSpacePrefix", t.add_space_prefix());
  const std::vector<int32_t> eog = t.eog_ids();
  Napi::Int32Array eog_arr = Napi::Int32Array::New(env, eog.size());
  std::copy(eog.begin(), eog.end(), eog_arr.Data());
  o.Set("eog", eog_arr);
  o.Set("chatTemplate", t.chat_template().empty() ? env.Null() : Napi::String::New(env, t.chat_template()));
  return o;
}

// tokenize(handle, text, addSpecial, parseSpecial) -> Int32Array
Napi::Value tokenize(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  const std::string text = arg_string(info, 1, "text");
  Result<std::vector<int32_t>> r = t.tokenize(text, arg_bool(info, 2, "addSpecial"), arg_bool(info, 3, "parseSpecial"));
  if (!r) throw_status(info.Env(), r.status());
  const std::vector<int32_t>& ids = r.value();
  Napi::Int32Array out = Napi::Int32Array::New(info.Env(), ids.size());
  std::copy(ids.begin(), ids.end(), out.Data());
  return out;
}

// detokenize(handle, ids: Int32Array, removeSpecial, unparseSpecial) -> string
Napi::Value detokenize(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_invalid(info.Env(), "ids must be an Int32Array");
  Napi::Int32Array ids = info[1].As<Napi::Int32Array>();
  Result<std::string> r = t.detokenize(ids.Data(), ids.ElementLength(), arg_bool(info, 2, "removeSpecial"), arg_bool(info, 3, "unparseSpecial"));
  if (!r) throw_status(info.Env(), r.status());
  return Napi::String::New(info.Env(), r.value());
}

// piece(handle, id, special) -> Uint8Array (may hold part of a UTF-8 character)
Napi::Value piece(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  const std::string_view p = t.piece(arg_token(info, 1, t), arg_bool(info, 2, "special"));
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), p.size());
  std::copy(p.begin(), p.end(), out.Data());
  return out;
}

Napi::Value token_text(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  const std::string_view text = t.text(arg_token(info, 1, t));
  return Napi::String::New(info.Env(), text.data(), text.size());
}

Napi::Value token_attr(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  return Napi::Number::New(info.Env(), t.attr(arg_token(info, 1, t)));
}

Napi::Value is_eog(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  return Napi::Boolean::New(info.Env(), t.is_eog(arg_token(info, 1, t)));
}

// decoderCreate(handle, special) -> decoder handle
Napi::Value decoder_create(const Napi::CallbackInfo& info) {
  const Tokenizer& t = arg_tokenizer(info, 0);
  auto* box = new DecoderBox{StreamDecoder(t, arg_bool(info, 1, "special")), Napi::Persistent(info[0].As<Napi::External<Tokenizer>>())};
  auto ext = Napi::External<DecoderBox>::New(info.Env(), box, [](Napi::Env, DecoderBox* b) { delete b; });
  ext.TypeTag(&kDecoderTag);
  return ext;
}

Napi::Value decoder_push(const Napi::CallbackInfo& info) {
  DecoderBox& box = arg_decoder(info, 0);
  Result<std::string> r = box.decoder.push(static_cast<int32_t>(arg_int(info, 1, "token")));
  if (!r) throw_status(info.Env(), r.status());
  return Napi::String::New(info.Env(), r.value());
}

Napi::Value decoder_flush(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), arg_decoder(info, 0).decoder.flush());
}

}  // namespace

const Tokenizer& arg_tokenizer(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal() || !info[i].As<Napi::External<Tokenizer>>().CheckTypeTag(&kTokenizerTag))
    throw_invalid(info.Env(), "expected a tokenizer handle");
  return *info[i].As<Napi::External<Tokenizer>>().Data();
}

void init_tokenizer(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("create", Napi::Function::New(env, create, "create"));
  t.Set("fromGguf", Napi::Function::New(env, from_gguf, "fromGguf"));
  t.Set("info", Napi::Function::New(env, info, "info"));
  t.Set("tokenize", Napi::Function::New(env, tokenize, "tokenize"));
  t.Set("detokenize", Napi::Function::New(env, detokenize, "detokenize"));
  t.Set("piece", Napi::Function::New(env, piece, "piece"));
  t.Set("tokenText", Napi::Function::New(env, token_text, "tokenText"));
  t.Set("tokenAttr", Napi::Function::New(env, token_attr, "tokenAttr"));
  t.Set("isEog", Napi::Function::New(env, is_eog, "isEog"));
  t.Set("decoderCreate", Napi::Function::New(env, decoder_create, "decoderCreate"));
  t.Set("decoderPush", Napi::Function::New(env, decoder_push, "decoderPush"));
  t.Set("decoderFlush", Napi::Function::New(env, decoder_flush, "decoderFlush"));
  exports.Set("tokenizer", t);
}

}  // namespace capibara::addon
