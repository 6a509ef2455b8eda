/**
 * float32 → float16 / bfloat16 encoding with round-to-nearest-even, bit-identical to
 * `native/kernels/fp16.h` (NaN becomes the canonical quiet NaN).
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** IEEE binary16 bits of `x` (rounded to nearest even). */
export function f32ToF16Bits(x: number): number {
  const bits = bitsOf(x);
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
  if (abs >= 0x477ff000) return sign | 0x7c00; // rounds to infinity
  if (abs < 0x38800000) {
    // Result is subnormal or zero: shift the full mantissa down and round.
    if (abs < 0x33000000) return sign;
    const shift = 126 - (abs >>> 23);
    const m = (abs & 0x7fffff) | 0x800000;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let h = (abs - 0x38000000) >>> 13;
  const rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return sign | h;
}

/** bfloat16 bits of `x` (rounded to nearest even). */
export function f32ToBf16Bits(x: number): number {
  const bits = bitsOf(x);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes `src` as little-endian 16-bit values with `encode` (f16 or bf16). */
export function encode16(src: Float32Array, encode: (x: number) => number): Uint8Array {
  const out = new Uint8Array(src.length * 2);
  for (let i = 0; i < src.length; i++) {
    const h = encode(src[i]!);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}
