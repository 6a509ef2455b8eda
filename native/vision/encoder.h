// The vision encoder: SigLIP ViT plus the Gemma 3 projector, on the kernel table.
//   patches (14x14, stride 14) -> matmul + bias -> + position embeddings
//   per block: x += o(attn(LN1(x))); x += down(gelu(up(LN2(x))))   (biases everywhere, non-causal)
//   LN_post -> k x k average pool over the patch grid -> RMSNorm * soft_emb_norm -> input_projection
#pragma once
#include <atomic>
#include <cstdint>

#include "common/status.h"
#include "vision/mmproj.h"

namespace capibara::vision {

// Activation memory encode_image allocates for one image (bytes), reported so callers can budget.
size_t encode_activation_bytes(const VisionConfig& c);

// image: [3][S][S] planar, normalised (preprocess_rgb's output), S = image_size.
// out: [n_tokens][proj_dim], token t = ty * (side / merge) + tx.
// Errors: OOM, ABORTED when *abort becomes true (checked between blocks), matmul errors.
Status encode_image(const VisionModel& m, const float* image, int n_threads, float* out,
                    const std::atomic<bool>* abort = nullptr);

}  // namespace capibara::vision
