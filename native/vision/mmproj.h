// A vision projector file (llama.cpp's "mmproj" GGUF: general.architecture = "clip"): the SigLIP
// vision tower and the Gemma 3 projector, as non-owning views into the mapped file, plus the few
// load-time copies the encoder needs in another layout (see VisionWeights).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/weights.h"

namespace capibara::gguf {
class GgufFile;
}

namespace capibara::model {
class PackedWeights;
}

namespace capibara::vision {

using model::Tensor;

struct VisionConfig {
  std::string projector;    // clip.projector_type ("gemma3")
  int64_t image_size = 0;   // clip.vision.image_size: the encoder's square input side
  int64_t patch_size = 0;
  int64_t n_embd = 0;
  int64_t n_ff = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t proj_dim = 0;     // width of the projected tokens (the text model's n_embd)
  int64_t merge = 4;        // clip.vision.projector.scale_factor: avg-pool side (llama.cpp's default 4)
  float eps = 1e-6f;
  float mean[3] = {0.5f, 0.5f, 0.5f};
  float std[3] = {0.5f, 0.5f, 0.5f};

  int64_t side() const { return image_size / patch_size; }  // patches per side
  int64_t n_patches() const { return side() * side(); }
  int64_t n_tokens() const { return (side() / merge) * (side() / merge); }
  int64_t patch_dim() const { return 3 * patch_size * patch_size; }
};

struct VisionLayer {
  Tensor ln1_w, ln1_b;            // [n_embd]
  Tensor q_w, k_w, v_w, o_w;      // {n_embd, n_embd}
  Tensor q_b, k_b, v_b, o_b;      // [n_embd]
  Tensor ln2_w, ln2_b;            // [n_embd]
  Tensor up_w, up_b;              // {n_embd, n_ff}, [n_ff]
  Tensor down_w, down_b;          // {n_ff, n_embd}, [n_embd]
};

struct VisionWeights {
  Tensor patch_w;                 // {3 * patch^2, n_embd}: the 14x14 convolution as a matrix, rows [c][ky][kx]
  Tensor patch_b;                 // [n_embd]
  Tensor pos;                     // {n_embd, n_patches} F32
  std::vector<VisionLayer> layers;
  Tensor post_w, post_b;          // final LayerNorm [n_embd]
  Tensor soft_norm;               // mm.soft_emb_norm.weight [n_embd] (the multiplier as used)
  Tensor proj;                    // {n_embd, proj_dim}: mm.input_projection transposed to output rows
  // Owned copies behind `proj` (the file stores it input-major) and `pos` when the file's is not F32.
  std::vector<uint8_t> proj_copy;
  std::vector<float> pos_copy;
  std::vector<std::pair<std::string, Tensor>> all;  // every tensor bound, as in the file
};

class VisionModel {
 public:
  // Maps and validates an mmproj file. Errors: the GGUF reader's; UNSUPPORTED_ARCH when
  // general.architecture is not "clip", there is no vision encoder, or clip.projector_type is not
  // one we support (naming it); GGUF_MISSING_KEY / GGUF_BAD_METADATA; GGUF_MISSING_TENSOR;
  // GGUF_BAD_TENSOR_SHAPE; UNSUPPORTED_QUANT for a tensor type without kernels.
  // repack: copy the matrices into the active kernels' packed layout (as model::LoadOptions::repack).
  static Result<std::unique_ptr<VisionModel>> load(const std::string& path, bool repack = true);
  static Result<std::unique_ptr<VisionModel>> from_file(std::unique_ptr<gguf::GgufFile> file, bool repack = true);
  ~VisionModel();

  const VisionConfig& config() const { return cfg_; }
  const VisionWeights& weights() const { return w_; }
  // Bytes of the tensors (file views plus owned copies).
  size_t weight_bytes() const;

 private:
  VisionModel() = default;
  std::unique_ptr<gguf::GgufFile> file_;
  VisionConfig cfg_;
  VisionWeights w_;
  std::unique_ptr<model::PackedWeights> packed_;
};

}  // namespace capibara::vision
