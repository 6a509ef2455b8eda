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

class PackedWeights;

struct LoadOptions {
  // Copy quantised matrices into the active kernels' packed layout (faster matmuls; the whole file is
  // read at load). Off: every weight is used in place from the mapped file, paged in on first use.
  bool repack = true;
};

class Model {
 public:
  // Maps and validates `path`. Errors: the GGUF reader's, UNSUPPORTED_ARCH naming the
  // architecture, GGUF_MISSING_KEY / GGUF_BAD_METADATA, GGUF_MISSING_TENSOR, GGUF_BAD_TENSOR_SHAPE,
  // UNSUPPORTED_QUANT.
  // OOM when the packed copies cannot be allocated.
  static Result<std::unique_ptr<Model>> load(const std::string& path, const LoadOptions& opts = {});
  // Same, from an already opened file (which the model then owns).
  static Result<std::unique_ptr<Model>> from_file(std::unique_ptr<gguf::GgufFile> file, const LoadOptions& opts = {});
  ~Model();

  const ModelConfig& config() const { return cfg_; }
  const Weights& weights() const { return w_; }
  const gguf::GgufFile& file() const { return *file_; }
  // Parameter count from the tensor shapes.
  int64_t parameters() const;
  // Bytes of weights held in packed layouts (0 when nothing was packed).
  size_t packed_bytes() const;
  // Bytes the weights hold in memory now: the file's pages resident in this process plus the
  // packed copies (see GgufFile::resident_bytes: milliseconds).
  size_t resident_bytes() const;

 private:
  Model() = default;
  std::unique_ptr<gguf::GgufFile> file_;
  ModelConfig cfg_;
  Weights w_;
  std::unique_ptr<PackedWeights> packed_;
};

}  // namespace capibara::model
