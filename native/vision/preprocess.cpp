#include "vision/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace capibara::vision {

namespace {

// llama.cpp's lerp s + (e - s) t, compiled there with a fused multiply-add (one rounding). The
// product of two floats is exact in double, so this matches without needing FMA hardware.
inline float lerp(float s, float e, float t) {
  return static_cast<float>(static_cast<double>(e - s) * static_cast<double>(t) + static_cast<double>(s));
}

// Bilinear scaling as llama.cpp does it: source step (src - 1) / dst, so the last source row and
// column are only approached, never sampled past; the result is truncated to u8.
void resize_bilinear(const uint8_t* src, int64_t sw, int64_t sh, uint8_t* dst, int64_t dw, int64_t dh) {
  const float xr = static_cast<float>(sw - 1) / static_cast<float>(dw);
  const float yr = static_cast<float>(sh - 1) / static_cast<float>(dh);
  for (int64_t y = 0; y < dh; ++y) {
    const float py = yr * static_cast<float>(y);
    const int64_t y0 = static_cast<int64_t>(py);
    const int64_t y1 = std::min(y0 + 1, sh - 1);  // only reached when the source is one row high
    const float ty = py - static_cast<float>(y0);
    for (int64_t x = 0; x < dw; ++x) {
      const float px = xr * static_cast<float>(x);
      const int64_t x0 = static_cast<int64_t>(px);
      const int64_t x1 = std::min(x0 + 1, sw - 1);
      const float tx = px - static_cast<float>(x0);
      for (int c = 0; c < 3; ++c) {
        const auto at = [&](int64_t yy, int64_t xx) { return static_cast<float>(src[(yy * sw + xx) * 3 + c]); };
        const float top = lerp(at(y0, x0), at(y0, x1), tx);
        const float bottom = lerp(at(y1, x0), at(y1, x1), tx);
        dst[(y * dw + x) * 3 + c] = static_cast<uint8_t>(lerp(top, bottom, ty));
      }
    }
  }
}

}  // namespace

Status preprocess_rgb(const VisionConfig& c, const uint8_t* rgb, int64_t w, int64_t h, float* out) {
  if (w <= 0 || h <= 0) return {ErrorCode::INVALID_ARGUMENT, "the image is empty"};
  const int64_t S = c.image_size;
  std::vector<uint8_t> square(static_cast<size_t>(S * S * 3), 0);  // letterbox padding is black
  if (w == S && h == S) {
    std::copy(rgb, rgb + S * S * 3, square.begin());
  } else {
    const float scale = std::min(static_cast<float>(S) / static_cast<float>(w), static_cast<float>(S) / static_cast<float>(h));
    const int64_t nw = std::min<int64_t>(static_cast<int64_t>(std::ceil(static_cast<float>(w) * scale)), S);
    const int64_t nh = std::min<int64_t>(static_cast<int64_t>(std::ceil(static_cast<float>(h) * scale)), S);
    std::vector<uint8_t> scaled(static_cast<size_t>(nw * nh * 3));
    resize_bilinear(rgb, w, h, scaled.data(), nw, nh);
    const int64_t ox = (S - nw) / 2, oy = (S - nh) / 2;
    for (int64_t y = 0; y < nh; ++y) std::copy_n(&scaled[y * nw * 3], nw * 3, &square[((y + oy) * S + ox) * 3]);
  }
  for (int ch = 0; ch < 3; ++ch) {
    float* plane = out + ch * S * S;
    for (int64_t i = 0; i < S * S; ++i) plane[i] = (static_cast<float>(square[i * 3 + ch]) / 255.0f - c.mean[ch]) / c.std[ch];
  }
  return Status::ok();
}

}  // namespace capibara::vision
