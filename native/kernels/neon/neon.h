// neon kernels: same signatures as scalar/scalar.h; only this folder is compiled with neon flags.
#pragma once
#include "kernels/kernels.h"

namespace capibara::neon {

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

// dot.cpp: *_dotprod variants need the ARMv8.2 dot-product extension, *_i8mm both i8mm and dotprod
// (dispatch checks the CPU);
// gemm_* tile 4 weight rows per activation pass
void vec_dot_f32(int64_t n, float* s, const void* x, const void* y);
void vec_dot_f16(int64_t n, float* s, const void* x, const void* y);
void vec_dot_bf16(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q8_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q8_0_q8_0_dotprod(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_0_q8_0_dotprod(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q6_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q6_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y);
void gemm_q8_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q4_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q8_0_q8_0_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride);
void gemm_q4_0_q8_0_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride);
void gemm_q8_0_q8_0_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                         int64_t n_tok, float* y, int64_t y_stride);
void gemm_q4_0_q8_0_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                         int64_t n_tok, float* y, int64_t y_stride);

// dot_more.cpp: Q4_1/Q5_0/Q5_1/IQ4_NL (gemm_* tile 4 rows x 2 tokens), IQ4_XS, Q2_K, Q3_K; *_dotprod need dotprod
void vec_dot_q4_1_q8_1(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q4_1_q8_1_dotprod(int64_t n, float* s, const void* x, const void* y);
void gemm_q4_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void gemm_q4_1_q8_1_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void vec_dot_q5_0_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_0_q8_0_dotprod(int64_t n, float* s, const void* x, const void* y);
void gemm_q5_0_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_0_q8_0_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void vec_dot_q5_1_q8_1(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q5_1_q8_1_dotprod(int64_t n, float* s, const void* x, const void* y);
void gemm_q5_1_q8_1(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_1_q8_1_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void vec_dot_iq4_nl_q8_0(int64_t n, float* s, const void* x, const void* y);
void vec_dot_iq4_nl_q8_0_dotprod(int64_t n, float* s, const void* x, const void* y);
void gemm_iq4_nl_q8_0(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void gemm_iq4_nl_q8_0_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
               int64_t n_tok, float* y, int64_t y_stride);
void vec_dot_iq4_xs_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_iq4_xs_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y);
void gemm_iq4_xs_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                      float* y, int64_t y_stride);
void gemm_iq4_xs_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                              int64_t n_tok, float* y, int64_t y_stride);
void vec_dot_q2_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q2_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q3_K_q8_K(int64_t n, float* s, const void* x, const void* y);
void vec_dot_q3_K_q8_K_dotprod(int64_t n, float* s, const void* x, const void* y);

// gemm_k.cpp: K-quant GEMM that unpacks each weight row once for all tokens (n_tok == 1: vec_dot)
void gemm_q4_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q5_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q6_K_q8_K(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row, int64_t n_tok,
                    float* y, int64_t y_stride);
void gemm_q4_K_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_K_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride);
void gemm_q6_K_q8_K_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                            int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed.cpp: 4-row interleaved Q4_0/Q8_0/Q4_1/Q5_0/Q5_1/IQ4_NL (pack.h; Q4_0 bytes XORed with 0x88)
// and their GEMMs, which need dotprod (dispatch installs them only then)
void pack_q4_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q8_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q4_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_q8_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void pack_q4_1(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q5_0(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q5_1(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_iq4_nl(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q4_1_q8_1_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_0_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_1_q8_1_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_iq4_nl_q8_0_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                     int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed_i8mm.cpp: 4-row Q4_0/Q8_0 groups in 8-byte units (SMMLA's operand shape) and their GEMMs,
// which need i8mm (dispatch installs all four only then)
void pack_q4_0_i8mm(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q8_0_i8mm(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q4_0_q8_0_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride);
void gemm_q8_0_q8_0_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed_k.cpp: 4-row Q4_K / Q5_K / Q6_K groups (pack.h's layouts) and their GEMMs, which need dotprod
void pack_q4_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q5_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q6_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q4_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_q6_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);

// gemm_packed_k_i8mm.cpp: GEMMs on the same groups with SMMLA, which need i8mm and dotprod (a single
// token runs the dotprod kernel)
void gemm_q4_K_q8_K_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride);
void gemm_q5_K_q8_K_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride);
void gemm_q6_K_q8_K_packed_i8mm(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                int64_t n_tok, float* y, int64_t y_stride);
// gemm_packed_k.cpp too: 4-row Q2_K / Q3_K (hmask inverted: kPackQ3_KInv) / IQ4_XS groups and their GEMMs,
// which need dotprod
void pack_q2_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_q3_K(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void pack_iq4_xs(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst);
void gemm_q2_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_q3_K_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                   int64_t n_tok, float* y, int64_t y_stride);
void gemm_iq4_xs_q8_K_packed_dotprod(int64_t n, const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                     int64_t n_tok, float* y, int64_t y_stride);

// quantize.cpp (bit-identical to the scalar reference)
void quantize_row_q8_0(const float* x, void* y, int64_t n);
void quantize_row_q8_K(const float* x, void* y, int64_t n);
void quantize_row_f16(const float* x, void* y, int64_t n);
void dequantize_row_f16(const void* x, float* y, int64_t n);
void dequantize_row_bf16(const void* x, float* y, int64_t n);

}  // namespace capibara::neon
