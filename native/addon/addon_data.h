// Per-environment state (worker_threads safe): each Node environment that loads the addon gets its
// own AddonData, freed by the environment's cleanup.
#pragma once
#include <napi.h>

namespace capibara::addon {

struct AddonData {
  // JS factory (code, message) => Error instance of the right CapibaraError subclass; set by initialize().
  Napi::FunctionReference make_error;
};

AddonData& addon_data(Napi::Env env);

}  // namespace capibara::addon
