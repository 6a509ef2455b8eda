// AVX-512 VNNI (256-bit vpdpbusd via AVX512VL) Q8_0 and Q4_0 dot products and GEMM tiles.
// Differences from avx2/dot.cpp:
//   - vpdpbusd multiplies u8 weights by s8 activations and accumulates 4 products per s32 lane in one
//     instruction, so the weight bytes are made unsigned and the offset is folded into the accumulator's
//     start value, computed once per activation block and shared by every row:
//       Q8_0: (w ^ 0x80) = w + 128           start = -128 * sum(y)
//       Q4_0: one 128-bit broadcast of the 16 packed bytes masked with 0x0F (low lane: elements 0..15)
//             and 0xF0 (high lane: 16 * elements 16..31), which already matches y's element order;
//             start = [-8 * sum(y_lo), -128 * sum(y_hi)] and the high lane is scaled by 1/16 (exact).
//   - the prepared activation (start value and d_y per lane, 64 bytes per block) is built once per token
//     and reused by all rows; GEMM tiles are 4 rows x 4 tokens (GEMV: 4 rows x 1) over token blocks of 8.
// Results are exact integer sums scaled in float like the scalar reference: |err| ~ 1e-7 relative.
#include <immintrin.h>

#include <vector>

#include "kernels/avx512/avx512.h"
#include "kernels/quant_blocks.h"

namespace capibara::avx512 {

namespace {

struct alignas(32) PreparedBlock {
  __m256i start;  // s32 accumulator start (the offset correction)
  __m256 dy;      // d_y per lane (with 1/16 on Q4_0's high lane)
};

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

template <bool kQ4>
void prepare(const BlockQ8_0* y, int64_t nb, PreparedBlock* out) {
  const __m256i ones = _mm256_set1_epi8(1);
  // Start = -(sum4(y) << shift): Q8_0 shifts every lane by 7; Q4_0 by 3 (low lane) and 7 (high lane).
  const __m256i shift = kQ4 ? _mm256_setr_epi32(3, 3, 3, 3, 7, 7, 7, 7) : _mm256_set1_epi32(7);
  const __m256 lane_scale = kQ4 ? _mm256_setr_ps(1, 1, 1, 1, 1.f / 16, 1.f / 16, 1.f / 16, 1.f / 16) : _mm256_set1_ps(1);
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i sum4 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, load256(y[b].qs));
    out[b].start = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_sllv_epi32(sum4, shift));
    out[b].dy = _mm256_mul_ps(_mm256_cvtph_ps(_mm_set1_epi16(static_cast<short>(y[b].d))), lane_scale);
  }
}

// Unsigned weight bytes of block b of a row, laid out to match the activation bytes.
template <bool kQ4>
inline __m256i weight_bytes(const uint8_t* row, int64_t b, uint16_t* d) {
  if (kQ4) {
    const auto* blk = reinterpret_cast<const BlockQ4_0*>(row) + b;
    *d = blk->d;
    const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->qs)));
    return _mm256_and_si256(q, _mm256_setr_m128i(_mm_set1_epi8(0x0F), _mm_set1_epi8(static_cast<char>(0xF0))));
  }
  const auto* blk = reinterpret_cast<const BlockQ8_0*>(row) + b;
  *d = blk->d;
  return _mm256_xor_si256(load256(blk->qs), _mm256_set1_epi8(static_cast<char>(0x80)));
}

// R rows (w + r * w_row) x T tokens (activation y[t], prepared p[t]); result (r, t) to s[t * s_stride + r].
// Each weight block is unpacked once for the T tokens and each activation block loaded once for the R rows.
template <int R, int T, bool kQ4>
void dot_tile(int64_t nb, const uint8_t* w, size_t w_row, const BlockQ8_0* const* y, const PreparedBlock* const* p,
              float* s, int64_t s_stride) {
  __m256 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m256i wq[R];
    __m256 dw[R];
    for (int r = 0; r < R; ++r) {
      uint16_t d;
      wq[r] = weight_bytes<kQ4>(w + r * w_row, b, &d);
      dw[r] = _mm256_cvtph_ps(_mm_set1_epi16(static_cast<short>(d)));
    }
    for (int t = 0; t < T; ++t) {
      const __m256i yq = load256(y[t][b].qs);
      const __m256i start = p[t][b].start;
      const __m256 dy = p[t][b].dy;
      for (int r = 0; r < R; ++r) {
        const __m256i i32 = _mm256_dpbusd_epi32(start, wq[r], yq);
        acc[r][t] = _mm256_fmadd_ps(_mm256_mul_ps(dw[r], dy), _mm256_cvtepi32_ps(i32), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) s[t * s_stride + r] = hsum(acc[r][t]);
}

// Prepared activations of the current token block, per thread, grown on demand and then reused.
std::vector<PreparedBlock>& prepared_buffer(size_t blocks) {
  thread_local std::vector<PreparedBlock> buf;
  if (buf.size() < blocks) buf.resize(blocks);
  return buf;
}

constexpr int64_t kTokBlock = 8;

template <bool kQ4>
void gemm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok, float* y,
          int64_t y_stride) {
  const int64_t nb = n / kQK0;
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  PreparedBlock* prep = prepared_buffer(static_cast<size_t>(nb * kTokBlock)).data();
  for (int64_t t0 = 0; t0 < n_tok; t0 += kTokBlock) {
    const int64_t nt = n_tok - t0 < kTokBlock ? n_tok - t0 : kTokBlock;
    for (int64_t t = 0; t < nt; ++t)
      prepare<kQ4>(reinterpret_cast<const BlockQ8_0*>(xb + (t0 + t) * x_row), nb, prep + t * nb);
    const BlockQ8_0* ys[kTokBlock];
    const PreparedBlock* ps[kTokBlock];
    for (int64_t t = 0; t < nt; ++t) {
      ys[t] = reinterpret_cast<const BlockQ8_0*>(xb + (t0 + t) * x_row);
      ps[t] = prep + t * nb;
    }
    // Tiles of 4 rows x 4 tokens; edges with 1 row and/or 1 token (same per-element arithmetic, so
    // every result is independent of the tiling).
    for (int64_t r = 0; r < n_rows; r += 4) {
      const bool full_rows = n_rows - r >= 4;
      for (int64_t t = 0; t < nt;) {
        float* out = y + (t0 + t) * y_stride + r;
        const int step = nt - t >= 4 ? 4 : 1;
        if (full_rows) {
          if (step == 4) dot_tile<4, 4, kQ4>(nb, wb + r * w_row, w_row, ys + t, ps + t, out, y_stride);
          else dot_tile<4, 1, kQ4>(nb, wb + r * w_row, w_row, ys + t, ps + t, out, y_stride);
        } else {
          for (int64_t i = r; i < n_rows; ++i) {
            if (step == 4) dot_tile<1, 4, kQ4>(nb, wb + i * w_row, w_row, ys + t, ps + t, out + (i - r), y_stride);
            else dot_tile<1, 1, kQ4>(nb, wb + i * w_row, w_row, ys + t, ps + t, out + (i - r), y_stride);
          }
        }
        t += step;
      }
    }
  }
}

}  // namespace

void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* x, const void* y) {
  gemm<false>(n, x, 0, 1, y, 0, 1, s, 1);
}

void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* x, const void* y) {
  gemm<true>(n, x, 0, 1, y, 0, 1, s, 1);
}

void gemm_q8_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<false>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

void gemm_q4_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride) {
  gemm<true>(n, w, w_row, n_rows, x, x_row, n_tok, y, y_stride);
}

}  // namespace capibara::avx512
