/**
 * Benchmark cases of the elementwise kernels and flash attention at LLM shapes (n = 4096 rows, 32
 * heads of 128, an 8-head/2-kv-head GQA layer over 1024 and 4096 cached positions), timed natively
 * through `kernels.benchKernel` so no JS allocation sits in the loop. Elementwise rows fit the caches,
 * so they report no bytes (a share of DRAM bandwidth would mislead); attention reports its K/V bytes.
 * @module
 */
import { native, type KernelOpArgs } from "../../lib/native.js";
import type { KernelBackend } from "../../lib/kernels.js";
import { randomFloats } from "../../test/unit/kernel-util.js";
import type { BenchCase, BenchVariant } from "../lib.js";

/** Random normal F16 bit patterns of magnitude in [2^-6, 2) (the benchmark needs plausible values only). */
function randomF16(n: number, seed: number): Uint16Array {
  const r = randomFloats(n, seed, 0, 1);
  return Uint16Array.from(r, (v, i) => ((i & 1) << 15) | ((9 + Math.floor(v * 7)) << 10) | ((i * 37) & 0x3ff));
}

function opCase<K extends keyof KernelOpArgs>(
  kernel: string,
  shape: string,
  bytes: number,
  flops: number,
  op: K,
  args: () => KernelOpArgs[K],
): BenchCase {
  return {
    kernel,
    shape,
    bytes,
    flops,
    variants(backends: KernelBackend[]): BenchVariant[] {
      const a = args();
      return backends.map((backend) => ({
        backend,
        threads: 1,
        time: (iterations: number) => native().kernels.benchKernel(op, iterations, backend, ...a),
      }));
    },
  };
}

function attentionCase(nQ: number, nKv: number): BenchCase {
  const [nHead, nKvHead, headDim] = [8, 2, 128];
  const kv = nKv * nKvHead * headDim;
  return opCase(
    nQ === 1 ? "attention decode" : "attention prefill",
    `${nHead}/${nKvHead} heads x ${headDim}, ${nQ} q, ${nKv} kv`,
    4 * kv,
    4 * nQ * nHead * headDim * nKv,
    "flashAttention",
    () => [randomFloats(nQ * nHead * headDim, 1), randomF16(kv, 2), randomF16(kv, 3), { nHead, nKvHead, headDim, qPos0: nKv - nQ }],
  );
}

/** The elementwise-kernel cases, in report order. */
export function elementwiseCases(): BenchCase[] {
  const n = 4096;
  const x = () => randomFloats(n, 7, -3, 3);
  const rope = (neox: boolean) => (): KernelOpArgs["rope"] => [randomFloats(32 * 128, 8), 32, 128, 1234, { neox }];
  return [
    opCase("rmsnorm", `${n}`, 0, 4 * n, "rmsnorm", () => [x(), randomFloats(n, 9), 1e-6]),
    opCase("layernorm", `${n}`, 0, 6 * n, "layernorm", () => [x(), randomFloats(n, 9), 1e-5]),
    opCase("swiglu", `${n}`, 0, 0, "swiglu", () => [x(), randomFloats(n, 10)]),
    opCase("geglu", `${n}`, 0, 0, "geglu", () => [x(), randomFloats(n, 10)]),
    opCase("softmax", `${n}`, 0, 0, "softmax", () => [x()]),
    opCase("softmax vocab", "151936", 0, 0, "softmax", () => [randomFloats(151936, 11, -20, 20)]),
    opCase("rope", "32 x 128", 0, 6 * 2048, "rope", rope(false)),
    opCase("rope neox", "32 x 128", 0, 6 * 2048, "rope", rope(true)),
    attentionCase(1, 1024),
    attentionCase(1, 4096),
    attentionCase(32, 1024),
  ];
}
