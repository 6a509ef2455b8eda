// The one generic async worker: runs a job returning Result<T> on the libuv thread pool, then, back
// on the JS thread, converts the value with `to_js` and resolves a Promise, or rejects it with the
// typed error for the Status. For short bounded jobs (open, inspect, validate); long-running work
// such as generation uses its own threads instead, so the pool stays free for fs and dns.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <new>
#include <utility>

#include "addon/errors.h"
#include "common/status.h"

namespace capibara::addon {

template <typename T>
class PromiseWorker final : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result<T>()>;                    // runs off the JS thread: no napi calls
  using ToJs = std::function<Napi::Value(Napi::Env, T&)>;     // runs on the JS thread

  // Queues `work` and returns the Promise it settles. `name` labels the async resource (diagnostics).
  static Napi::Promise run(Napi::Env env, const char* name, Work work, ToJs to_js) {
    auto* worker = new PromiseWorker(env, name, std::move(work), std::move(to_js));  // freed by napi after OnOK/OnError
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 private:
  PromiseWorker(Napi::Env env, const char* name, Work work, ToJs to_js)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        to_js_(std::move(to_js)),
        result_(Status(ErrorCode::INTERNAL, "promise worker did not run")) {}

  void Execute() override {
    // Core code reports failures as Status; only allocation failure or a bug can throw here.
    try {
      result_ = work_();
    } catch (const std::bad_alloc&) {
      result_ = Status(ErrorCode::OOM, "out of memory");
    } catch (const std::exception& e) {
      result_ = Status(ErrorCode::INTERNAL, e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!result_.is_ok()) {
      deferred_.Reject(to_js_error(env, result_.status()).Value());
      return;
    }
    try {
      deferred_.Resolve(to_js_(env, result_.value()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs to_js_;
  Result<T> result_;
};

}  // namespace capibara::addon
