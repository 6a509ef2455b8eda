// The interleaved layout shared by the packed Q4_0 / Q8_0 kernels of every ISA (see PackFn in
// kernels.h). For a group of R rows, block b of the group holds
//   R fp16 scales (row order), then the R rows' quant bytes as 4-byte words: word k of row r at
//   byte (k * R + r) * 4,
// so one load of R 32-bit lanes at word k gives bytes 4k..4k+3 of every row, ready for a dot
// instruction that multiplies each lane by the same 4 activation bytes (vpdpbusd with a broadcast,
// sdot by lane). Each quant byte is XORed with kXor: 0x80 turns Q8_0's signed bytes into the
// unsigned ones vpdpbusd wants (w + 128), 0 keeps them, 0x88 makes each Q4_0 nibble n the 4-bit two's
// complement of n - 8 (NEON).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_blocks.h"

namespace capibara {

template <int R, typename Block, uint8_t kXor>
void pack_interleaved(const void* src, size_t row_bytes, int64_t n_rows, int64_t n_cols, void* dst) {
  constexpr int kWords = static_cast<int>(sizeof(Block::qs)) / 4;
  static_assert(sizeof(Block) == 2 + 4 * kWords, "a 32-element block is an fp16 scale and whole words");
  const int64_t nb = n_cols / kQK0;
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t g = 0; g < n_rows / R; ++g) {
    const uint8_t* rows = in + g * R * row_bytes;
    for (int64_t b = 0; b < nb; ++b, out += R * sizeof(Block)) {
      for (int r = 0; r < R; ++r) {
        Block blk;
        std::memcpy(&blk, rows + r * row_bytes + b * sizeof(Block), sizeof(Block));
        std::memcpy(out + 2 * r, &blk.d, 2);
        for (int k = 0; k < kWords; ++k)
          for (int i = 0; i < 4; ++i)
            out[2 * R + (k * R + r) * 4 + i] = static_cast<uint8_t>(static_cast<uint8_t>(blk.qs[4 * k + i]) ^ kXor);
      }
    }
  }
}

}  // namespace capibara
