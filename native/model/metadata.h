// Typed GGUF metadata reads for the model loader, keyed "<arch>.<suffix>" the way llama.cpp names
// them. Missing optional keys leave the default untouched; a missing required key is
// GGUF_MISSING_KEY and a value of the wrong type GGUF_BAD_METADATA, both naming the key.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace capibara::gguf {
class GgufFile;
}

namespace capibara::model {

class ArchKeys {
 public:
  ArchKeys(const gguf::GgufFile& file, std::string arch) : file_(file), arch_(std::move(arch)) {}
  // Integer key (any GGUF integer type); required keys fail when absent.
  Status u32(const char* suffix, int64_t* out, bool required) const;
  Status f32(const char* suffix, float* out, bool required) const;
  Status str(const char* suffix, std::string* out, bool required) const;
  // Either a boolean array with one entry per layer or a u32 period p (layer il is true when
  // il % p < p - 1, llama.cpp's sliding-window pattern); returns false in *found when absent.
  Status layer_pattern(const char* suffix, int64_t n_layer, std::vector<bool>* out, bool* found) const;
  const gguf::GgufFile& file() const { return file_; }
  std::string key(const char* suffix) const { return arch_ + "." + suffix; }

 private:
  const gguf::GgufFile& file_;
  std::string arch_;
};

}  // namespace capibara::model
