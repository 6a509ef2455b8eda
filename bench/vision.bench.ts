/**
 * Vision encoder benchmark: one 896 x 896 image through a random projector of the Gemma 3 27B mmproj
 * shape (SigLIP so400m: 27 blocks of 1152, F16 matrices, ~800 MB, written once into the cache), on 2
 * threads, next to the packed F16 GEMM rate that bench:kernels measures, taken in the same run.
 * Both rates are also given per CPU-second the process received (x threads), since other processes
 * share the cores: the GEMM's from its `cpu_share`, the encoder's from process.cpuUsage().
 * Memory: the process's peak RSS while encoding (VmHWM reset after loading) over its RSS before
 * loading, against the budget weights + one layer's activations + 64 MiB.
 *
 *   npm run bench:vision [-- --json]
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { GEMMA3_27B_MMPROJ, writeRandomMmproj } from "../lib/demo/mmproj.js";
import { availableBackends } from "../lib/kernels.js";
import { native } from "../lib/native.js";
import { randomFloats } from "../test/unit/kernel-util.js";
import { quantCases } from "./cases/quant.js";
import { machineInfo, runCases } from "./lib.js";

const json = process.argv.includes("--json");
const threads = 2;
const spec = GEMMA3_27B_MMPROJ;

function rssBytes(field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Multiply-adds x 2 of one image: patch embedding, per block Q/K/V/O, attention (QK^T, PV) and the FFN, then the projection. */
function flopsPerImage(): number {
  const N = (spec.imageSize / spec.patchSize) ** 2, E = spec.embeddingSize, F = spec.feedForwardSize;
  const perLayer = 4 * 2 * N * E * E + 2 * 2 * N * N * E + 2 * 2 * N * E * F;
  const tokens = (spec.imageSize / spec.patchSize / 4) ** 2;
  return 2 * N * 3 * spec.patchSize ** 2 * E + spec.layers * perLayer + 2 * tokens * E * spec.projectionDim;
}

const machine = machineInfo();
const backend = availableBackends().at(-1)!;
const gemm = runCases(quantCases().filter((c) => c.kernel === "gemm f16 packed"), [backend], null).find((r) => r.threads === threads)!;
const gemmRate = gemm.gflops * 1e9;

const dir = join(process.env.CAPIBARA_CACHE ?? join(tmpdir(), "capibara-cache"), "bench");
const path = join(dir, "gemma3-27b-shape.random.mmproj.f16.gguf");
if (!existsSync(path)) {
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeRandomMmproj(tmp, { ...spec, seed: 27 });
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

const e = native().engine;
const rssBefore = rssBytes("VmRSS");
const handle = await e.loadVision(path);
const info = e.visionInfo(handle);
const image = randomFloats(3 * spec.imageSize * spec.imageSize, 7, -1, 1);
writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const out = await e.encodeImage(handle, image, threads);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peak = rssBytes("VmHWM");
e.closeVision(handle);

const flops = flopsPerImage();
const rate = flops / seconds;
const cpuRate = (flops / cpuSeconds) * threads;  // as if the process had had the threads' cores to itself
const gemmCpuRate = gemmRate / gemm.cpu_share;
const budget = info.weightBytes + info.activationBytes + 64 * 2 ** 20;
const result = {
  kind: "vision-encode",
  shape: `${spec.imageSize}px ${spec.layers}x${spec.embeddingSize} ff ${spec.feedForwardSize} -> ${info.tokensPerImage}x${info.projectionDim}`,
  backend,
  threads,
  seconds,
  tflop: flops / 1e12,
  gflops: rate / 1e9,
  gemm_f16_packed_gflops: gemm.gflops,
  vs_gemm: rate / gemmRate,
  cpu_seconds: cpuSeconds,
  cpu_share: cpuSeconds / (seconds * threads),
  gflops_per_cpu: cpuRate / 1e9,
  gemm_gflops_per_cpu: gemmCpuRate / 1e9,
  vs_gemm_per_cpu: cpuRate / gemmCpuRate,
  weight_mib: info.weightBytes / 2 ** 20,
  activation_mib: info.activationBytes / 2 ** 20,
  peak_rss_over_start_mib: (peak - rssBefore) / 2 ** 20,
  budget_mib: budget / 2 ** 20,
  within_budget: peak - rssBefore <= budget,
  finite: out.every(Number.isFinite),
  loadavg: loadavg(),
};
if (json) {
  console.log(JSON.stringify({ kind: "machine", ...machine }));
  console.log(JSON.stringify(result));
} else {
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, commit ${machine.commit}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log(`gemm f16 packed 1024x4096 x 32 tok, ${backend}, ${threads} threads: ${gemm.gflops.toFixed(1)} GFLOP/s`);
  console.log(
    `encode 1 image (${result.shape}), ${backend}, ${threads} threads: ${seconds.toFixed(2)} s, ${result.tflop.toFixed(2)} TFLOP, ` +
      `${result.gflops.toFixed(1)} GFLOP/s = ${(100 * result.vs_gemm).toFixed(0)}% of the GEMM rate`,
  );
  console.log(
    `per CPU-second received (x ${threads}): encode ${result.gflops_per_cpu.toFixed(1)} GFLOP/s (cpu share ${result.cpu_share.toFixed(2)}), ` +
      `GEMM ${result.gemm_gflops_per_cpu.toFixed(1)} GFLOP/s (cpu share ${gemm.cpu_share.toFixed(2)}): ${(100 * result.vs_gemm_per_cpu).toFixed(0)}%`,
  );
  console.log(
    `memory: weights ${result.weight_mib.toFixed(0)} MiB + activations ${result.activation_mib.toFixed(0)} MiB + 64 MiB = budget ${result.budget_mib.toFixed(0)} MiB; ` +
      `peak RSS over the start ${result.peak_rss_over_start_mib.toFixed(0)} MiB (${result.within_budget ? "within" : "OVER"} budget)`,
  );
}
