// Status / Result<T>: native modules report failure as values, never as exceptions across module
// boundaries. The code list is the single source of truth; lib/errors.ts mirrors it and
// test/unit/error-codes.test.ts fails if the two drift.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace capibara {

#define CAPIBARA_ERROR_CODES(X)  \
  X(OK)                          \
  X(INVALID_ARGUMENT)            \
  X(IO_ERROR)                    \
  X(OOM)                         \
  X(GGUF_BAD_MAGIC)              \
  X(GGUF_UNSUPPORTED_VERSION)    \
  X(GGUF_TRUNCATED)              \
  X(GGUF_BAD_METADATA)           \
  X(GGUF_MISSING_KEY)            \
  X(GGUF_TENSOR_OUT_OF_BOUNDS)   \
  X(GGUF_UNSUPPORTED_TYPE)       \
  X(GGUF_MISSING_TENSOR)         \
  X(GGUF_BAD_TENSOR_SHAPE)       \
  X(UNSUPPORTED_ARCH)            \
  X(UNSUPPORTED_QUANT)           \
  X(TOKENIZER_ERROR)             \
  X(CONTEXT_FULL)                \
  X(ABORTED)                     \
  X(MODEL_CLOSED)                \
  X(INTERNAL)                    \
  X(GRAMMAR_INVALID)             \
  X(GRAMMAR_DEAD_END)

enum class ErrorCode : int32_t {
#define CAPIBARA_ENUM_ENTRY(name) name,
  CAPIBARA_ERROR_CODES(CAPIBARA_ENUM_ENTRY)
#undef CAPIBARA_ENUM_ENTRY
};

// Stable string for a code ("GGUF_TRUNCATED"); becomes `.code` on the JS error.
const char* error_code_name(ErrorCode code);

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }
  bool is_ok() const { return code_ == ErrorCode::OK; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::OK;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}                 // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}         // NOLINT
  Result(ErrorCode code, std::string msg) : status_(code, std::move(msg)) {}
  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T take() { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace capibara

// Propagate a failing Status from an expression returning Status.
#define CAPIBARA_RETURN_IF_ERROR(expr)        \
  do {                                        \
    ::capibara::Status _st = (expr);          \
    if (!_st.is_ok()) return _st;             \
  } while (0)
