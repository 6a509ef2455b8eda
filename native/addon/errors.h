// Status -> JS error. Errors are instances of the classes lib/errors.ts injects through
// initialize(), carrying a stable `.code` (see native/common/status.h).
#pragma once
#include <napi.h>

#include "common/status.h"

namespace capibara::addon {

Napi::Error to_js_error(Napi::Env env, const Status& status);
[[noreturn]] void throw_status(Napi::Env env, const Status& status);
// Shorthand for argument errors raised by the glue itself.
[[noreturn]] void throw_invalid(Napi::Env env, const std::string& message);

}  // namespace capibara::addon
