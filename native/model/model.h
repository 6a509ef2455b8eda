// A loaded model: the mapped GGUF file, its config and weight views. Immutable after load, so any
// number of sessions may run on it from different threads.
#pragma once
#include <memory>
#include <string>

#include "common/status.h"
#include "model/arch/arch.h"
#include "model/config.h"
#include "model/weights.h"

namespace capibara::gguf {
class GgufFile;
}

namespace capibara::model {

class Model {
 public:
  // Maps and validates `path`. Errors: the GGUF reader's, UNSUPPORTED_ARCH naming the
  // architecture, GGUF_MISSING_KEY / GGUF_BAD_METADATA, GGUF_MISSING_TENSOR, GGUF_BAD_TENSOR_SHAPE,
  // UNSUPPORTED_QUANT.
  static Result<std::unique_ptr<Model>> load(const std::string& path);
  // Same, from an already opened file (which the model then owns).
  static Result<std::unique_ptr<Model>> from_file(std::unique_ptr<gguf::GgufFile> file);
  ~Model();

  const ModelConfig& config() const { return cfg_; }
  const Weights& weights() const { return w_; }
  const gguf::GgufFile& file() const { return *file_; }
  // Parameter count from the tensor shapes.
  int64_t parameters() const;

 private:
  Model() = default;
  std::unique_ptr<gguf::GgufFile> file_;
  ModelConfig cfg_;
  Weights w_;
};

}  // namespace capibara::model
