/**
 * Benchmark cases of the quantised kernels: GEMV over a weight matrix larger than the caches (the
 * decode step, memory-bound), a small GEMV (thread hand-off cost), and GEMM tiles (prefill).
 * @module
 */
import { native } from "../../lib/native.js";
import { packRows, quantize, rowSize, type KernelBackend, type WeightType } from "../../lib/kernels.js";
import { randomFloats } from "../../test/unit/kernel-util.js";
import { distinctRows } from "../distinct.js";
import type { BenchCase, BenchVariant } from "../lib.js";

/** Bytes the weights of one GEMV case may occupy at least, so they never fit the caches (L3 <= 32 MiB here). */
export const MIN_WORKING_SET = 96 * 2 ** 20;

/**
 * `copies` copies of an nRows x nCols matrix of `type`, back to back. Rows tile a quantised block of
 * 64 random rows (quantising 45 M floats with the reference K-quant fitters would take minutes), made
 * distinct by ../distinct.ts so no page of the working set repeats.
 */
function weights(type: WeightType, nRows: number, nCols: number, copies: number): Uint8Array {
  const unique = Math.min(64, nRows);
  const block = quantize(type, randomFloats(unique * nCols, 1234), { backend: "scalar" });
  const row = rowSize(type, nCols);
  const out = new Uint8Array(row * nRows * copies);
  for (let r = 0; r < nRows * copies; r++) out.set(block.subarray((r % unique) * row, ((r % unique) + 1) * row), r * row);
  return distinctRows(type, out, nRows + nCols);
}

/**
 * packed: the backends' packed-layout kernels (the weights a loaded model multiplies), for the backends
 * that have one; scalar, which has none, stays the unpacked baseline.
 */
export function matmulCase(
  kernel: string,
  type: WeightType,
  nRows: number,
  nCols: number,
  nTok: number,
  threads: number[],
  minBytes = 0,
  packed = false,
): BenchCase {
  const matrix = rowSize(type, nRows === 0 ? 0 : nCols) * nRows;
  const copies = Math.max(1, Math.ceil(minBytes / matrix));
  return {
    kernel,
    shape: nTok === 1 ? `${nRows}x${nCols}` : `${nRows}x${nCols} x ${nTok} tok`,
    bytes: matrix,
    flops: 2 * nRows * nCols * nTok,
    variants(backends: KernelBackend[]): BenchVariant[] {
      const w = weights(type, nRows, nCols, copies);
      const x = randomFloats(nTok * nCols, 99);
      const q = native().quant;
      const usable = packed ? backends.filter((b) => b === "scalar" || packRows(type, { backend: b }) > 0) : backends;
      return threads.flatMap((t) =>
        usable.map((backend) => ({
          backend,
          threads: t,
          time: (iterations: number) => q.benchMatmul(backend, type, w, nRows, nCols, x, nTok, t, iterations, packed && backend !== "scalar"),
        })),
      );
    },
  };
}

/** The quantised-kernel cases, in report order. */
export function quantCases(): BenchCase[] {
  const big: [WeightType, string][] = [
    ["q4_0", "gemv q4_0"],
    ["q8_0", "gemv q8_0"],
    ["q4_K", "gemv q4_K"],
    ["q5_K", "gemv q5_K"],
    ["q6_K", "gemv q6_K"],
    ["f16", "gemv f16"],
    ["q2_K", "gemv q2_K"],
    ["q3_K", "gemv q3_K"],
    ["iq4_xs", "gemv iq4_xs"],
    ["q4_1", "gemv q4_1"],
    ["q5_0", "gemv q5_0"],
    ["q5_1", "gemv q5_1"],
    ["iq4_nl", "gemv iq4_nl"],
  ];
  const packable: WeightType[] = ["q4_0", "q8_0", "q4_K", "q5_K", "q6_K", "f16", "q2_K", "q3_K", "iq4_xs", "q4_1", "q5_0", "q5_1", "iq4_nl"];
  return [
    ...big.map(([type, name]) => matmulCase(name, type, 4096, 11008, 1, [1, 2], MIN_WORKING_SET)),
    ...packable.map((type) => matmulCase(`gemv ${type} packed`, type, 4096, 11008, 1, [1, 2], MIN_WORKING_SET, true)),
    // Compute rate without the memory wall: 256 x 4096 weights (<= 1.1 MiB) stay in L2 across calls.
    ...(["q4_0", "q8_0", "q4_K", "q6_K"] as WeightType[]).map((type) => matmulCase(`gemv ${type} in-cache`, type, 256, 4096, 1, [1])),
    // A tiny model's decode step: the pool's hand-off must not make 2 threads slower than 1.
    matmulCase("gemv q8_0 small", "q8_0", 512, 512, 1, [1, 2]),
    ...packable.map((type) => matmulCase(`gemm ${type}`, type, 1024, 4096, 32, [1, 2])),
    ...packable.map((type) => matmulCase(`gemm ${type} packed`, type, 1024, 4096, 32, [1, 2], 0, true)),
  ];
}

/** Attainable read bandwidth (bytes/s): the best of 3 parallel read-sums over 1 GiB (2 passes each). */
export function memoryBandwidth(threads: number): number {
  let best = 0;
  for (let i = 0; i < 3; i++) best = Math.max(best, native().quant.readBandwidth(2 ** 30, threads, 2));
  return best;
}
