#include "common/status.h"

namespace capibara {

const char* error_code_name(ErrorCode code) {
  switch (code) {
#define CAPIBARA_NAME_ENTRY(name) \
  case ErrorCode::name:           \
    return #name;
    CAPIBARA_ERROR_CODES(CAPIBARA_NAME_ENTRY)
#undef CAPIBARA_NAME_ENTRY
  }
  return "INTERNAL";
}

}  // namespace capibara
