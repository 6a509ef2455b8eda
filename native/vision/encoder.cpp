#include "vision/encoder.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "runtime/arena.h"
#include "runtime/thread_pool.h"

namespace capibara::vision {

namespace {

// Token rows per matmul call: bounds the converted-activation scratch (at most kChunk rows of the
// widest input) without costing the GEMM its blocking, which works within far fewer rows.
constexpr int64_t kChunk = 512;

struct Ctx {
  ThreadPool* pool;
  QuantScratch* scratch;
};

// y [n][w.ne[1]] = x [n][w.ne[0]] W^T (+ b)
Status linear(const Ctx& cx, const Tensor& w, const Tensor& b, const float* x, int64_t n, float* y) {
  const int64_t in = w.ne[0], outw = w.ne[1];
  for (int64_t t0 = 0; t0 < n; t0 += kChunk) {
    const int64_t m = std::min(kChunk, n - t0);
    CAPIBARA_RETURN_IF_ERROR(matmul(*cx.pool, w.type, w.data, outw, in, x + t0 * in, m, y + t0 * outw, *cx.scratch,
                                    w.packed_by ? *w.packed_by : kernels(), w.packed_by != nullptr));
  }
  if (b) {
    const float* bv = b.f32();
    cx.pool->parallel_for(n, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t i = 0; i < outw; ++i) y[t * outw + i] += bv[i];
    });
  }
  return Status::ok();
}

// LayerNorm with weight and bias over n rows of width e: the table's LayerNorm, then the bias.
void layer_norm(const Ctx& cx, const Tensor& w, const Tensor& b, const float* x, float* y, int64_t n, int64_t e, float eps) {
  const Kernels& k = kernels();
  const float* bv = b.f32();
  cx.pool->parallel_for(n, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) {
      k.layernorm(y + t * e, x + t * e, w.f32(), e, eps);
      for (int64_t i = 0; i < e; ++i) y[t * e + i] += bv[i];
    }
  });
}

void add_into(const Ctx& cx, float* x, const float* y, int64_t n) {
  cx.pool->parallel_for(n, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; ++i) x[i] += y[i];
  });
}

void to_f16(const Ctx& cx, const float* x, uint16_t* y, int64_t n) {
  cx.pool->parallel_for(n, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; ++i) y[i] = fp32_to_fp16(x[i]);
  });
}

// Query rows per score block of the GEMM attention: bounds the [rows][N] scores.
constexpr int64_t kScoreRows = 256;

// Buffers of one block, reused by every block.
struct Buffers {
  float* x;       // [N][E] residual stream
  float* h;       // [N][E] normed input / attention output before o
  float* q;       // [N][E]
  float* kv;      // [N][E] K, then V, before their F16 copies
  float* att;     // [N][E]
  float* ff;      // [N][F]; the GEMM attention's scores [score_rows][N] and K [N][E] meanwhile
  uint16_t* k16;  // [N][E]; the GEMM attention's packed K and V of one head
  uint16_t* v16;  // [N][E]
};

int64_t score_rows(const VisionConfig& c) { return std::min(kScoreRows, c.n_patches()); }

// V_h^T's rows (the head dims) padded with zero rows to whole packed groups.
int64_t padded_head_dim(const VisionConfig& c) {
  const int64_t r = kernels().type(GgmlType::F16).pack_rows, hd = c.n_embd / c.n_head;
  return r > 0 ? (hd + r - 1) / r * r : hd;
}

// Whether attention runs as two packed F16 GEMMs per head (QK^T, then PV): the patches all see
// each other, so a head is two dense products that the packed GEMM runs near its peak, where the
// flash kernel's per-key dot products are bound by horizontal sums. Needs F16 packing (AVX-512).
bool gemm_attention_available(const VisionConfig& c) {
  const TypeKernels& t = kernels().type(GgmlType::F16);
  const int64_t hd = c.n_embd / c.n_head;
  // Packed K_h and V_h^T of one head share the k16 buffer ([N][E] halves).
  return t.pack && t.gemm_packed && c.n_patches() % t.pack_rows == 0 && hd + padded_head_dim(c) <= c.n_embd;
}

// Attention of one layer through packed GEMMs: per head, K_h [N][hd] and V_h^T [hd][N] are packed
// as F16 weight matrices; scores S = Q_h K_h^T for score_rows queries at a time, a scaled
// softmax per row, then O = P V_h into the head's columns of b.att.
Status gemm_attention(const Ctx& cx, const VisionConfig& c, const Buffers& b, const float* k, const float* v) {
  const int64_t N = c.n_patches(), E = c.n_embd, hd = E / c.n_head, hp = padded_head_dim(c);
  const Kernels& kt = kernels();
  const TypeKernels& f16 = kt.type(GgmlType::F16);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  uint16_t* plain = b.v16;            // [N][hd] gather buffer, then [hp][N]
  uint16_t* kp = b.k16;               // packed K_h
  uint16_t* vp = b.k16 + N * hd;      // packed V_h^T
  float* scores = b.ff;
  std::fill(plain + hd * N, plain + hp * N, uint16_t{0});  // V_h^T's padding rows stay zero
  std::vector<float> qh(static_cast<size_t>(std::min(kScoreRows, N) * hd)), oh(static_cast<size_t>(std::min(kScoreRows, N) * hp));
  const int64_t R = score_rows(c);
  for (int64_t h = 0; h < c.n_head; ++h) {
    cx.pool->parallel_for(N, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t d = 0; d < hd; ++d) plain[t * hd + d] = fp32_to_fp16(k[t * E + h * hd + d]);
    });
    f16.pack(plain, hd * sizeof(uint16_t), N, hd, kp);
    cx.pool->parallel_for(N, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t d = 0; d < hd; ++d) plain[d * N + t] = fp32_to_fp16(v[t * E + h * hd + d]);
    });
    f16.pack(plain, N * sizeof(uint16_t), hp, N, vp);
    for (int64_t i0 = 0; i0 < N; i0 += R) {
      const int64_t m = std::min(R, N - i0);
      for (int64_t i = 0; i < m; ++i) std::copy_n(b.q + (i0 + i) * E + h * hd, hd, qh.data() + i * hd);
      CAPIBARA_RETURN_IF_ERROR(matmul(*cx.pool, GgmlType::F16, kp, N, hd, qh.data(), m, scores, *cx.scratch, kt, true));
      cx.pool->parallel_for(m, [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          float* row = scores + r * N;
          for (int64_t j = 0; j < N; ++j) row[j] *= scale;
          kt.softmax(row, N);
        }
      });
      CAPIBARA_RETURN_IF_ERROR(matmul(*cx.pool, GgmlType::F16, vp, hp, N, scores, m, oh.data(), *cx.scratch, kt, true));
      for (int64_t i = 0; i < m; ++i) std::copy_n(oh.data() + i * hp, hd, b.att + (i0 + i) * E + h * hd);
    }
  }
  return Status::ok();
}

// Attention through the table's non-causal flash attention over F16 copies of K and V.
Status flash_attention(const Ctx& cx, const VisionConfig& c, const VisionLayer& l, const Buffers& b) {
  const int64_t N = c.n_patches(), E = c.n_embd, hd = E / c.n_head;
  CAPIBARA_RETURN_IF_ERROR(linear(cx, l.k_w, l.k_b, b.h, N, b.kv));
  to_f16(cx, b.kv, b.k16, N * E);
  CAPIBARA_RETURN_IF_ERROR(linear(cx, l.v_w, l.v_b, b.h, N, b.kv));
  to_f16(cx, b.kv, b.v16, N * E);
  FlashAttnArgs fa;
  fa.q = b.q;
  fa.q_stride = E;
  fa.k = b.k16;
  fa.v = b.v16;
  fa.kv_stride = E;
  fa.out = b.att;
  fa.out_stride = E;
  fa.n_head = fa.n_kv_head = c.n_head;
  fa.head_dim = hd;
  fa.kv_end = N;  // every patch sees every patch
  fa.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // Split by query blocks and heads, so two threads share the work even with few heads.
  const int64_t qblock = 64, n_qb = (N + qblock - 1) / qblock;
  const Kernels& k = kernels();
  cx.pool->parallel_for(n_qb * c.n_head, [&](int64_t j0, int64_t j1, int) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t h = j % c.n_head, i0 = (j / c.n_head) * qblock;
      FlashAttnArgs part = fa;
      part.q = b.q + i0 * E;
      part.out = b.att + i0 * E;
      part.n_q = std::min(qblock, N - i0);
      part.q_pos0 = i0;
      part.head_begin = h;
      part.head_end = h + 1;
      k.flash_attn(part);
    }
  });
  return Status::ok();
}

Status run_block(const Ctx& cx, const VisionConfig& c, const VisionLayer& l, const Buffers& b) {
  const int64_t N = c.n_patches(), E = c.n_embd;
  const Kernels& k = kernels();
  layer_norm(cx, l.ln1_w, l.ln1_b, b.x, b.h, N, E, c.eps);
  CAPIBARA_RETURN_IF_ERROR(linear(cx, l.q_w, l.q_b, b.h, N, b.q));
  if (gemm_attention_available(c)) {
    float* kf = b.ff + score_rows(c) * N;  // K beside the scores, V in kv
    CAPIBARA_RETURN_IF_ERROR(linear(cx, l.k_w, l.k_b, b.h, N, kf));
    CAPIBARA_RETURN_IF_ERROR(linear(cx, l.v_w, l.v_b, b.h, N, b.kv));
    CAPIBARA_RETURN_IF_ERROR(gemm_attention(cx, c, b, kf, b.kv));
  } else {
    CAPIBARA_RETURN_IF_ERROR(flash_attention(cx, c, l, b));
  }
  CAPIBARA_RETURN_IF_ERROR(linear(cx, l.o_w, l.o_b, b.att, N, b.h));
  add_into(cx, b.x, b.h, N * E);
  layer_norm(cx, l.ln2_w, l.ln2_b, b.x, b.h, N, E, c.eps);
  CAPIBARA_RETURN_IF_ERROR(linear(cx, l.up_w, l.up_b, b.h, N, b.ff));
  cx.pool->parallel_for(N, [&](int64_t t0, int64_t t1, int) { k.gelu(b.ff + t0 * c.n_ff, b.ff + t0 * c.n_ff, (t1 - t0) * c.n_ff); });
  CAPIBARA_RETURN_IF_ERROR(linear(cx, l.down_w, l.down_b, b.ff, N, b.h));
  add_into(cx, b.x, b.h, N * E);
  return Status::ok();
}

}  // namespace

// Width of the ff buffer per patch: the FFN's hidden rows, the patch pixels, or the GEMM
// attention's scores plus K.
int64_t ff_width(const VisionConfig& c) {
  return std::max({c.n_ff, c.patch_dim(), score_rows(c) + c.n_embd});
}

size_t encode_activation_bytes(const VisionConfig& c) {
  const int64_t N = c.n_patches(), E = c.n_embd;
  return Arena::bytes_for<float>(N * E) * 5 + Arena::bytes_for<float>(N * ff_width(c)) + Arena::bytes_for<uint16_t>(N * E) * 2;
}

Status encode_image(const VisionModel& m, const float* image, int n_threads, float* out, const std::atomic<bool>* abort) {
  const VisionConfig& c = m.config();
  const VisionWeights& w = m.weights();
  const int64_t N = c.n_patches(), E = c.n_embd, S = c.image_size, P = c.patch_size, side = c.side();
  auto arena = Arena::create(encode_activation_bytes(c));
  if (!arena) return arena.status();
  Arena& a = arena.value();
  Buffers b{};
  b.x = a.take<float>(N * E);
  b.h = a.take<float>(N * E);
  b.q = a.take<float>(N * E);
  b.kv = a.take<float>(N * E);
  b.att = a.take<float>(N * E);
  b.ff = a.take<float>(N * ff_width(c));
  b.k16 = a.take<uint16_t>(N * E);
  b.v16 = a.take<uint16_t>(N * E);
  if (!b.v16) return {ErrorCode::INTERNAL, "vision activation arena sized too small"};
  // One slot of the process's CPU budget for the whole encode, serial parts included.
  const CpuSlot cpu;
  ThreadPool pool(std::max(1, n_threads));
  QuantScratch scratch;
  const Ctx cx{&pool, &scratch};

  // Patch embedding: each patch's pixels in the convolution kernel's order [c][ky][kx] (im2col into
  // the FFN buffer), times the kernel matrix, plus the bias and the learned position embedding.
  const int64_t D = c.patch_dim();
  float* cols = b.ff;
  pool.parallel_for(N, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t py = p / side, px = p % side;
      float* dst = cols + p * D;
      for (int64_t ch = 0; ch < 3; ++ch)
        for (int64_t ky = 0; ky < P; ++ky)
          std::copy_n(image + (ch * S + py * P + ky) * S + px * P, P, dst + (ch * P + ky) * P);
    }
  });
  CAPIBARA_RETURN_IF_ERROR(linear(cx, w.patch_w, w.patch_b, cols, N, b.x));
  add_into(cx, b.x, w.pos.f32(), N * E);

  for (int64_t il = 0; il < c.n_layer; ++il) {
    if (abort && abort->load(std::memory_order_relaxed)) return {ErrorCode::ABORTED, "image encoding aborted"};
    CAPIBARA_RETURN_IF_ERROR(run_block(cx, c, w.layers[il], b));
  }
  layer_norm(cx, w.post_w, w.post_b, b.x, b.x, N, E, c.eps);

  // Average pool k x k over the patch grid, token order ty * (side / k) + tx.
  const int64_t k = c.merge, ps = side / k, T = c.n_tokens();
  float* pooled = b.h;
  std::fill(pooled, pooled + T * E, 0.0f);
  const float inv = 1.0f / static_cast<float>(k * k);
  for (int64_t p = 0; p < N; ++p) {
    float* dst = pooled + ((p / side / k) * ps + (p % side) / k) * E;
    const float* src = b.x + p * E;
    for (int64_t i = 0; i < E; ++i) dst[i] += src[i];
  }
  const Kernels& kt = kernels();
  for (int64_t t = 0; t < T; ++t) {
    float* row = pooled + t * E;
    for (int64_t i = 0; i < E; ++i) row[i] *= inv;
    kt.rmsnorm(row, row, w.soft_norm.f32(), E, c.eps);
  }
  return linear(cx, w.proj, Tensor{}, pooled, T, out);
}

}  // namespace capibara::vision
