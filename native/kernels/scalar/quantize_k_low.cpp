// Reference quantisers and dequantisers of the 2- and 3-bit K-quants, ggml's quantize_row_q2_K_ref /
// quantize_row_q3_K_ref semantics (fp-contraction off, as in quantize.cpp; bytes checked against ggml in
// test/native/ggml_ref_test.cpp):
//   Q2_K: per 16 elements an asymmetric fit to levels 0..3 weighted by |x| with absolute errors (make_qkx2,
//         rmin -0.5, step 0.1, 16 tries); scales and mins are rounded to 4 bits against the largest of each,
//         then the elements are re-quantised with the rounded scales.
//   Q3_K: per 16 elements a symmetric fit to levels -4..3 refined element by element (make_q3_quants),
//         scales rounded to 6 bits against -32 / (the signed largest), then re-quantised.
// Round-trip NMSE on uniform data (test/native/quant_test.cpp): q3_K < 2e-2, q2_K < 6e-2.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/scalar/fit.h"
#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

namespace {

using fit::kGroupMaxEps;
using fit::nearest_int;

// Symmetric fit of 16 values to levels -4..3 weighted by x^2: start from the absmax grid, then move single
// elements to the level the current scale suggests while that raises sumlx^2 / suml2 (at most 5 passes).
// L gets level + 4; returns the least-squares scale.
float fit_q3(const float* x, int8_t* L) {
  constexpr int n = 16, nmax = 4;
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, 0);
    return 0.0f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<int8_t>(std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1));
    const float w = x[i] * x[i];
    sumlx += w * x[i] * L[i];
    suml2 += w * L[i] * L[i];
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx <= 0) continue;
      float sl2 = suml2 - w * L[i] * L[i];
      const int l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (l == L[i]) continue;
      slx += w * x[i] * l;
      sl2 += w * l * l;
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = static_cast<int8_t>(l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (!changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// 2-bit levels of 256 elements into qs: element 128h + 32j + l goes to bits 2j of qs[32h + l].
template <typename Level>
void pack_2bit(const Level* L, uint8_t* qs) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) {
      const Level* e = L + 128 * h + l;
      qs[32 * h + l] = static_cast<uint8_t>(e[0] | (e[32] << 2) | (e[64] << 4) | (e[96] << 6));
    }
}

inline int two_bits(const uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3; }

}  // namespace

void quantize_row_q2_K(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ2_K*>(vy);
  uint8_t L[kQKK];
  float weights[16], mins[16], scales[16];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ2_K& blk = y[b];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = fit::fit_scale_min(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    if (max_scale > 0) {
      const float iscale = 15.f / max_scale;
      for (int j = 0; j < 16; ++j) blk.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      blk.d = fp32_to_fp16(max_scale / 15.f);
    } else {
      std::memset(blk.scales, 0, sizeof blk.scales);
      blk.d = fp32_to_fp16(0.0f);
    }
    if (max_min > 0) {
      const float iscale = 15.f / max_min;
      for (int j = 0; j < 16; ++j) blk.scales[j] = static_cast<uint8_t>(blk.scales[j] | (nearest_int(iscale * mins[j]) << 4));
      blk.dmin = fp32_to_fp16(max_min / 15.f);
    } else {
      blk.dmin = fp32_to_fp16(0.0f);
    }
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_fp32(blk.d) * (blk.scales[j] & 0xF);
      if (d == 0) continue;
      const float dm = fp16_to_fp32(blk.dmin) * (blk.scales[j] >> 4);
      for (int i = 0; i < 16; ++i) L[16 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
    }
    pack_2bit(L, blk.qs);
  }
}

void dequantize_row_q2_K(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockQ2_K*>(vx);
  for (int64_t b = 0; b < n / kQKK; ++b, y += kQKK) {
    const float d = fp16_to_fp32(x[b].d), dmin = fp16_to_fp32(x[b].dmin);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * (x[b].scales[s] & 0xF), ml = dmin * (x[b].scales[s] >> 4);
      for (int i = 0; i < 16; ++i) y[16 * s + i] = dl * two_bits(x[b].qs, 16 * s + i) - ml;
    }
  }
}

void quantize_row_q3_K(const float* x, void* vy, int64_t n) {
  auto* y = static_cast<BlockQ3_K*>(vy);
  int8_t L[kQKK];
  float scales[16];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ3_K& blk = y[b];
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_q3(x + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(blk.scales, 0, sizeof blk.scales);
    if (max_scale != 0) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int l = std::clamp(static_cast<int>(static_cast<int8_t>(nearest_int(iscale * scales[j]))), -32, 31) + 32;
        if (j < 8) blk.scales[j] = static_cast<uint8_t>(l & 0xF);
        else blk.scales[j - 8] = static_cast<uint8_t>(blk.scales[j - 8] | ((l & 0xF) << 4));
        blk.scales[8 + j % 4] = static_cast<uint8_t>(blk.scales[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
      }
      blk.d = fp32_to_fp16(1 / iscale);
    } else {
      blk.d = fp32_to_fp16(0.0f);
    }
    int ls[16];
    q3_k_scales(blk.scales, ls);
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_fp32(blk.d) * (ls[j] - 32);
      if (d == 0) continue;
      for (int i = 0; i < 16; ++i) L[16 * j + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
    }
    // Levels 4..7 keep their high bit in hmask (element e: bit e / 32 of hmask[e % 32]).
    std::memset(blk.hmask, 0, sizeof blk.hmask);
    for (int e = 0; e < kQKK; ++e) {
      if (L[e] > 3) {
        blk.hmask[e % 32] = static_cast<uint8_t>(blk.hmask[e % 32] | (1 << (e / 32)));
        L[e] = static_cast<int8_t>(L[e] - 4);
      }
    }
    pack_2bit(L, blk.qs);
  }
}

void dequantize_row_q3_K(const void* vx, float* y, int64_t n) {
  const auto* x = static_cast<const BlockQ3_K*>(vx);
  for (int64_t b = 0; b < n / kQKK; ++b, y += kQKK) {
    const float d = fp16_to_fp32(x[b].d);
    int ls[16];
    q3_k_scales(x[b].scales, ls);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * (ls[s] - 32);
      for (int i = 0; i < 16; ++i) {
        const int e = 16 * s + i;
        const int hbit = (x[b].hmask[e % 32] >> (e / 32)) & 1;
        y[e] = dl * (two_bits(x[b].qs, e) - (hbit ? 0 : 4));
      }
    }
  }
}

}  // namespace capibara::scalar
