// Image preprocessing as llama.cpp's clip does it for gemma3: the decoded RGB bitmap is scaled to fit
// the encoder's square (aspect ratio kept, bilinear, sides rounded up), centred on black
// (letterbox), then normalised per channel with the projector's image_mean / image_std.
#pragma once
#include <cstdint>

#include "vision/mmproj.h"

namespace capibara::vision {

// rgb: [h][w][3] u8, interleaved. out: [3][S][S] float, channel-planar, S = c.image_size.
// INVALID_ARGUMENT for an empty image.
Status preprocess_rgb(const VisionConfig& c, const uint8_t* rgb, int64_t w, int64_t h, float* out);

}  // namespace capibara::vision
