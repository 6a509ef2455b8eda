// Scheduler glue: create one per loaded model, read its figures, close it (off the JS thread).
#include <string>

#include "addon/convert.h"
#include "addon/engine_handles.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"

namespace capibara::addon {

SchedulerBox& arg_scheduler(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal() || !info[i].As<Napi::External<SchedulerBox>>().CheckTypeTag(&kSchedulerTag))
    throw_invalid(info.Env(), "expected a scheduler handle");
  return *info[i].As<Napi::External<SchedulerBox>>().Data();
}

namespace {

// createScheduler(model, { parallel?, contextSize?, threads?, tokenBudget?, prefillWhileDecoding?,
//                          promptCache?, cacheSequences?, kvTokens?, kvCacheType?, maxImage? }) -> handle
Napi::Value create(const Napi::CallbackInfo& info) {
  auto m = open_model(info, 0);
  if (info.Length() < 2 || !info[1].IsObject()) throw_invalid(info.Env(), "createScheduler expects an options object");
  const Napi::Object o = info[1].As<Napi::Object>();
  model::SchedulerOptions opts;
  opts.n_seq = opt_int(o, "parallel", 1);
  opts.n_ctx = opt_int(o, "contextSize", 0);
  opts.n_threads = static_cast<int>(opt_int(o, "threads", 1));
  opts.token_budget = opt_int(o, "tokenBudget", opts.token_budget);
  opts.prefill_while_decoding = opt_int(o, "prefillWhileDecoding", opts.prefill_while_decoding);
  opts.cache_seqs = opt_int(o, "cacheSequences", 0);
  opts.kv_tokens = opt_int(o, "kvTokens", 0);
  opts.max_image = opt_int(o, "maxImage", 0);
  const Napi::Value kt = o.Get("kvCacheType");
  if (!kt.IsUndefined()) {
    const std::string t = kt.IsString() ? kt.As<Napi::String>().Utf8Value() : "";
    if (t == "q8_0") opts.kv_type = model::KvType::Q8_0;
    else if (t != "f16") throw_invalid(info.Env(), "kvCacheType must be \"f16\" or \"q8_0\"");
  }
  const Napi::Value pc = o.Get("promptCache");
  if (!pc.IsUndefined()) opts.prompt_cache = pc.ToBoolean().Value();
  const int64_t n_embd = m->config().n_embd;
  auto s = model::Scheduler::create(std::move(m), opts);
  if (!s) throw_status(info.Env(), s.status());
  auto* box = new SchedulerBox{std::shared_ptr<model::Scheduler>(s.take()), n_embd};
  auto ext = Napi::External<SchedulerBox>::New(info.Env(), box, [](Napi::Env, SchedulerBox* b) { delete b; });
  ext.TypeTag(&kSchedulerTag);
  return ext;
}

Napi::Value stats(const Napi::CallbackInfo& info) {
  SchedulerBox& box = arg_scheduler(info, 0);
  Napi::Env env = info.Env();
  if (!box.scheduler) throw_status(env, Status(ErrorCode::MODEL_CLOSED, "the model was closed"));
  const model::SchedulerStats st = box.scheduler->stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("queued", static_cast<double>(st.queued));
  o.Set("active", static_cast<double>(st.active));
  o.Set("lastBatchTokens", static_cast<double>(st.last_batch_tokens));
  o.Set("lastBatchSequences", static_cast<double>(st.last_batch_seqs));
  o.Set("steps", static_cast<double>(st.steps));
  o.Set("kvUsed", static_cast<double>(st.kv_used));
  o.Set("kvCached", static_cast<double>(st.kv_cached));
  o.Set("kvCapacity", static_cast<double>(st.kv_capacity));
  o.Set("kvBlocksUsed", static_cast<double>(st.kv_blocks_used));
  o.Set("kvBlocksCached", static_cast<double>(st.kv_blocks_cached));
  o.Set("kvBlocksTotal", static_cast<double>(st.kv_blocks_total));
  o.Set("cachedPromptTokens", static_cast<double>(st.cached_prompt_tokens));
  o.Set("kvBytes", static_cast<double>(st.kv_bytes));
  o.Set("bufferBytes", static_cast<double>(st.buffer_bytes));
  return o;
}

// closeScheduler(handle): Promise<void>; ends every sequence (aborted) and frees the KV pool.
Napi::Value close(const Napi::CallbackInfo& info) {
  SchedulerBox& box = arg_scheduler(info, 0);
  auto s = std::move(box.scheduler);
  return PromiseWorker<bool>::run(
      info.Env(), "capibara.closeScheduler",
      [s]() mutable -> Result<bool> {
        s.reset();
        return true;
      },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

}  // namespace

void init_scheduler(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("createScheduler", Napi::Function::New(env, create, "createScheduler"));
  e.Set("schedulerStats", Napi::Function::New(env, stats, "schedulerStats"));
  e.Set("closeScheduler", Napi::Function::New(env, close, "closeScheduler"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
