// The interleaved layouts shared by the packed kernels of every ISA (see PackFn in kernels.h).
// A block type is a list of fields (fp16 scales, scale bytes, quant bytes). For a group of R rows,
// packed block b holds each field in turn, in R-row interleave by units:
//   unit u of the field of row r at  field_start + (u * R + r) * unit_bytes
// where field_start is the sum of R * bytes of the fields before it. With unit = the field's size
// (an fp16 scale) the R values sit side by side, one vector load for all rows; with unit = 1 (K-quant
// scale bytes) byte u of every row forms a 16-byte plane; with unit = 4 (quants) one load of R 32-bit
// lanes gives bytes 4k..4k+3 of every row, ready for a dot instruction that multiplies each lane by the
// same 4 activation bytes (vpdpbusd with a broadcast, sdot by lane). A field may XOR its bytes: 0x80
// turns Q8_0's signed bytes into the unsigned ones vpdpbusd wants; 0x88 makes each Q4_0 nibble n the
// 4-bit two's complement of n - 8 (NEON shifts it to the top of a signed byte). The group is exactly
// as large as its R rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "kernels/quant_blocks.h"

namespace capibara {

struct PackField {
  uint16_t offset;  // in the GGUF block
  uint16_t bytes;
  uint16_t unit;    // interleave unit; divides bytes
  uint8_t xor_mask;
};

// Fields of the packed layouts, in packed order (together they cover the block exactly).
constexpr PackField kPackQ4_0[] = {{0, 2, 2, 0}, {2, 16, 4, 0}};                              // d | qs
constexpr PackField kPackQ4_0Signed[] = {{0, 2, 2, 0}, {2, 16, 4, 0x88}};                     // d | qs ^ 0x88
constexpr PackField kPackQ8_0[] = {{0, 2, 2, 0}, {2, 32, 4, 0}};                              // d | qs
constexpr PackField kPackQ8_0Unsigned[] = {{0, 2, 2, 0}, {2, 32, 4, 0x80}};                   // d | qs + 128
// The legacy 32-element family (IQ4_NL packs like Q4_0): the fp16 fields side by side, Q5's 32-bit qh
// words one lane per row like the quants, so one load gives every row's fifth bits.
constexpr PackField kPackQ4_1[] = {{0, 2, 2, 0}, {2, 2, 2, 0}, {4, 16, 4, 0}};                  // d | m | qs
constexpr PackField kPackQ5_0[] = {{0, 2, 2, 0}, {2, 4, 4, 0}, {6, 16, 4, 0}};                  // d | qh | qs
constexpr PackField kPackQ5_1[] = {{0, 2, 2, 0}, {2, 2, 2, 0}, {4, 4, 4, 0}, {8, 16, 4, 0}};    // d | m | qh | qs
constexpr PackField kPackQ4_K[] = {{0, 2, 2, 0}, {2, 2, 2, 0}, {4, 12, 1, 0}, {16, 128, 4, 0}};  // d | dmin | scales | qs
constexpr PackField kPackQ5_K[] = {{0, 2, 2, 0}, {2, 2, 2, 0}, {4, 12, 1, 0}, {16, 32, 4, 0}, {48, 128, 4, 0}};  // ... | qh | qs
// F16 / BF16: a "block" is one element, so a group's column is its R values side by side.
constexpr PackField kPackHalf[] = {{0, 2, 2, 0}};
// Q6_K: d | scales | then per half h and quarter-word group mq (bytes in the order the kernels read
// them, so the stream only ascends): ql bytes 64h + 16mq.. (levels of quarters 0 and 2), ql bytes
// 64h + 32 + 16mq.. (quarters 1 and 3), qh bytes 128 + 32h + 16mq.. (their top 2 bits).
constexpr PackField kPackQ6_K[] = {{208, 2, 2, 0},  {192, 16, 1, 0}, {0, 16, 4, 0},   {32, 16, 4, 0},
                                   {128, 16, 4, 0}, {16, 16, 4, 0},  {48, 16, 4, 0},  {144, 16, 4, 0},
                                   {64, 16, 4, 0},  {96, 16, 4, 0},  {160, 16, 4, 0}, {80, 16, 4, 0},
                                   {112, 16, 4, 0}, {176, 16, 4, 0}};

// Packs n_rows (a multiple of R) rows of n_cols elements in blocks of block_elems / block_bytes.
// The layout is a template argument so every field's size and unit are constants and the copies
// compile to plain moves (a runtime field list measured ~10x slower: 5 s for a 2 GB F16 model).
template <int R, size_t kFields, const PackField (&kLayout)[kFields]>
void pack_rows(size_t block_bytes, int64_t block_elems, const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols,
               void* dst) {
  const int64_t nb = n_cols / block_elems;
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t g = 0; g < n_rows / R; ++g) {
    const uint8_t* rows = in + g * R * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blocks = rows + b * block_bytes;
      for (const PackField& f : kLayout) {
        for (int r = 0; r < R; ++r) {
          const uint8_t* from = blocks + r * row_bytes + f.offset;
          for (int u = 0; u < f.bytes / f.unit; ++u)
            for (int i = 0; i < f.unit; ++i)
              out[(u * R + r) * f.unit + i] = static_cast<uint8_t>(from[u * f.unit + i] ^ f.xor_mask);
        }
        out += R * f.bytes;
      }
    }
  }
}

// The loop of every packed GEMM: groups of R rows outer, tiles of at most kMaxTile tokens inner, so a
// group's weights stay in L1/L2 across its tiles. tile(group, t0, nt, out) multiplies the group by
// tokens t0 .. t0 + nt - 1 and writes token t's R results at out + t * y_stride.
template <int R, int kMaxTile, typename Tile>
inline void for_each_packed_tile(const void* w, size_t w_row, int64_t n_rows, int64_t n_tok, float* y, int64_t y_stride,
                                 Tile&& tile) {
  for (int64_t g = 0; g < n_rows / R; ++g) {
    const uint8_t* group = static_cast<const uint8_t*>(w) + g * R * w_row;
    for (int64_t t0 = 0; t0 < n_tok; t0 += kMaxTile) {
      const int nt = static_cast<int>(n_tok - t0 < kMaxTile ? n_tok - t0 : kMaxTile);
      tile(group, t0, nt, y + t0 * y_stride + g * R);
    }
  }
}

// for_each_packed_tile for tile kernels that take their tokens as an array of activation rows of type
// Act (token t's row at x + t * x_row bytes): tile(group, rows, nt, out).
template <int R, int kMaxTile, typename Act, typename Tile>
inline void for_each_packed_row_tile(const void* w, size_t w_row, int64_t n_rows, const void* x, size_t x_row,
                                     int64_t n_tok, float* y, int64_t y_stride, Tile&& tile) {
  const auto* xb = static_cast<const uint8_t*>(x);
  for_each_packed_tile<R, kMaxTile>(w, w_row, n_rows, n_tok, y, y_stride, [&](const uint8_t* group, int64_t t0, int nt, float* out) {
    const Act* rows[kMaxTile];
    for (int t = 0; t < nt; ++t) rows[t] = reinterpret_cast<const Act*>(xb + (t0 + t) * x_row);
    tile(group, rows, nt, out);
  });
}

}  // namespace capibara
