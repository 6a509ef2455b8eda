// A sequence's tokens to JS: generate() submits a sequence to the model's scheduler with a sink that
// forwards its tokens through one ThreadSafeFunction as events (every event delivered, none
// coalesced). Back-pressure: JS acknowledges consumed tokens with streamConsumed(); while `highWater`
// tokens are delivered but unconsumed the sink reports not ready and the sequence sits out steps.
// Batching adapts: a token is sent at once while JS has nothing unconsumed, otherwise up to `batch`
// tokens are grouped. The decode loop itself lives in native/model (scheduler, generator).
#include <mutex>
#include <vector>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"

namespace capibara::addon {

namespace {

constexpr napi_type_tag kStreamTag = {0x6361706962617261ULL, 0x73747265616d3031ULL};

struct Event {
  enum Kind { Tokens, Done, Error } kind = Tokens;
  std::vector<int32_t> tokens;
  model::StopReason reason = model::StopReason::None;
  model::GenerateStats stats;
  Status error;
};

void deliver(Napi::Env env, Napi::Function on_event, Event* e);

class Stream final : public model::SeqSink {
 public:
  Stream(int64_t batch, int64_t high_water) : batch_(batch), high_water_(high_water) {}

  Napi::ThreadSafeFunction tsfn;
  std::weak_ptr<model::Scheduler> scheduler;
  uint64_t id = 0;

  void token(int32_t t) override {
    pending_.push_back(t);
    if (static_cast<int64_t>(pending_.size()) >= batch_ || js_waiting()) flush();
  }
  bool ready() override {
    std::lock_guard<std::mutex> lk(mu_);
    return outstanding_ < high_water_;
  }
  void done(model::StopReason reason, const model::GenerateStats& stats, const Status& error) override {
    flush();
    auto* e = new Event();
    e->kind = reason == model::StopReason::Error ? Event::Error : Event::Done;
    e->reason = reason;
    e->stats = stats;
    e->error = error;
    send(e);
    tsfn.Release();
  }
  void consumed(int64_t n) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      outstanding_ = std::max<int64_t>(0, outstanding_ - n);
    }
    if (auto s = scheduler.lock()) s->wake();
  }

 private:
  void send(Event* e) {
    if (tsfn.NonBlockingCall(e, deliver) != napi_ok) delete e;  // only when the environment is shutting down
  }
  void flush() {
    if (pending_.empty()) return;
    auto* e = new Event();
    e->tokens.swap(pending_);
    {
      std::lock_guard<std::mutex> lk(mu_);
      outstanding_ += static_cast<int64_t>(e->tokens.size());
    }
    send(e);
  }
  bool js_waiting() {
    std::lock_guard<std::mutex> lk(mu_);
    return outstanding_ == 0;
  }

  const int64_t batch_, high_water_;
  std::vector<int32_t> pending_;  // scheduler thread only
  std::mutex mu_;
  int64_t outstanding_ = 0;       // tokens delivered to JS and not yet consumed
};

// JS-thread side of the ThreadSafeFunction: event -> onEvent({kind, ...}).
void deliver(Napi::Env env, Napi::Function on_event, Event* e) {
  std::unique_ptr<Event> ev(e);
  if (!env || !on_event) return;
  Napi::Object o = Napi::Object::New(env);
  switch (ev->kind) {
    case Event::Tokens: {
      Napi::Int32Array a = Napi::Int32Array::New(env, ev->tokens.size());
      std::copy(ev->tokens.begin(), ev->tokens.end(), a.Data());
      o.Set("kind", "tokens");
      o.Set("tokens", a);
      break;
    }
    case Event::Done: {
      const model::GenerateStats& s = ev->stats;
      o.Set("kind", "done");
      o.Set("stopReason", model::stop_reason_name(ev->reason));
      o.Set("promptTokens", static_cast<double>(s.prompt_tokens));
      o.Set("cachedPromptTokens", static_cast<double>(s.cached_prompt_tokens));
      o.Set("generatedTokens", static_cast<double>(s.generated));
      o.Set("queueMs", s.queue_ms);
      o.Set("prefillMs", s.prefill_ms);
      o.Set("decodeMs", s.decode_ms);
      break;
    }
    case Event::Error:
      o.Set("kind", "error");
      o.Set("error", to_js_error(env, ev->error).Value());
      break;
  }
  on_event.Call({o});  // a throwing listener surfaces as an uncaught exception, as for any callback
}

double num(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_invalid(o.Env(), std::string("generate: ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

model::GenerateParams read_params(const Napi::Object& o, int64_t& batch, int64_t& high_water) {
  model::GenerateParams p;
  p.max_tokens = static_cast<int64_t>(num(o, "maxTokens"));
  p.sampler.temperature = static_cast<float>(num(o, "temperature"));
  p.sampler.top_k = static_cast<int32_t>(num(o, "topK"));
  p.sampler.top_p = static_cast<float>(num(o, "topP"));
  p.sampler.min_p = static_cast<float>(num(o, "minP"));
  p.sampler.repeat_penalty = static_cast<float>(num(o, "repeatPenalty"));
  p.sampler.repeat_last_n = static_cast<int32_t>(num(o, "repeatLastN"));
  p.sampler.frequency_penalty = static_cast<float>(num(o, "frequencyPenalty"));
  p.sampler.presence_penalty = static_cast<float>(num(o, "presencePenalty"));
  p.sampler.seed = static_cast<uint64_t>(num(o, "seed"));
  batch = static_cast<int64_t>(num(o, "batch"));
  high_water = static_cast<int64_t>(num(o, "highWater"));
  if (p.max_tokens < 0 || batch < 1 || high_water < batch || p.sampler.repeat_last_n < 0)
    throw_invalid(o.Env(), "generate: maxTokens >= 0, batch >= 1, highWater >= batch, repeatLastN >= 0");
  Napi::Value stop = o.Get("stopTokens");
  if (!stop.IsTypedArray() || stop.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_invalid(o.Env(), "generate: stopTokens must be an Int32Array");
  Napi::Int32Array st = stop.As<Napi::Int32Array>();
  p.stop_tokens.insert(st.Data(), st.Data() + st.ElementLength());
  Napi::Value g = o.Get("grammar");
  if (!g.IsUndefined() && !g.IsNull()) p.grammar = compiled_grammar(o.Env(), g);
  Napi::Value trig = o.Get("grammarTrigger");
  if (p.grammar && trig.IsString()) {
    p.trigger.text = trig.As<Napi::String>().Utf8Value();
    Napi::Value ids = o.Get("grammarTriggerTokens");
    if (ids.IsTypedArray() && ids.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
      Napi::Int32Array a = ids.As<Napi::Int32Array>();
      p.trigger.tokens.insert(a.Data(), a.Data() + a.ElementLength());
    }
  }
  return p;
}

// params.images: [{ pos, embd: Float32Array [n][n_embd], key: Int32Array }] (copied: the scheduler
// reads them on its thread).
std::vector<model::PromptImage> read_images(const Napi::Object& o, int64_t n_embd) {
  std::vector<model::PromptImage> out;
  Napi::Value v = o.Get("images");
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray()) throw_invalid(o.Env(), "generate: images must be an array");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) throw_invalid(o.Env(), "generate: images[] must be objects");
    Napi::Object io = e.As<Napi::Object>();
    Napi::Value embd = io.Get("embd"), key = io.Get("key");
    if (!embd.IsTypedArray() || embd.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || !key.IsTypedArray() ||
        key.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw_invalid(o.Env(), "generate: an image needs embd: Float32Array and key: Int32Array");
    Napi::Float32Array rows = embd.As<Napi::Float32Array>();
    Napi::Int32Array k = key.As<Napi::Int32Array>();
    model::PromptImage im;
    im.pos = static_cast<int64_t>(num(io, "pos"));
    im.n = static_cast<int64_t>(rows.ElementLength()) / n_embd;
    im.rows.assign(rows.Data(), rows.Data() + rows.ElementLength());
    im.key.assign(k.Data(), k.Data() + k.ElementLength());
    out.push_back(std::move(im));
  }
  return out;
}

Stream& arg_stream(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::External<std::shared_ptr<Stream>>>().CheckTypeTag(&kStreamTag))
    throw_invalid(info.Env(), "expected a stream handle");
  return **info[0].As<Napi::External<std::shared_ptr<Stream>>>().Data();
}

// generate(scheduler, prompt: Int32Array, params, onEvent) -> stream handle
Napi::Value generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SchedulerBox& box = arg_scheduler(info, 0);
  if (info.Length() < 4 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[2].IsObject() || !info[3].IsFunction())
    throw_invalid(env, "generate(scheduler, prompt: Int32Array, params, onEvent)");
  if (!box.scheduler) throw_status(env, Status(ErrorCode::MODEL_CLOSED, "the model was closed"));
  Napi::Int32Array prompt = info[1].As<Napi::Int32Array>();
  int64_t batch = 0, high_water = 0;
  model::GenerateParams params = read_params(info[2].As<Napi::Object>(), batch, high_water);
  std::vector<model::PromptImage> images = read_images(info[2].As<Napi::Object>(), box.n_embd);

  auto stream = std::make_shared<Stream>(batch, high_water);
  stream->scheduler = box.scheduler;
  // The TSFN's context keeps the stream alive until the function is finalised on the JS thread.
  auto* keep = new std::shared_ptr<Stream>(stream);
  stream->tsfn = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "capibara.generate", 0, 1, keep,
                                               [](Napi::Env, std::shared_ptr<Stream>* s) { delete s; });
  auto id = box.scheduler->submit(std::vector<int32_t>(prompt.Data(), prompt.Data() + prompt.ElementLength()),
                                  std::move(params), stream, std::move(images));
  if (!id) {
    stream->tsfn.Release();
    throw_status(env, id.status());
  }
  stream->id = id.value();
  auto ext = Napi::External<std::shared_ptr<Stream>>::New(env, new std::shared_ptr<Stream>(stream),
                                                         [](Napi::Env, std::shared_ptr<Stream>* p) { delete p; });
  ext.TypeTag(&kStreamTag);
  return ext;
}

// streamConsumed(stream, n): JS consumed n delivered tokens.
Napi::Value consumed(const Napi::CallbackInfo& info) {
  arg_stream(info).consumed(arg_int(info, 1, "n"));
  return info.Env().Undefined();
}

// streamAbort(stream): ends this sequence only (its final event says "aborted").
Napi::Value abort(const Napi::CallbackInfo& info) {
  Stream& s = arg_stream(info);
  if (auto sch = s.scheduler.lock()) sch->abort(s.id);
  return info.Env().Undefined();
}

}  // namespace

void init_token_stream(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("generate", Napi::Function::New(env, generate, "generate"));
  e.Set("streamConsumed", Napi::Function::New(env, consumed, "streamConsumed"));
  e.Set("streamAbort", Napi::Function::New(env, abort, "streamAbort"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
