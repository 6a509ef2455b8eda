// Handles shared by the engine glue (model_wrap, session_wrap, scheduler_wrap, token_stream): type-tagged
// externals over boxes that keep the Model alive while any session or job uses it.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "addon/errors.h"
#include "model/model.h"
#include "model/scheduler.h"
#include "model/session.h"
#include "tokenizer/tokenizer.h"

namespace capibara::addon {

constexpr napi_type_tag kModelTag = {0x6361706962617261ULL, 0x6d6f64656c303031ULL};
constexpr napi_type_tag kSessionTag = {0x6361706962617261ULL, 0x73657373696f6e31ULL};
constexpr napi_type_tag kSchedulerTag = {0x6361706962617261ULL, 0x7363686564303031ULL};

// close() empties `model`; sessions and running jobs hold their own reference, so the weights are
// unmapped when the last of them ends. `tokenizer` was read from the same open of the file and is
// handed to JS once (modelTokenizer).
struct ModelBox {
  std::shared_ptr<const model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

// One sequence. `busy` admits one job at a time (eval or generation); `abort` is polled by the
// session between layers and by generation between tokens.
struct SessionBox {
  std::shared_ptr<const model::Model> model;
  std::unique_ptr<model::Session> session;
  std::atomic<bool> busy{false};
  std::atomic<bool> abort{false};
};

// A model's scheduler. close empties `scheduler` (off the JS thread: it joins the step thread);
// streams hold weak references, so a closed scheduler simply no longer hears their acks.
struct SchedulerBox {
  std::shared_ptr<model::Scheduler> scheduler;
  int64_t n_embd = 0;  // width of an image's embedding rows
};

// Marks a session busy for the lifetime of the guard; throws INVALID_ARGUMENT when already busy
// and MODEL_CLOSED when disposed.
class BusyGuard {
 public:
  BusyGuard(Napi::Env env, SessionBox& box) : box_(&box) {
    if (!box.session) throw_status(env, Status(ErrorCode::MODEL_CLOSED, "the session was disposed"));
    if (box.busy.exchange(true)) throw_invalid(env, "the session is busy with another evaluation");
    box.abort.store(false);
  }
  BusyGuard(BusyGuard&& o) noexcept : box_(o.box_) { o.box_ = nullptr; }
  BusyGuard(const BusyGuard&) = delete;
  ~BusyGuard() {
    if (box_) box_->busy.store(false);
  }

 private:
  SessionBox* box_;
};

ModelBox& arg_model(const Napi::CallbackInfo& info, size_t i);
// The model of a handle; MODEL_CLOSED after close().
std::shared_ptr<const model::Model> open_model(const Napi::CallbackInfo& info, size_t i);
SessionBox& arg_session(const Napi::CallbackInfo& info, size_t i);
SchedulerBox& arg_scheduler(const Napi::CallbackInfo& info, size_t i);
// A tokenizer handle as tokenizer_wrap's functions take it.
Napi::External<tokenizer::Tokenizer> wrap_tokenizer(Napi::Env env, std::unique_ptr<tokenizer::Tokenizer> t);

}  // namespace capibara::addon
