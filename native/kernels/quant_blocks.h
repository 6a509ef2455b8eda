// GGUF/ggml block layouts, byte for byte as they sit in GGUF files (ggml-common.h), so tensors are used
// in place from the mapped file. Every struct is a POD whose size is checked against the type table.
//
// Element order inside a block is part of the format and easy to get wrong; each struct says it.
// "fp16" fields are IEEE binary16 bit patterns (fp16.h converts them).
#pragma once
#include <cstdint>
#include <cstring>

#include "common/ggml_type.h"

namespace capibara {

constexpr int kQK0 = 32;   // elements per Q4_0 / Q8_0 block
constexpr int kQKK = 256;  // elements per K-quant super-block

// Q8_0: value[i] = qs[i] * d.
struct BlockQ8_0 {
  uint16_t d;          // fp16 scale
  int8_t qs[kQK0];
};

// Q4_0: value[i] = (nibble[i] - 8) * d, where element i < 16 is the LOW nibble of qs[i] and
// element i >= 16 is the HIGH nibble of qs[i - 16].
struct BlockQ4_0 {
  uint16_t d;              // fp16 scale
  uint8_t qs[kQK0 / 2];
};

// Q4_1: value[i] = nibble[i] * d + m, nibbles ordered as in Q4_0.
struct BlockQ4_1 {
  uint16_t d;              // fp16 scale
  uint16_t m;              // fp16 min (the value of level 0)
  uint8_t qs[kQK0 / 2];
};

// Q5_0: value[i] = (q[i] - 16) * d with q = nibble (ordered as in Q4_0) + 16 * bit i of qh (a
// little-endian uint32: element i's fifth bit is bit i, so elements >= 16 use bits 16..31).
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK0 / 2];
};

// Q5_1: Q5_0's quants without the offset: value[i] = q[i] * d + m.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK0 / 2];
};

// Q8_1: activation type of Q4_1/Q5_1 dot products: value[i] = qs[i] * d, s = d * sum(qs) (fp16), so the
// weight's min enters a dot product as m * s without touching the quants.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK0];
};

// IQ4_NL: value[i] = d * kIq4nlValues[nibble[i]], nibbles ordered as in Q4_0. A 4-bit index always
// falls inside the 16-entry table, so no block, however corrupt, can index out of range.
struct BlockIq4Nl {
  uint16_t d;
  uint8_t qs[kQK0 / 2];
};

// IQ4_XS: 8 sub-blocks of 32, each an IQ4_NL block whose scale is d * (ls - 32) with a 6-bit ls: its low
// nibble is nibble j of scales_l (low nibble of byte j / 2 for even j), its top 2 bits are bits 2j, 2j+1
// of scales_h. Sub-block j's quants are qs[16j .. 16j+15] (low nibbles first, then high ones).
struct BlockIq4Xs {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQKK / 64];
  uint8_t qs[kQKK / 2];
};

// Sub-block j's stored 6-bit IQ4_XS scale ls (the scale is d * (ls - 32)).
inline int iq4_xs_scale(const BlockIq4Xs& b, int j) {
  return ((b.scales_l[j / 2] >> (4 * (j % 2))) & 0xF) | (((b.scales_h >> (2 * j)) & 3) << 4);
}

// The non-linear levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl).
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Q2_K: 16 sub-blocks of 16, value = d * (sc & 0xF) * q - dmin * (sc >> 4) with sc = scales[s] and a 2-bit q.
// Element 128h + 32j + l (h < 2, j < 4, l < 32) is bits 2j..2j+1 of qs[32h + l]; it lies in sub-block
// (128h + 32j + l) / 16, so Q8_K's bsums line up with the sub-blocks.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];  // low nibble: scale, high nibble: min
  uint8_t qs[kQKK / 4];
  uint16_t d;                 // fp16 scale of the scales
  uint16_t dmin;              // fp16 scale of the mins
};

// Q3_K: 16 sub-blocks of 16, value = d * (ls - 32) * (q - 4 * (1 - hbit)) with a 6-bit ls (read with
// q3_k_scales) and a 2-bit q. Element 128h + 32j + l: q is bits 2j..2j+1 of qs[32h + l], hbit is bit 4h + j of
// hmask[l]; its sub-block is (128h + 32j + l) / 16.
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint16_t d;
};

// The 16 6-bit Q3_K scales ls[s] (0..63): the low nibble of scales[s] (s < 8) or the high nibble of
// scales[s - 8], and bits 2 (s / 4)..2 (s / 4) + 1 of scales[8 + s % 4] on top.
inline void q3_k_scales(const uint8_t* q, int ls[16]) {
  for (int s = 0; s < 16; ++s) {
    const int low = s < 8 ? (q[s] & 0xF) : (q[s - 8] >> 4);
    ls[s] = low | (((q[8 + s % 4] >> (2 * (s / 4))) & 3) << 4);
  }
}

// Q4_K: 8 sub-blocks of 32 with a 6-bit scale and a 6-bit min each (packed in `scales`, read with
// k_scale_min). value = d * sc[j] * q - dmin * m[j]. Elements are stored in 4 chunks of 64: chunk c
// holds sub-block 2c in the LOW nibbles of qs[32c .. 32c+31] and sub-block 2c+1 in the HIGH nibbles.
struct BlockQ4_K {
  uint16_t d;                 // fp16 super-block scale of the sub-block scales
  uint16_t dmin;              // fp16 super-block scale of the sub-block mins
  uint8_t scales[12];         // 8 scales + 8 mins, 6 bits each (see k_scale_min)
  uint8_t qs[kQKK / 2];
};

// Q5_K: Q4_K plus a fifth bit per element: the high bit of element l of sub-block j is bit j of qh[l]
// (l in 0..31), i.e. q = nibble + 16 * ((qh[l] >> j) & 1).
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};

// Q6_K: 16 sub-blocks of 16 with an int8 scale each; value = d * scales[s] * (q - 32), q in 0..63.
// Per 128-element half h (ql += 64h, qh += 32h, scales += 8h), for l in 0..31:
//   element l      : low  nibble of ql[l]      | bits 0-1 of qh[l] << 4, scale index l/16
//   element l + 32 : low  nibble of ql[l + 32] | bits 2-3 of qh[l] << 4, scale index l/16 + 2
//   element l + 64 : high nibble of ql[l]      | bits 4-5 of qh[l] << 4, scale index l/16 + 4
//   element l + 96 : high nibble of ql[l + 32] | bits 6-7 of qh[l] << 4, scale index l/16 + 6
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;                 // fp16
};

// Q8_K: activation type for K-quant dot products. value = qs[i] * d; bsums[g] = sum of qs[16g..16g+15]
// (lets the dot products apply the K-quant mins without touching the quants).
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};

static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block is 34 bytes");
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block is 18 bytes");
static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 block is 20 bytes");
static_assert(sizeof(BlockQ5_0) == 22, "Q5_0 block is 22 bytes");
static_assert(sizeof(BlockQ5_1) == 24, "Q5_1 block is 24 bytes");
static_assert(sizeof(BlockQ8_1) == 36, "Q8_1 block is 36 bytes");
static_assert(sizeof(BlockIq4Nl) == 18, "IQ4_NL block is 18 bytes");
static_assert(sizeof(BlockIq4Xs) == 136, "IQ4_XS block is 136 bytes");
static_assert(sizeof(BlockQ2_K) == 84, "Q2_K block is 84 bytes");
static_assert(sizeof(BlockQ3_K) == 110, "Q3_K block is 110 bytes");
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block is 144 bytes");
static_assert(sizeof(BlockQ5_K) == 176, "Q5_K block is 176 bytes");
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block is 210 bytes");
static_assert(sizeof(BlockQ8_K) == 292, "Q8_K block is 292 bytes");

// Scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block: j < 4 keeps them in the low 6 bits
// of bytes j and j + 4; j >= 4 splits them into a nibble of byte j + 4 and the top 2 bits of bytes
// j - 4 (scale) and j (min).
inline void k_scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// All 8 scales and 8 mins at once (same values as k_scale_min for j = 0..7), with 32-bit word
// operations instead of per-byte branches: the hot-loop form used by the SIMD kernels (little-endian
// targets: x86-64 and aarch64).
inline void k_scales_mins(const uint8_t* q, uint8_t sc[8], uint8_t m[8]) {
  uint32_t w[3];
  std::memcpy(w, q, 12);
  const uint32_t low6 = 0x3F3F3F3Fu, low4 = 0x0F0F0F0Fu, low2 = 0x03030303u;
  const uint32_t out[4] = {
      w[0] & low6,                                      // scales 0..3
      (w[2] & low4) | (((w[0] >> 6) & low2) << 4),      // scales 4..7
      w[1] & low6,                                      // mins 0..3
      ((w[2] >> 4) & low4) | (((w[1] >> 6) & low2) << 4),  // mins 4..7
  };
  std::memcpy(sc, out, 8);
  std::memcpy(m, out + 2, 8);
}

// Inverse of k_scale_min for a whole super-block: packs 8 scales and 8 mins (each < 64).
inline void k_pack_scale_min(const uint8_t* ls, const uint8_t* lm, uint8_t* q) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      q[j] = ls[j];
      q[j + 4] = lm[j];
    } else {
      q[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      q[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      q[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

}  // namespace capibara
