import { describe, expect, it } from "vitest";
import { kernels } from "../../lib/index.js";
import type { WeightType } from "../../lib/kernels.js";
import { maxAbsDiff, nmse, randomFloats } from "./kernel-util.js";

const backends = kernels.availableBackends();

// Block geometry of the GGUF formats (ggml-common.h) and the round-trip NMSE bound on uniform data.
const TYPES: { type: WeightType; blockSize: number; typeSize: number; vecDotType: string; nmse: number }[] = [
  { type: "f32", blockSize: 1, typeSize: 4, vecDotType: "f32", nmse: 0 },
  { type: "f16", blockSize: 1, typeSize: 2, vecDotType: "f16", nmse: 1e-7 },
  { type: "bf16", blockSize: 1, typeSize: 2, vecDotType: "bf16", nmse: 5e-6 },
  { type: "q8_0", blockSize: 32, typeSize: 34, vecDotType: "q8_0", nmse: 3e-5 },
  { type: "q4_0", blockSize: 32, typeSize: 18, vecDotType: "q8_0", nmse: 8e-3 },
  { type: "q4_K", blockSize: 256, typeSize: 144, vecDotType: "q8_K", nmse: 6e-3 },
  { type: "q5_K", blockSize: 256, typeSize: 176, vecDotType: "q8_K", nmse: 1.5e-3 },
  { type: "q6_K", blockSize: 256, typeSize: 210, vecDotType: "q8_K", nmse: 3e-4 },
  { type: "q4_1", blockSize: 32, typeSize: 20, vecDotType: "q8_1", nmse: 4e-3 },
  { type: "q5_0", blockSize: 32, typeSize: 22, vecDotType: "q8_0", nmse: 3e-3 },
  { type: "q5_1", blockSize: 32, typeSize: 24, vecDotType: "q8_1", nmse: 1e-3 },
  { type: "iq4_nl", blockSize: 32, typeSize: 18, vecDotType: "q8_0", nmse: 4.5e-3 },
  { type: "iq4_xs", blockSize: 256, typeSize: 136, vecDotType: "q8_K", nmse: 4.5e-3 },
  { type: "q3_K", blockSize: 256, typeSize: 110, vecDotType: "q8_K", nmse: 2e-2 },
  { type: "q2_K", blockSize: 256, typeSize: 84, vecDotType: "q8_K", nmse: 6e-2 },
];

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

describe("typeInfo", () => {
  it.each(TYPES)("$type has ggml's block geometry", ({ type, blockSize, typeSize, vecDotType }) => {
    expect(kernels.typeInfo(type)).toEqual({ name: type, blockSize, typeSize, vecDotType });
    expect(kernels.rowSize(type, 512)).toBe((512 / blockSize) * typeSize);
  });

  it("knows the q8_K and q8_1 activation types", () => {
    expect(kernels.typeInfo("q8_K")).toMatchObject({ blockSize: 256, typeSize: 292 });
    expect(kernels.typeInfo("q8_1")).toMatchObject({ blockSize: 32, typeSize: 36 });
  });
});

describe("hand-built blocks", () => {
  it("q8_0: fp16 d then 32 int8", () => {
    const b = new Uint8Array(34);
    b[0] = 0x00;
    b[1] = 0x40; // d = 2.0 (little-endian fp16 0x4000)
    for (let j = 0; j < 32; j++) b[2 + j] = (j - 16) & 0xff;
    for (const backend of backends) {
      const y = kernels.dequantize("q8_0", b, 32, { backend });
      expect(Array.from(y)).toEqual(Array.from({ length: 32 }, (_, j) => 2 * (j - 16)));
    }
  });

  it("q4_0: low nibbles are elements 0..15, high nibbles 16..31, value (q - 8) * d", () => {
    const b = new Uint8Array(18);
    b[1] = 0x38; // d = 0.5
    for (let j = 0; j < 16; j++) b[2 + j] = j | ((15 - j) << 4);
    const want = [...Array.from({ length: 16 }, (_, j) => 0.5 * (j - 8)), ...Array.from({ length: 16 }, (_, j) => 0.5 * (7 - j))];
    for (const backend of backends) expect(Array.from(kernels.dequantize("q4_0", b, 32, { backend }))).toEqual(want);
  });
});

describe.each(backends)("quantised kernels [%s]", (backend) => {
  it.each(TYPES)("$type round trip stays within its NMSE bound", ({ type, nmse: bound }) => {
    const x = randomFloats(4096, 3);
    const q = kernels.quantize(type, x, { backend });
    expect(q.length).toBe(kernels.rowSize(type, 4096));
    expect(nmse(x, kernels.dequantize(type, q, 4096, { backend }))).toBeLessThanOrEqual(bound);
  });

  it.each(TYPES)("$type vecDot matches scalar and the f32 dot", ({ type }) => {
    const n = 2048;
    const w = randomFloats(n, 5);
    const x = randomFloats(n, 6, -2, 2);
    const wq = kernels.quantize(type, w, { backend: "scalar" });
    const got = kernels.vecDot(type, wq, x, { backend });
    const ref = kernels.vecDot(type, wq, x, { backend: "scalar" });
    // Same weights; SIMD activation quantisers may round ties differently: a few ulps of 8-bit steps.
    expect(Math.abs(got - ref)).toBeLessThanOrEqual(2e-3 * norm(w) * norm(x));
    expect(Math.abs(got - dot(w, x))).toBeLessThanOrEqual(4e-2 * norm(w) * norm(x));
  });

  it.each(TYPES)("$type matmul: gemm equals per-token gemv and threads do not change results", ({ type }) => {
    const nRows = 67; // 67 x 8192 is above matmul's single-thread threshold even for one token
    const nCols = 8192;
    const nTok = 5;
    const w = kernels.quantize(type, randomFloats(nRows * nCols, 9), { backend: "scalar" });
    const x = randomFloats(nTok * nCols, 10);
    const y1 = kernels.matmul(type, w, nRows, nCols, x, nTok, { backend, threads: 1 });
    for (const threads of [2, 3]) {
      expect(maxAbsDiff(y1, kernels.matmul(type, w, nRows, nCols, x, nTok, { backend, threads }))).toBe(0);
    }
    for (let t = 0; t < nTok; t++) {
      const xt = x.subarray(t * nCols, (t + 1) * nCols);
      const gemv = kernels.matmul(type, w, nRows, nCols, xt, 1, { backend, threads: 2 });
      expect(maxAbsDiff(gemv, y1.subarray(t * nRows, (t + 1) * nRows))).toBeLessThanOrEqual(1e-4);
      const row0 = kernels.vecDot(type, w.subarray(0, kernels.rowSize(type, nCols)), xt, { backend });
      expect(Math.abs(row0 - y1[t * nRows]!)).toBeLessThanOrEqual(1e-4);
    }
  });
  it.each(TYPES)("$type packed layout: the packed product equals the file-layout one", ({ type }) => {
    const rows = kernels.packRows(type, { backend });
    const variant = kernels.kernelVariant(type, { backend });
    expect(variant.packRows).toBe(rows);
    expect(variant.packed === null).toBe(rows === 0);
    expect(variant.gemm).toMatch(backend === "scalar" ? /^scalar$/ : /^(scalar|avx2|avx512|neon|neon-dotprod|neon-i8mm)$/);
    if (rows === 0) {
      expect(() => kernels.matmul(type, new Uint8Array(kernels.rowSize(type, 256) * 16), 16, 256, new Float32Array(256), 1, { backend, packed: true })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
      return;
    }
    const nRows = 4 * rows, nCols = 2048;
    const w = kernels.quantize(type, randomFloats(nRows * nCols, 11), { backend: "scalar" });
    for (const nTok of [1, 12]) {
      const x = randomFloats(nTok * nCols, 12);
      const plain = kernels.matmul(type, w, nRows, nCols, x, nTok, { backend });
      const packed = kernels.matmul(type, w, nRows, nCols, x, nTok, { backend, packed: true, threads: 2 });
      // Same integer block sums, only float rounding differs; outputs are ~10 in size.
      expect(maxAbsDiff(plain, packed)).toBeLessThanOrEqual(1e-3);
    }
    expect(() => kernels.matmul(type, w.subarray(0, kernels.rowSize(type, nCols) * (rows + 1)), rows + 1, nCols, new Float32Array(nCols), 1, { backend, packed: true })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("bad input", () => {
  const x = new Float32Array(256);
  it("rejects unknown and activation-only types", () => {
    expect(() => kernels.quantize("q3_X" as never, x)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_QUANT" }));
    expect(() => kernels.quantize("iq2_xxs" as never, x)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_QUANT" }));
    expect(() => kernels.vecDot("q8_K" as never, new Uint8Array(292), x)).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_QUANT" }),
    );
    expect(() => kernels.vecDot("q8_1" as never, new Uint8Array(36 * 8), x)).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_QUANT" }),
    );
  });

  it("rejects lengths that do not fit the blocks", () => {
    expect(() => kernels.quantize("q4_K", new Float32Array(100))).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => kernels.dequantize("q4_0", new Uint8Array(17), 32)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => kernels.vecDot("q8_0", new Uint8Array(34), new Float32Array(64))).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => kernels.matmul("q4_0", new Uint8Array(18 * 8), 2, 32, new Float32Array(32), 1)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("rejects bad thread counts and non-typed-array inputs", () => {
    const w = new Uint8Array(18);
    expect(() => kernels.matmul("q4_0", w, 1, 32, new Float32Array(32), 1, { threads: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => kernels.quantize("q8_0", [1, 2] as unknown as Float32Array)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
