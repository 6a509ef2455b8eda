/**
 * Small-batch cases (issue 14): the packed matmul of one decode step of a batch of M sequences, M = 1,
 * 2, 4, 8, 16, over a weight matrix larger than the caches. Each weight block should be read once per
 * step for all M rows, so M rows should cost close to one GEMV; the report gives rows/s against M = 1.
 * @module
 */
import type { WeightType } from "../../lib/kernels.js";
import type { BenchCase } from "../lib.js";
import { matmulCase, MIN_WORKING_SET } from "./quant.js";

/** Batch sizes measured for every type. */
export const BATCH_ROWS = [1, 2, 4, 8, 16];

/**
 * The batch cases, in report order: every packable type at M = 1 .. 16, one and two threads, on the
 * SIMD backends (the scalar reference at M = 16 would take seconds per call and is no baseline here).
 */
export function batchCases(): BenchCase[] {
  const types: WeightType[] = ["q4_0", "q8_0", "q4_K", "q5_K", "q6_K", "f16"];
  return types.flatMap((type) =>
    BATCH_ROWS.map((m): BenchCase => {
      const base = matmulCase(`batch ${type} packed`, type, 4096, 11008, m, [1, 2], MIN_WORKING_SET, true);
      return { ...base, batchRows: m, variants: (backends) => base.variants(backends.filter((b) => b !== "scalar")) };
    }),
  );
}
