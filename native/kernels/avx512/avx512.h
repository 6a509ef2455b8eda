// avx512 kernels: same signatures as scalar/scalar.h; only this folder is compiled with avx512 flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::avx512 {

// norm.cpp
void rmsnorm(float* y, const float* x, const float* w, int64_t n, float eps);
void layernorm(float* y, const float* x, const float* w, int64_t n, float eps);

// act.cpp
void swiglu(float* y, const float* g, const float* u, int64_t n);
void geglu(float* y, const float* g, const float* u, int64_t n);
void gelu(float* y, const float* x, int64_t n);
void softmax(float* x, int64_t n);

// mask.cpp
void apply_token_mask(float* logits, const uint32_t* mask, int64_t n);

// rope.cpp
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, const RopeParams& p);

// attention.cpp
void flash_attn(const FlashAttnArgs& a);

// dot.cpp: VNNI Q8_0/Q4_0 (float types use the avx2 kernels)
void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void gemm_q8_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q4_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);

// dot_k.cpp: VNNI K-quant dots; gemm_* use them for one token and avx2's row-unpacking GEMM for more
void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void gemm_q4_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q5_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q6_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);

// gemm_packed.cpp: 16-row interleaved Q4_0/Q8_0/Q4_1/Q5_0/Q5_1/IQ4_NL (pack.h) and their GEMMs
void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q8_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q4_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_q8_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void pack_q4_1(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q5_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q5_1(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_iq4_nl(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q4_1_q8_1_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_0_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_1_q8_1_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_iq4_nl_q8_0_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                             int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed_k.cpp: 16-row interleaved Q4_K/Q5_K/Q6_K (pack.h) and their GEMMs
void pack_q4_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q5_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q6_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q5_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_q4_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_q6_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed_k.cpp too: 16-row interleaved Q2_K/Q3_K/IQ4_XS (pack.h) and their GEMMs
void pack_q2_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q3_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_iq4_xs(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q2_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_q3_K_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                           int64_t n_tok, float* y, int64_t y_stride);
void gemm_iq4_xs_q8_K_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                             int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed_half.cpp: 16-row interleaved F16/BF16 (pack.h kPackHalf) and their GEMMs
void pack_half(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_f16_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                     float* y, int64_t y_stride);
void gemm_bf16_packed(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride);

// dot_more.cpp: VNNI Q4_1/Q5_0/Q5_1/IQ4_NL (gemm_* tile 4 rows x 2 tokens)
void vec_dot_q4_1_q8_1(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_1_q8_1(int64_t n, float* s, const void* x, const void* y);
void vec_dot_iq4_nl_q8_0(int64_t n, float* s, const void* x, const void* y);
void gemm_q4_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q5_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q5_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_iq4_nl_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride);

}  // namespace capibara::avx512
