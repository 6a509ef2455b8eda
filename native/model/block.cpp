// The transformer block. Per layer, for n_tok tokens x [n_tok][n_embd]:
//   h = norm(x)                                          "attn_norm"
//   q, k, v = h Wqkv (+ b)  (one fused matmul or three)
//   q, k = per-head norm (gemma3), RoPE at pos0 + t      "Qcur", "Kcur", "Vcur"
//          (cohere2: only on sliding-window layers)
//   K/V rows -> each sequence's cache blocks (F16, or Q8_0 dequantised per head for the kernel);
//   a = flash_attn(q, its cache through the block table)  "kqv_out"
//   o = a Wo (+ bo)                                      "attn_out"
//   sequential: o = post_norm(o)?; x += o ("ffn_inp"); h = norm(x) ("ffn_norm");
//               f = ffn(h); f = post_norm(f)?; x += f
//   parallel:   f = ffn(h from attn_norm); x += o + f
// with ffn(h) = down(act(h Wgate) * h Wup)               "ffn_out"; "l_out" at the end.
#include "model/block.h"

#include <algorithm>
#include <iterator>

#include "kernels/kernels.h"
#include "kernels/quant_blocks.h"

namespace capibara::model {

namespace {

// A [n_tok][width] view with row stride `stride` (fused QKV rows hold q | k | v).
struct Rows {
  float* p;
  int64_t stride;
  float* row(int64_t t) const { return p + t * stride; }
};

void add_bias(Rows y, int64_t n_tok, const Tensor& b) {
  if (!b) return;
  const float* bv = b.f32();
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t i = 0; i < b.ne[0]; ++i) y.row(t)[i] += bv[i];
}

void tap(const BlockArgs& a, const char* name, const float* data, int64_t width) {
  if (a.tap && *a.tap) (*a.tap)(name, a.il, data, a.n_tok, width);
}

// Gated activations of fewer elements run on the calling thread: a hand-off would cost more than it saves.
constexpr int64_t kParallelActMin = 16384;

// FFN of h [n_tok][n_embd] into out [n_tok][n_embd].
Status ffn(const BlockArgs& a, const float* h, float* out, const BlockBuffers& b) {
  const ModelConfig& c = *a.cfg;
  const LayerWeights& w = *a.w;
  const int64_t F = c.n_ff, T = a.n_tok;
  const GatedActFn act = c.act == Activation::GeGLU ? kernels().geglu : kernels().swiglu;
  if (w.ffn_gate) {
    float* gate = b.ff;
    float* up = b.ff + T * F;
    CAPIBARA_RETURN_IF_ERROR(linear_many(a.ex, {{&w.ffn_gate, gate}, {&w.ffn_up, up}}, h, T));
    // Elementwise, so all tokens at once; split over the threads once a batch makes it long (at 8
    // tokens it was about 1 % of a decode step, run on one thread while the others waited).
    const int64_t n = T * F;
    if (n < kParallelActMin) {
      act(b.act, gate, up, n);
    } else {
      a.ex.pool->parallel_for((n + 63) / 64, [&](int64_t i0, int64_t i1, int) {
        act(b.act + i0 * 64, gate + i0 * 64, up + i0 * 64, std::min(i1 * 64, n) - i0 * 64);
      });
    }
  } else {
    CAPIBARA_RETURN_IF_ERROR(linear(a.ex, w.ffn_up, h, T, b.ff));  // fused rows: gate then up
    // By token, split over the threads as above (one token: no hand-off).
    a.ex.pool->parallel_for(T, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) act(b.act + t * F, b.ff + t * 2 * F, b.ff + t * 2 * F + F, F);
    });
  }
  CAPIBARA_RETURN_IF_ERROR(linear(a.ex, w.ffn_down, b.act, T, out));
  tap(a, "ffn_out", out, c.n_embd);
  return Status::ok();
}

// Writes one token's K or V values (kv_dim floats) to a cache row in the pool's type.
// (The SIMD F16 conversion: a scalar loop here was about 1 % of an 8-stream decode step, run serially.)
void store_row(const KvPool& pool, uint8_t* row, const float* x) {
  kernels().type(pool.type() == KvType::Q8_0 ? GgmlType::Q8_0 : GgmlType::F16).from_float(x, row, pool.kv_dim());
}

// Attention over a Q8_0 cache for heads [a.head_begin, ...) that share one KV head: that head's
// columns of the visible rows are dequantised to F16 in `tmp` ([2][rows][head_dim] + head_dim
// floats, dense), then the F16 kernel runs on them as a one-KV-head problem. Returns the end of the
// heads done (at most a.head_end).
int64_t attend_q8(const FlashAttnArgs& a, KvCache& kv, int64_t il, uint16_t* tmp) {
  const Kernels& k = kernels();
  const int64_t hd = a.head_dim, group = a.n_head / a.n_kv_head, hk = a.head_begin / group;
  const int64_t h_end = std::min(a.head_end, (hk + 1) * group);
  const int64_t last = a.q_pos0 + a.n_q - 1;
  // SIMD kernels read whole key tiles on a grid of 32 and mask the keys outside the window, so the
  // rows from the tile start on must hold finite values too (a masked NaN would still poison the sum).
  // The tile start lies in the first block a window layer still holds.
  const int64_t lo = a.window > 0 ? std::max<int64_t>(0, a.q_pos0 - a.window + 1) / kKvBlockRows * kKvBlockRows : 0;
  uint16_t* tk = tmp;
  uint16_t* tv = tmp + (last + 1) * hd;
  float* f = reinterpret_cast<float*>(tv + (last + 1) * hd);
  const size_t col = static_cast<size_t>(hk * hd / kQK0) * sizeof(BlockQ8_0);
  const TypeKernels& q8 = k.type(GgmlType::Q8_0);
  const TypeKernels& f16 = k.type(GgmlType::F16);
  for (int64_t r = lo; r <= last; ++r) {
    q8.to_float(kv.k_row(il, r) + col, f, hd);
    f16.from_float(f, tk + r * hd, hd);
    q8.to_float(kv.v_row(il, r) + col, f, hd);
    f16.from_float(f, tv + r * hd, hd);
  }
  FlashAttnArgs one = a;
  one.q = a.q + a.head_begin * hd;
  one.out = a.out + a.head_begin * hd;
  one.k = tk;
  one.v = tv;
  one.blocks = nullptr;
  one.kv_stride = hd;
  one.n_head = h_end - a.head_begin;
  one.n_kv_head = 1;
  one.head_begin = 0;
  one.head_end = one.n_head;
  k.flash_attn(one);
  return h_end;
}

// Attention of h [n_tok][n_embd] into b.out [n_tok][n_embd].
Status attention(const BlockArgs& a, const float* h, const BlockBuffers& b) {
  const ModelConfig& c = *a.cfg;
  const LayerWeights& w = *a.w;
  const Kernels& k = kernels();
  const int64_t Q = c.q_dim(), KV = c.kv_dim(), hd = c.head_dim, T = a.n_tok;
  Rows q{}, kk{}, v{};
  if (w.wqkv) {
    const int64_t S = Q + 2 * KV;
    CAPIBARA_RETURN_IF_ERROR(linear(a.ex, w.wqkv, h, T, b.qkv));
    q = {b.qkv, S};
    kk = {b.qkv + Q, S};
    v = {b.qkv + Q + KV, S};
    add_bias(q, T, w.bqkv);  // the fused bias spans q | k | v, like the rows
  } else {
    q = {b.qkv, Q};
    kk = {b.qkv + T * Q, KV};
    v = {b.qkv + T * (Q + KV), KV};
    CAPIBARA_RETURN_IF_ERROR(linear_many(a.ex, {{&w.wq, q.p}, {&w.wk, kk.p}, {&w.wv, v.p}}, h, T));
  }
  add_bias(q, T, w.bq);
  add_bias(kk, T, w.bk);
  add_bias(v, T, w.bv);

  const bool swa = c.is_swa(a.il);
  RopeParams rp;
  rp.n_dims = static_cast<int>(c.n_rot);
  rp.neox = c.rope == RopeStyle::NeoX;
  rp.freq_base = swa ? c.rope_base_swa : c.rope_base;
  rp.freq_scale = swa ? c.rope_scale_swa : c.rope_scale;
  rp.freq_factors = a.rope_factors;
  rp.attn_factor = c.rope_attn_factor;
  // Per span, so a decode step of many one-token sequences shares it out (a prompt chunk is one span).
  a.ex.pool->parallel_for(static_cast<int64_t>(a.n_spans), [&](int64_t s0, int64_t s1, int) {
    for (int64_t si = s0; si < s1; ++si) {
      const SeqSpan& sp = a.spans[static_cast<size_t>(si)];
      for (int64_t i = 0; i < sp.n; ++i) {
        const int64_t t = sp.row0 + i;
        float* qt = q.row(t);
        float* kt = kk.row(t);
        const float* vt = v.row(t);
        if (w.q_norm) {
          for (int64_t h = 0; h < c.n_head; ++h) k.rmsnorm(qt + h * hd, qt + h * hd, w.q_norm.f32(), hd, c.norm_eps);
          for (int64_t h = 0; h < c.n_head_kv; ++h) k.rmsnorm(kt + h * hd, kt + h * hd, w.k_norm.f32(), hd, c.norm_eps);
        }
        const int64_t pos = sp.pos0 + i;
        if (swa || c.rope_global) {
          k.rope(qt, c.n_head, hd, pos, rp);
          k.rope(kt, c.n_head_kv, hd, pos, rp);
        }
        store_row(sp.kv->pool(), sp.kv->k_row(a.il, pos), kt);
        store_row(sp.kv->pool(), sp.kv->v_row(a.il, pos), vt);
      }
    }
  });
  if (a.tap && *a.tap) {
    (*a.tap)("Qcur", a.il, q.p, T, q.stride);
    (*a.tap)("Kcur", a.il, kk.p, T, kk.stride);
    (*a.tap)("Vcur", a.il, v.p, T, v.stride);
  }

  // One parallel_for over (span, head) pairs: a decode step of many one-token sequences keeps every
  // thread busy instead of splitting each sequence's few heads.
  FlashAttnArgs fa;
  fa.q_stride = q.stride;
  fa.kv_stride = KV;
  fa.out_stride = Q;
  fa.n_head = c.n_head;
  fa.n_kv_head = c.n_head_kv;
  fa.head_dim = hd;
  fa.window = swa ? c.sliding_window : 0;
  fa.scale = c.attn_scale;
  const int64_t H = c.n_head;
  a.ex.pool->parallel_for(static_cast<int64_t>(a.n_spans) * H, [&](int64_t i0, int64_t i1, int tid) {
    for (int64_t i = i0; i < i1;) {
      const SeqSpan& sp = a.spans[static_cast<size_t>(i / H)];
      FlashAttnArgs part = fa;
      part.q = q.row(sp.row0);
      part.out = b.att + sp.row0 * Q;
      part.n_q = sp.n;
      part.q_pos0 = sp.pos0;
      part.kv_end = sp.kv_end;
      part.head_begin = i % H;
      part.head_end = std::min<int64_t>(H, part.head_begin + (i1 - i));
      KvPool& pool = sp.kv->pool();
      if (pool.type() == KvType::F16) {
        // Block ids index the pool from its first block's K (or V) rows.
        part.k = reinterpret_cast<const uint16_t*>(pool.k(0));
        part.v = reinterpret_cast<const uint16_t*>(pool.v(0));
        part.blocks = sp.kv->blocks(a.il);
        part.block_stride = static_cast<int64_t>(pool.block_bytes() / sizeof(uint16_t));
        k.flash_attn(part);
      } else {
        part.head_end = attend_q8(part, *sp.kv, a.il, b.kv_tmp + tid * b.kv_tmp_stride);
      }
      i += part.head_end - part.head_begin;
    }
  });
  tap(a, "kqv_out", b.att, Q);
  CAPIBARA_RETURN_IF_ERROR(linear(a.ex, w.wo, b.att, T, b.out));
  add_bias({b.out, c.n_embd}, T, w.bo);
  tap(a, "attn_out", b.out, c.n_embd);
  return Status::ok();
}

void add_rows(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace

namespace {
MatmulPart part_of(const Tensor& w, float* y) {
  return {w.type, w.data, w.ne[1], y, w.packed_by ? w.packed_by : &kernels(), w.packed_by != nullptr};
}
}  // namespace

Status linear(const Exec& ex, const Tensor& w, const float* x, int64_t n_tok, float* y) {
  const MatmulPart p = part_of(w, y);
  return matmul_many(*ex.pool, &p, 1, w.ne[0], x, n_tok, *ex.scratch);
}

Status linear_many(const Exec& ex, std::initializer_list<LinearOut> outs, const float* x, int64_t n_tok) {
  MatmulPart parts[4];
  size_t n = 0;
  if (outs.size() == 0 || outs.size() > std::size(parts)) return {ErrorCode::INVALID_ARGUMENT, "linear_many: 1 to 4 weights"};
  const int64_t n_cols = outs.begin()->w->ne[0];
  for (const LinearOut& o : outs) {
    if (o.w->ne[0] != n_cols) return {ErrorCode::INVALID_ARGUMENT, "linear_many: weights of different input widths"};
    parts[n++] = part_of(*o.w, o.y);
  }
  return matmul_many(*ex.pool, parts, n, n_cols, x, n_tok, *ex.scratch);
}

void norm_rows(const ModelConfig& c, const Tensor& w, const float* x, float* y, int64_t n_tok, int64_t n) {
  const Kernels& k = kernels();
  const auto fn = c.norm == NormKind::LayerNorm ? k.layernorm : k.rmsnorm;
  for (int64_t t = 0; t < n_tok; ++t) fn(y + t * n, x + t * n, w ? w.f32() : nullptr, n, c.norm_eps);
}

namespace {
// norm_rows split over the threads by token (a decode step of 8 sequences ran them on one thread).
void norm_rows(const Exec& ex, const ModelConfig& c, const Tensor& w, const float* x, float* y, int64_t n_tok, int64_t n) {
  ex.pool->parallel_for(n_tok, [&](int64_t t0, int64_t t1, int) { norm_rows(c, w, x + t0 * n, y + t0 * n, t1 - t0, n); });
}
}  // namespace

Status run_block(const BlockArgs& a, float* x, const BlockBuffers& b) {
  const ModelConfig& c = *a.cfg;
  const LayerWeights& w = *a.w;
  const int64_t E = c.n_embd, n = a.n_tok * E;
  norm_rows(a.ex, c, w.attn_norm, x, b.h, a.n_tok, E);
  tap(a, "attn_norm", b.h, E);
  CAPIBARA_RETURN_IF_ERROR(attention(a, b.h, b));
  if (c.residual == Residual::Parallel) {
    CAPIBARA_RETURN_IF_ERROR(ffn(a, b.h, b.out2, b));
    add_rows(x, b.out, n);
    add_rows(x, b.out2, n);
  } else {
    if (w.attn_post_norm) {
      norm_rows(a.ex, c, w.attn_post_norm, b.out, b.out, a.n_tok, E);
      tap(a, "attn_post_norm", b.out, E);
    }
    add_rows(x, b.out, n);
    tap(a, "ffn_inp", x, E);
    norm_rows(a.ex, c, w.ffn_norm, x, b.h, a.n_tok, E);
    tap(a, "ffn_norm", b.h, E);
    CAPIBARA_RETURN_IF_ERROR(ffn(a, b.h, b.out2, b));
    if (w.ffn_post_norm) {
      norm_rows(a.ex, c, w.ffn_post_norm, b.out2, b.out2, a.n_tok, E);
      tap(a, "ffn_post_norm", b.out2, E);
    }
    add_rows(x, b.out2, n);
  }
  tap(a, "l_out", x, E);
  return Status::ok();
}

}  // namespace capibara::model
