import { describe, expect, it } from "vitest";
import { kernels } from "../../lib/index.js";
import { native } from "../../lib/native.js";
import { maxAbsDiff, nmse, randomFloats, TEST_SIZES } from "./kernel-util.js";

// Tolerances are those stated in native/kernels/scalar/*.cpp: norms NMSE <= 1e-10; swiglu/geglu
// |got - ref| <= 1e-5 |ref| + 1e-12; softmax max abs <= 1e-6; rope max abs <= 1e-5; attention
// NMSE <= 1e-10.
const backends = kernels.availableBackends();

/** Random normal F16 values of magnitude in [2^-6, 2): sign, exponent 9..15 and mantissa drawn. */
function randomF16(n: number, seed: number): Uint16Array {
  const r = randomFloats(3 * n, seed, 0, 1);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const sign = r[3 * i]! < 0.5 ? 0x8000 : 0;
    const exp = 9 + Math.floor(r[3 * i + 1]! * 7);
    out[i] = sign | (exp << 10) | Math.floor(r[3 * i + 2]! * 1024);
  }
  return out;
}

function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** max_i |got - ref| / (|ref| + atol / rtol) */
function relErr(ref: Float32Array, got: Float32Array, atolOverRtol: number): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]! - got[i]!) / (Math.abs(ref[i]!) + atolOverRtol));
  return m;
}

/**
 * RoPE in double except for the angle, which follows ggml's float recurrence
 * (theta *= base^(-2/nDims) in f32, then freqScale * (theta / ff)), so large positions compare too.
 */
function naiveRope(x: Float32Array, nHeads: number, headDim: number, pos: number, p: Required<kernels.RopeParams>): Float64Array {
  const y = Float64Array.from(x);
  const half = p.nDims / 2;
  const thetaScale = Math.fround(p.freqBase ** (-2 / p.nDims));
  let theta = Math.fround(pos);
  for (let i = 0; i < half; i++) {
    const ff = p.freqFactors ? p.freqFactors[i]! : 1;
    const angle = Math.fround(p.freqScale * Math.fround(theta / ff));
    const c = Math.cos(angle) * p.attnFactor;
    const s = Math.sin(angle) * p.attnFactor;
    theta = Math.fround(theta * thetaScale);
    const [i0, i1] = p.neox ? [i, i + half] : [2 * i, 2 * i + 1];
    for (let h = 0; h < nHeads; h++) {
      const x0 = x[h * headDim + i0]!;
      const x1 = x[h * headDim + i1]!;
      y[h * headDim + i0] = x0 * c - x1 * s;
      y[h * headDim + i1] = x0 * s + x1 * c;
    }
  }
  return y;
}

interface AttnShape {
  nHead: number;
  nKvHead: number;
  headDim: number;
  nQ: number;
  qPos0: number;
  window: number;
  softcap: number;
  kvEnd?: number;
}

/** Attention by the definition: causal by position, sliding window, GQA, softcap; double maths. */
function naiveAttention(q: Float32Array, k: Uint16Array, v: Uint16Array, s: AttnShape, scale: number): Float64Array {
  const out = new Float64Array(q.length);
  const group = s.nHead / s.nKvHead;
  for (let i = 0; i < s.nQ; i++) {
    const pos = s.qPos0 + i;
    for (let h = 0; h < s.nHead; h++) {
      const kvOff = Math.floor(h / group) * s.headDim;
      const qOff = (i * s.nHead + h) * s.headDim;
      const visible: number[] = [];
      const last = Math.max(pos, (s.kvEnd ?? 0) - 1);
      for (let j = 0; j <= last; j++) if (s.window === 0 || pos - j < s.window) visible.push(j);
      const logits = visible.map((j) => {
        let dot = 0;
        for (let d = 0; d < s.headDim; d++) dot += q[qOff + d]! * f16ToNumber(k[j * s.nKvHead * s.headDim + kvOff + d]!);
        const l = scale * dot;
        return s.softcap > 0 ? s.softcap * Math.tanh(l / s.softcap) : l;
      });
      const max = Math.max(...logits);
      const w = logits.map((l) => Math.exp(l - max));
      const sum = w.reduce((a, b) => a + b, 0);
      for (let d = 0; d < s.headDim; d++) {
        let acc = 0;
        visible.forEach((j, t) => (acc += w[t]! * f16ToNumber(v[j * s.nKvHead * s.headDim + kvOff + d]!)));
        out[qOff + d] = acc / sum;
      }
    }
  }
  return out;
}

describe("elementwise kernels: scalar reference on known values", () => {
  it("layernorm of [1, 2, 3, 4] with weight", () => {
    const y = kernels.layernorm(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2, 1, 1]), 0, { backend: "scalar" });
    const inv = 1 / Math.sqrt(1.25);
    expect(Array.from(y)).toEqual([-1.5 * inv, -0.5 * inv * 2, 0.5 * inv, 1.5 * inv].map((v) => expect.closeTo(v, 6)));
  });

  it("swiglu and geglu at hand-computed points", () => {
    const g = new Float32Array([1, -2, 0]);
    const u = new Float32Array([2, 1, 5]);
    const s = kernels.swiglu(g, u, { backend: "scalar" });
    expect(s[0]).toBeCloseTo(2 / (1 + Math.exp(-1)), 6);
    expect(s[1]).toBeCloseTo(-2 / (1 + Math.exp(2)), 6);
    expect(s[2]).toBe(0);
    const e = kernels.geglu(g, u, { backend: "scalar" });
    const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    expect(e[0]).toBeCloseTo(gelu(1) * 2, 6);
    expect(e[1]).toBeCloseTo(gelu(-2), 6);
    expect(e[2]).toBe(0);
  });

  it("softmax of [0, ln 3] is [1/4, 3/4] and is shift invariant", () => {
    expect(Array.from(kernels.softmax(new Float32Array([0, Math.log(3)]), { backend: "scalar" }))).toEqual([
      expect.closeTo(0.25, 7),
      expect.closeTo(0.75, 7),
    ]);
    const a = kernels.softmax(new Float32Array([1, 2, 3]), { backend: "scalar" });
    const b = kernels.softmax(new Float32Array([1001, 1002, 1003]), { backend: "scalar" });
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-7);
  });

  it("rope turns a unit pair by pos * base^(-2i/nDims), normal and NeoX", () => {
    const pos = 3;
    const normal = kernels.rope(new Float32Array([1, 0, 1, 0]), 1, 4, pos, { freqBase: 100 }, { backend: "scalar" });
    // pair 0 angle 3, pair 1 angle 3 * 100^(-1/2) = 0.3
    expect(Array.from(normal)).toEqual([Math.cos(3), Math.sin(3), Math.cos(0.3), Math.sin(0.3)].map((v) => expect.closeTo(v, 6)));
    const neox = kernels.rope(new Float32Array([1, 1, 0, 0]), 1, 4, pos, { freqBase: 100, neox: true }, { backend: "scalar" });
    expect(Array.from(neox)).toEqual([Math.cos(3), Math.cos(0.3), Math.sin(3), Math.sin(0.3)].map((v) => expect.closeTo(v, 6)));
    // Partial rotary: dims past nDims are untouched; freq factor divides, attnFactor scales.
    const partial = kernels.rope(
      new Float32Array([1, 0, 7, 8]),
      1,
      4,
      pos,
      { nDims: 2, freqFactors: new Float32Array([2]), attnFactor: 0.5 },
      { backend: "scalar" },
    );
    expect(Array.from(partial)).toEqual([0.5 * Math.cos(1.5), 0.5 * Math.sin(1.5), 7, 8].map((v) => expect.closeTo(v, 6)));
  });

  it("gelu is geglu with u = 1", () => {
    const x = new Float32Array([1, -2, 0, 3.5]);
    const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    expect(Array.from(kernels.gelu(x, { backend: "scalar" }))).toEqual(Array.from(x, (v) => expect.closeTo(gelu(v), 6)));
  });

  it("non-causal attention (kvEnd) lets the first query see a later key", () => {
    // Two positions; the key at 1 is huge along q, so with kvEnd = 2 query 0 returns v[1].
    const q = new Float32Array(8).fill(1);
    const k = new Uint16Array(16);
    for (let d = 8; d < 16; d++) k[d] = 0x4900; // 10.0
    const v = randomF16(16, 7);
    const causal = kernels.flashAttention(q, k, v, { nHead: 1, headDim: 8, qPos0: 0 }, { backend: "scalar" });
    expect(Array.from(causal)).toEqual(Array.from(v.subarray(0, 8), f16ToNumber));
    const open = kernels.flashAttention(q, k, v, { nHead: 1, headDim: 8, qPos0: 0, kvEnd: 2 }, { backend: "scalar" });
    expect(maxAbsDiff(open, Float32Array.from(v.subarray(8, 16), f16ToNumber))).toBeLessThan(1e-6);
  });

  it("attention with one visible key returns that key's value", () => {
    const v = randomF16(2 * 8, 3); // 2 positions x 1 kv head x 8 dims
    const out = kernels.flashAttention(randomFloats(8, 4), randomF16(16, 5), v, { nHead: 1, headDim: 8, qPos0: 0 }, { backend: "scalar" });
    expect(Array.from(out)).toEqual(Array.from(v.subarray(0, 8), f16ToNumber));
  });
});

describe.each(backends)("elementwise kernels [%s]", (backend) => {
  it.each(TEST_SIZES)("layernorm n=%i matches scalar", (n) => {
    const x = randomFloats(n, n + 11, -4, 4);
    for (const w of [null, randomFloats(n, n + 12)]) {
      const ref = kernels.layernorm(x, w, 1e-5, { backend: "scalar" });
      expect(nmse(ref, kernels.layernorm(x, w, 1e-5, { backend }))).toBeLessThanOrEqual(1e-10);
    }
  });

  it.each(TEST_SIZES)("swiglu, geglu, softmax n=%i match scalar", (n) => {
    const g = randomFloats(n, n + 21, -12, 12);
    const u = randomFloats(n, n + 22);
    expect(relErr(kernels.swiglu(g, u, { backend: "scalar" }), kernels.swiglu(g, u, { backend }), 1e-7)).toBeLessThanOrEqual(1e-5);
    expect(relErr(kernels.geglu(g, u, { backend: "scalar" }), kernels.geglu(g, u, { backend }), 1e-7)).toBeLessThanOrEqual(1e-5);
    expect(relErr(kernels.gelu(g, { backend: "scalar" }), kernels.gelu(g, { backend }), 1e-7)).toBeLessThanOrEqual(1e-5);
    const x = randomFloats(n, n + 23, -20, 20);
    expect(maxAbsDiff(kernels.softmax(x, { backend: "scalar" }), kernels.softmax(x, { backend }))).toBeLessThanOrEqual(1e-6);
  });

  it("softmax gives masked (-Infinity) logits probability exactly 0", () => {
    const x = randomFloats(37, 5, -4, 4).map((v, i) => (i % 3 === 0 ? -Infinity : v));
    const p = kernels.softmax(x, { backend });
    expect(Array.from(p).filter((_, i) => i % 3 === 0)).toEqual(new Array(13).fill(0));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it("swiglu and geglu on overflow-range inputs match scalar", () => {
    const g = new Float32Array([0, -0, 88.5, -88.5, 89, -89, 100, -100, 1e4, -1e4, 1e30, -1e30]);
    const u = new Float32Array(g.length).fill(1);
    for (const op of [kernels.swiglu, kernels.geglu]) {
      const got = op(g, u, { backend });
      expect(got.every(Number.isFinite)).toBe(true);
      expect(relErr(op(g, u, { backend: "scalar" }), got, 1e-7)).toBeLessThanOrEqual(1e-5);
    }
  });

  it.each([
    [128, 128, false, 0],
    [128, 128, true, 4095],
    [96, 48, true, 17],
    [80, 80, false, 131071],
    [64, 24, false, 1],
  ])("rope headDim=%i nDims=%i neox=%s pos=%i matches the float-angle definition", (headDim, nDims, neox, pos) => {
    const nHeads = 3;
    const x = randomFloats(nHeads * headDim, headDim + pos);
    for (const extra of [{}, { freqFactors: randomFloats(nDims / 2, 7, 1, 4), attnFactor: 1.19, freqScale: 0.25 }]) {
      const p = { nDims, neox, freqBase: 10000, freqScale: 1, freqFactors: null, attnFactor: 1, ...extra };
      const got = kernels.rope(x, nHeads, headDim, pos, p, { backend });
      expect(maxAbsDiff(naiveRope(x, nHeads, headDim, pos, p), got)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(kernels.rope(x, nHeads, headDim, pos, p, { backend: "scalar" }), got)).toBeLessThanOrEqual(1e-5);
    }
  });

  it.each<AttnShape>([
    { nHead: 4, nKvHead: 4, headDim: 64, nQ: 1, qPos0: 40, window: 0, softcap: 0 },
    { nHead: 8, nKvHead: 2, headDim: 80, nQ: 1, qPos0: 70, window: 0, softcap: 0 },
    { nHead: 4, nKvHead: 1, headDim: 128, nQ: 6, qPos0: 30, window: 0, softcap: 50 },
    { nHead: 6, nKvHead: 3, headDim: 96, nQ: 9, qPos0: 50, window: 16, softcap: 0 },
    { nHead: 2, nKvHead: 1, headDim: 40, nQ: 5, qPos0: 0, window: 3, softcap: 30 },
    { nHead: 4, nKvHead: 4, headDim: 64, nQ: 40, qPos0: 0, window: 0, softcap: 0, kvEnd: 40 },
    { nHead: 4, nKvHead: 2, headDim: 32, nQ: 9, qPos0: 20, window: 12, softcap: 0, kvEnd: 29 },
  ])("flash attention %o matches the definition and scalar", (s) => {
    const nKv = s.qPos0 + s.nQ + 2; // extra cache rows past the last query must be ignored
    const q = randomFloats(s.nQ * s.nHead * s.headDim, s.headDim + s.nQ, -1, 1);
    const k = randomF16(nKv * s.nKvHead * s.headDim, s.headDim + 1);
    const v = randomF16(nKv * s.nKvHead * s.headDim, s.headDim + 2);
    const scale = 2 / Math.sqrt(s.headDim);
    const params = { ...s, scale };
    const got = kernels.flashAttention(q, k, v, params, { backend });
    expect(nmse(naiveAttention(q, k, v, s, scale), got)).toBeLessThanOrEqual(1e-10);
    expect(nmse(kernels.flashAttention(q, k, v, params, { backend: "scalar" }), got)).toBeLessThanOrEqual(1e-10);
    // A head split gives the same rows.
    const mid = s.nHead / 2;
    const a = kernels.flashAttention(q, k, v, { ...params, headEnd: mid }, { backend });
    const b = kernels.flashAttention(q, k, v, { ...params, headBegin: mid }, { backend });
    expect(Array.from(a, (x, i) => x + b[i]!)).toEqual(Array.from(got));
  });
});

describe("elementwise kernels: bad input", () => {
  const invalid = expect.objectContaining({ code: "INVALID_ARGUMENT" });
  it("benchKernel times a checked call and rejects unknown ops", () => {
    const x = randomFloats(256, 1);
    expect(native().kernels.benchKernel("rmsnorm", 3, "scalar", x, null, 1e-6)).toBeGreaterThan(0);
    expect(() => native().kernels.benchKernel("rmsnorm", 0, "scalar", x, null, 1e-6)).toThrow(invalid);
    expect(() => native().kernels.benchKernel("swiglu", 1, "scalar", x, new Float32Array(3))).toThrow(invalid);
    const benchAny = native().kernels.benchKernel as (op: string, iterations: number, backend: string) => number;
    expect(() => benchAny("nope", 1, "scalar")).toThrow(invalid);
  });

  it("rejects inconsistent shapes and parameters with INVALID_ARGUMENT", () => {
    expect(() => kernels.swiglu(new Float32Array(3), new Float32Array(4))).toThrow(invalid);
    expect(() => kernels.softmax(new Float32Array(0))).toThrow(invalid);
    expect(() => kernels.rope(new Float32Array(8), 2, 4, 0, { nDims: 3 })).toThrow(invalid);
    expect(() => kernels.rope(new Float32Array(8), 3, 4, 0)).toThrow(invalid);
    expect(() => kernels.rope(new Float32Array(8), 2, 4, -1)).toThrow(invalid);
    expect(() => kernels.rope(new Float32Array(8), 2, 4, 0, { freqFactors: new Float32Array(1) })).toThrow(invalid);
    const q = new Float32Array(2 * 8);
    const kv = new Uint16Array(4 * 8);
    expect(() => kernels.flashAttention(q, kv, kv, { nHead: 2, nKvHead: 3, headDim: 8 })).toThrow(invalid);
    expect(() => kernels.flashAttention(q, kv, kv, { nHead: 2, headDim: 8, qPos0: 3 })).toThrow(invalid);
    expect(() => kernels.flashAttention(q, kv, kv.subarray(1), { nHead: 2, headDim: 8 })).toThrow(invalid);
    expect(() => kernels.flashAttention(q, kv, kv, { nHead: 2, headDim: 8, headEnd: 3 })).toThrow(invalid);
    expect(() => kernels.flashAttention(q, kv, kv, { nHead: 0, headDim: 8 })).toThrow(invalid);
  });
});
