// The writer's float32 → f16/bf16 encoders: exact on every representable value, round to nearest
// even everywhere else (same contract as native/kernels/fp16.h).
import { expect, test } from "vitest";
import { f32ToBf16Bits, f32ToF16Bits } from "../../lib/gguf/halfFloat.js";

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const fromBits = (bits: number) => new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0]!;

test("f16: every half value round-trips; NaN becomes the canonical quiet NaN", () => {
  for (let h = 0; h < 0x10000; h++) {
    const x = f16ToF32(h);
    const expected = Number.isNaN(x) ? 0x7e00 : h; // JS has one NaN (positive, quiet)
    if (f32ToF16Bits(x) !== expected) expect.fail(`half 0x${h.toString(16)} → 0x${f32ToF16Bits(x).toString(16)}`);
  }
});

test("f16: midpoints round to even, just off-midpoint to nearest, overflow to infinity", () => {
  for (let h = 0; h < 0x7bff; h++) {
    const lo = f16ToF32(h);
    const hi = f16ToF32(h + 1);
    const mid = (lo + hi) / 2; // exact in float32: 12 significant bits
    const even = h % 2 === 0 ? h : h + 1;
    if (f32ToF16Bits(mid) !== even || f32ToF16Bits(-mid) !== (even | 0x8000)) expect.fail(`midpoint after 0x${h.toString(16)}`);
    const ulp = Math.abs(mid) * 2 ** -20;
    if (f32ToF16Bits(mid - ulp) !== h || f32ToF16Bits(mid + ulp) !== h + 1) expect.fail(`near midpoint after 0x${h.toString(16)}`);
  }
  expect(f32ToF16Bits(65504)).toBe(0x7bff);
  expect(f32ToF16Bits(65519.99)).toBe(0x7bff);
  expect(f32ToF16Bits(65520)).toBe(0x7c00); // midpoint to 2^16 rounds to even = infinity
  expect(f32ToF16Bits(-1e10)).toBe(0xfc00);
  expect(f32ToF16Bits(2 ** -25)).toBe(0); // half of the smallest subnormal: ties to even (0)
  expect(f32ToF16Bits(2 ** -25 * 1.0001)).toBe(1);
});

test("bf16: nearest-even rounding on random float32 bit patterns", () => {
  let s = 0x9e3779b9;
  for (let i = 0; i < 200_000; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const bits = i < 1000 ? ((s & 0xffff0000) | 0x8000) >>> 0 : s; // the first 1000 are exact midpoints
    const x = fromBits(bits);
    const got = f32ToBf16Bits(x);
    if (Number.isNaN(x)) {
      if ((got & 0x7f80) !== 0x7f80 || (got & 0x7f) === 0) expect.fail(`NaN 0x${bits.toString(16)} → 0x${got.toString(16)}`);
      continue;
    }
    const lo = bits >>> 16;
    // Candidates below and above; infinity counts as 2^128 so overflow rounds like any other step.
    const value = (b: number) => (Math.abs(fromBits(b << 16)) === Infinity ? Math.sign(x) * 2 ** 128 : fromBits(b << 16));
    const dLo = Math.abs(x - value(lo));
    const dHi = Math.abs(value(lo + 1) - x);
    const expected = dLo < dHi ? lo : dHi < dLo ? lo + 1 : lo % 2 === 0 ? lo : lo + 1;
    if (got !== (expected & 0xffff)) expect.fail(`0x${bits.toString(16)} → 0x${got.toString(16)}, expected 0x${expected.toString(16)}`);
  }
});
