// Attention reference: for each query and head, all logits of the visible keys in double, then a
// two-pass softmax and the weighted sum of V (llama2.c's loop, with F16 K/V and GQA). The SIMD
// versions tile keys with an online softmax in float and are measured against this.
// Tolerance: NMSE <= 1e-10 over the output (F16 K/V are exact in both; only float rounding differs).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/scalar/scalar.h"

namespace capibara::scalar {

void flash_attn(const FlashAttnArgs& a) {
  const int64_t group = a.n_head / a.n_kv_head;
  std::vector<double> logits;
  for (int64_t i = 0; i < a.n_q; ++i) {
    const int64_t pos = a.q_pos0 + i;
    const int64_t first = a.window > 0 ? std::max<int64_t>(0, pos - a.window + 1) : 0;
    const int64_t last = std::max(pos, a.kv_end - 1);
    logits.assign(static_cast<size_t>(last - first + 1), 0.0);
    for (int64_t h = a.head_begin; h < a.head_end; ++h) {
      const int64_t kv_off = (h / group) * a.head_dim;
      const float* q = a.q + i * a.q_stride + h * a.head_dim;
      float* out = a.out + i * a.out_stride + h * a.head_dim;
      double max = -INFINITY;
      for (int64_t j = first; j <= last; ++j) {
        const uint16_t* k = kv_row(a, a.k, j) + kv_off;
        double dot = 0.0;
        for (int64_t d = 0; d < a.head_dim; ++d) dot += static_cast<double>(q[d]) * fp16_to_fp32(k[d]);
        double s = a.scale * dot;
        if (a.softcap > 0.0f) s = a.softcap * std::tanh(s / a.softcap);
        logits[j - first] = s;
        max = std::max(max, s);
      }
      double sum = 0.0;
      for (double& s : logits) {
        s = std::exp(s - max);
        sum += s;
      }
      for (int64_t d = 0; d < a.head_dim; ++d) {
        double acc = 0.0;
        for (int64_t j = first; j <= last; ++j) acc += logits[j - first] * fp16_to_fp32(kv_row(a, a.v, j)[kv_off + d]);
        out[d] = static_cast<float>(acc / sum);
      }
    }
  }
}

}  // namespace capibara::scalar
