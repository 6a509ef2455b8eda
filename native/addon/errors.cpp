#include "addon/errors.h"

#include "addon/addon_data.h"

namespace capibara::addon {

Napi::Error to_js_error(Napi::Env env, const Status& status) {
  const char* code = error_code_name(status.code());
  AddonData& data = addon_data(env);
  if (!data.make_error.IsEmpty()) {
    Napi::Value err = data.make_error.Call({Napi::String::New(env, code), Napi::String::New(env, status.message())});
    if (err.IsObject()) return Napi::Error(env, err);
  }
  // Before initialize() (or if the factory misbehaves) still give a usable error with a code.
  Napi::Error err = Napi::Error::New(env, status.message());
  err.Set("code", Napi::String::New(env, code));
  return err;
}

void throw_status(Napi::Env env, const Status& status) { throw to_js_error(env, status); }

void throw_invalid(Napi::Env env, const std::string& message) {
  throw_status(env, Status(ErrorCode::INVALID_ARGUMENT, message));
}

}  // namespace capibara::addon
