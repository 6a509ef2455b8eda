// Generation on the session's own std::thread (never the libuv pool): prefill, then sample/decode
// token by token. Tokens reach JS through a ThreadSafeFunction as events; every event is delivered
// (no coalescing). Back-pressure: JS acknowledges consumed tokens with streamConsumed(); when
// `highWater` tokens are delivered but unconsumed the native thread waits. Batching adapts: a token
// is sent at once while JS has nothing unconsumed, otherwise up to `batch` tokens are grouped.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"
#include "grammar/constrained.h"
#include "model/sampler.h"

namespace capibara::addon {

namespace {

constexpr napi_type_tag kStreamTag = {0x6361706962617261ULL, 0x73747265616d3031ULL};

struct Event {
  enum Kind { Tokens, Done, Error } kind = Tokens;
  std::vector<int32_t> tokens;
  const char* reason = "";
  int64_t prompt_tokens = 0, generated = 0;
  double prefill_ms = 0, decode_ms = 0;
  Status error;
};

struct Params {
  model::SamplerParams sampler;
  int64_t max_tokens = 256;
  std::unordered_set<int32_t> stop_tokens;
  int64_t batch = 8;
  int64_t high_water = 64;
  std::shared_ptr<const grammar::CompiledGrammar> grammar;  // null: unconstrained
  grammar::Trigger trigger;                                  // empty text: the grammar applies from the start
};

void deliver(Napi::Env env, Napi::Function on_event, Event* e);

struct Stream {
  SessionBox* box = nullptr;
  Napi::Reference<Napi::External<SessionBox>> owner;  // keeps the session alive; released on the JS thread
  Napi::ThreadSafeFunction tsfn;
  std::thread thread;
  std::vector<int32_t> prompt;
  Params params;
  std::shared_ptr<BusyGuard> guard;  // released by the thread before its final event
  std::mutex mu;
  std::condition_variable cv;
  int64_t outstanding = 0;  // tokens delivered to JS and not yet consumed

  void send(Event* e) {
    if (tsfn.BlockingCall(e, deliver) != napi_ok) delete e;  // only when the environment is shutting down
  }
  // Delivers pending tokens and waits while JS is too far behind (or until abort).
  void flush(std::vector<int32_t>& pending) {
    if (pending.empty()) return;
    auto* e = new Event();
    e->tokens.swap(pending);
    const int64_t n = static_cast<int64_t>(e->tokens.size());
    {
      std::lock_guard<std::mutex> lk(mu);
      outstanding += n;
    }
    send(e);
    // sessionAbort only sets the flag, so the wait also polls it.
    std::unique_lock<std::mutex> lk(mu);
    while (!cv.wait_for(lk, std::chrono::milliseconds(20), [&] { return outstanding < params.high_water || box->abort.load(); })) {
    }
  }
  bool js_waiting() {
    std::lock_guard<std::mutex> lk(mu);
    return outstanding == 0;
  }
  void run();
};

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void Stream::run() {
  model::Session& s = *box->session;
  const int64_t n_vocab = box->model->config().n_vocab;
  std::vector<float> logits(static_cast<size_t>(n_vocab));
  model::Sampler sampler(params.sampler, n_vocab);
  for (int32_t t : prompt) sampler.accept(t);
  std::unique_ptr<grammar::ConstrainedSampler> constrained;
  if (params.grammar) constrained = std::make_unique<grammar::ConstrainedSampler>(params.grammar, params.trigger);
  std::vector<int32_t> step;  // the sampled token, then any the grammar forces
  auto* done = new Event();
  done->kind = Event::Done;
  done->prompt_tokens = static_cast<int64_t>(prompt.size());
  const auto finish = [&](const Status& st, const char* reason) {
    if (!st && st.code() != ErrorCode::ABORTED) {
      done->kind = Event::Error;
      done->error = st;
    }
    done->reason = st.code() == ErrorCode::ABORTED ? "aborted" : reason;
  };

  const auto t0 = Clock::now();
  Status st = s.eval(prompt.data(), static_cast<int64_t>(prompt.size()), logits.data());
  done->prefill_ms = ms_since(t0);
  std::vector<int32_t> pending;
  pending.reserve(static_cast<size_t>(params.batch));
  if (!st) {
    finish(st, "error");
  } else {
    const auto t1 = Clock::now();
    const char* reason = "maxTokens";
    while (done->generated < params.max_tokens) {
      if (box->abort.load()) {
        reason = "aborted";
        break;
      }
      int32_t tok;
      if (constrained) {  // grammar hook: logits -> check / mask -> sample
        Result<int32_t> r = constrained->sample(sampler, logits.data(), n_vocab, params.max_tokens - done->generated);
        if (!r) {
          st = r.status();
          break;
        }
        tok = r.value();
      } else {
        tok = sampler.sample(logits.data());
      }
      sampler.accept(tok);
      if (params.stop_tokens.count(tok)) {
        reason = "eos";
        break;
      }
      step.assign(1, tok);
      if (constrained) {  // grammar hook: accept, then the forced continuation
        st = constrained->accept(tok);
        if (!st) break;
        for (int32_t f : constrained->forced(static_cast<size_t>(params.max_tokens - done->generated - 1))) {
          sampler.accept(f);
          step.push_back(f);
        }
      }
      pending.insert(pending.end(), step.begin(), step.end());
      done->generated += static_cast<int64_t>(step.size());
      if (static_cast<int64_t>(pending.size()) >= params.batch || js_waiting()) flush(pending);
      if (constrained && constrained->complete()) {  // only end of generation can follow
        reason = "eos";
        break;
      }
      if (done->generated >= params.max_tokens) break;
      if (s.n_past() + static_cast<int64_t>(step.size()) > s.n_ctx()) {
        reason = "contextFull";
        break;
      }
      st = s.eval(step.data(), static_cast<int64_t>(step.size()), logits.data());
      if (!st) break;
    }
    flush(pending);
    done->decode_ms = ms_since(t1);
    finish(st, reason);
  }
  guard.reset();  // the session is free again once JS hears "done"
  send(done);
  tsfn.Release();
}

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
    case Event::Done:
      o.Set("kind", "done");
      o.Set("stopReason", ev->reason);
      o.Set("promptTokens", static_cast<double>(ev->prompt_tokens));
      o.Set("generatedTokens", static_cast<double>(ev->generated));
      o.Set("prefillMs", ev->prefill_ms);
      o.Set("decodeMs", ev->decode_ms);
      break;
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

Params read_params(const Napi::Object& o) {
  Params p;
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
  p.batch = static_cast<int64_t>(num(o, "batch"));
  p.high_water = static_cast<int64_t>(num(o, "highWater"));
  if (p.max_tokens < 0 || p.batch < 1 || p.high_water < p.batch || p.sampler.repeat_last_n < 0)
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

// generate(session, prompt: Int32Array, params, onEvent) -> stream handle
Napi::Value generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionBox& box = arg_session(info, 0);
  if (info.Length() < 4 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[2].IsObject() || !info[3].IsFunction())
    throw_invalid(env, "generate(session, prompt: Int32Array, params, onEvent)");
  Napi::Int32Array prompt = info[1].As<Napi::Int32Array>();
  if (prompt.ElementLength() == 0) throw_invalid(env, "generate: the prompt must have at least one token");
  Params params = read_params(info[2].As<Napi::Object>());
  auto guard = std::make_shared<BusyGuard>(env, box);

  auto stream = std::make_shared<Stream>();
  stream->box = &box;
  stream->owner = Napi::Persistent(info[0].As<Napi::External<SessionBox>>());
  stream->prompt.assign(prompt.Data(), prompt.Data() + prompt.ElementLength());
  stream->params = std::move(params);
  stream->guard = std::move(guard);
  // The finaliser runs on the JS thread after the generation thread released the function: join it,
  // free the busy flag and drop the session reference there.
  auto* keep = new std::shared_ptr<Stream>(stream);
  stream->tsfn = Napi::ThreadSafeFunction::New(
      env, info[3].As<Napi::Function>(), "capibara.generate", 0, 1, keep,
      [](Napi::Env, std::shared_ptr<Stream>* s) {
        if ((*s)->thread.joinable()) (*s)->thread.join();
        (*s)->owner.Reset();
        delete s;
      });
  stream->thread = std::thread([s = stream.get()] { s->run(); });

  auto ext = Napi::External<std::shared_ptr<Stream>>::New(env, new std::shared_ptr<Stream>(stream),
                                                         [](Napi::Env, std::shared_ptr<Stream>* p) { delete p; });
  ext.TypeTag(&kStreamTag);
  return ext;
}

// streamConsumed(stream, n): JS consumed n delivered tokens.
Napi::Value consumed(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::External<std::shared_ptr<Stream>>>().CheckTypeTag(&kStreamTag))
    throw_invalid(info.Env(), "expected a stream handle");
  Stream& s = **info[0].As<Napi::External<std::shared_ptr<Stream>>>().Data();
  const int64_t n = arg_int(info, 1, "n");
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.outstanding = std::max<int64_t>(0, s.outstanding - n);
  }
  s.cv.notify_all();
  return info.Env().Undefined();
}

}  // namespace

void init_token_stream(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("generate", Napi::Function::New(env, generate, "generate"));
  e.Set("streamConsumed", Napi::Function::New(env, consumed, "streamConsumed"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
