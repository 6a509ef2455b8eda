/**
 * Benchmark plumbing shared by the kernel benchmarks: machine description, timing with automatic
 * iteration counts, and table / JSON-lines output. A benchmark is a list of {@link BenchCase}s.
 * @module
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import type { KernelBackend } from "../lib/kernels.js";

/** One measured configuration of a case. */
export interface BenchVariant {
  backend: KernelBackend;
  threads: number;
  /**
   * Runs the kernel `iterations` times and returns seconds per call, or with the CPU seconds per call
   * when the kernel measures them itself (so set-up it does first, such as packing, is not counted).
   */
  time(iterations: number): number | Timing;
}

/** Wall and process CPU seconds per call. */
export interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** A kernel × shape to measure on several backends / thread counts. */
export interface BenchCase {
  /** Kernel name, e.g. `gemv q4_0`. */
  kernel: string;
  /** Human-readable shape, e.g. `4096x11008`. */
  shape: string;
  /** Bytes the kernel must move per call (weights read), for GB/s; 0 when not meaningful. */
  bytes: number;
  /** Floating-point (or integer multiply-add) operations per call, for GFLOP/s. */
  flops: number;
  /** Builds the variants to measure; `scalar` at the same thread count is the baseline (list it first). */
  variants(backends: KernelBackend[]): BenchVariant[];
  /**
   * Batch size M of a small-batch case (rows multiplied per call); the case with M = 1 and the same
   * kernel name is the rate the others are compared with.
   */
  batchRows?: number;
}

/** One output row. */
export interface BenchResult {
  kernel: string;
  shape: string;
  backend: KernelBackend;
  threads: number;
  seconds: number;
  gbps: number;
  gflops: number;
  speedup_vs_scalar: number | null;
  pct_of_mem_bw: number | null;
  /** CPU time the process got during the best batch / (wall time x threads): < 1 when other processes compete. */
  cpu_share: number;
  /** Bytes per CPU-second actually received (GB): the kernel's throughput per busy core, robust to contention. */
  gbps_per_core: number;
  /**
   * Small-batch cases: M, rows per second, and rows/s over the M = 1 case's at the same backend and
   * threads; the same per CPU-second received (robust when other processes take the cores).
   */
  batch_rows?: number;
  rows_per_s?: number;
  rows_per_s_vs_m1?: number | null;
  rows_per_cpu_s?: number;
  rows_per_cpu_s_vs_m1?: number | null;
}

/** CPU model, core count, memory and the git commit the numbers belong to. */
export function machineInfo(): { cpu: string; cores: number; memGiB: number; commit: string; node: string } {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout (installed package): keep "unknown"
  }
  const list = cpus();
  return {
    cpu: list[0]?.model ?? "unknown",
    cores: list.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    commit,
    node: process.version,
  };
}

/**
 * Seconds per call: grows the iteration count until one batch lasts >= `minSeconds`, then keeps the
 * best of `repeats` batches (the least disturbed by other processes on a shared machine), with the
 * process CPU time consumed per call in that batch.
 */
export function measure(
  time: (iterations: number) => number | Timing,
  minSeconds = 0.25,
  repeats = 5,
): Timing {
  const batch = (iterations: number): Timing => {
    const cpu0 = process.cpuUsage();
    const t = time(iterations);
    if (typeof t !== "number") return t;
    const cpu = process.cpuUsage(cpu0);
    return { seconds: t, cpuSeconds: (cpu.user + cpu.system) / 1e6 / iterations };
  };
  let iterations = 1;
  let best = batch(iterations);
  while (best.seconds * iterations < minSeconds && iterations < 1 << 24) {
    iterations = Math.max(iterations * 2, Math.ceil((minSeconds / Math.max(best.seconds, 1e-9)) * 1.2));
    best = batch(iterations);
  }
  for (let r = 1; r < repeats; r++) {
    const b = batch(iterations);
    if (b.seconds < best.seconds) best = b;
  }
  return best;
}

/** Runs every case and variant; `memBandwidth` (bytes/s) turns GB/s into a percentage. */
export function runCases(cases: BenchCase[], backends: KernelBackend[], memBandwidth: number | null): BenchResult[] {
  const out: BenchResult[] = [];
  for (const c of cases) {
    const baseline = new Map<number, number>();  // threads -> scalar seconds
    for (const v of c.variants(backends)) {
      const { seconds, cpuSeconds } = measure((n) => v.time(n));
      if (v.backend === "scalar") baseline.set(v.threads, seconds);
      const base = baseline.get(v.threads);
      const gbps = c.bytes / seconds / 1e9;
      let batch: Pick<BenchResult, "batch_rows" | "rows_per_s" | "rows_per_s_vs_m1" | "rows_per_cpu_s" | "rows_per_cpu_s_vs_m1"> = {};
      if (c.batchRows !== undefined) {
        const rowsPerS = c.batchRows / seconds;
        const rowsPerCpuS = cpuSeconds > 0 ? (c.batchRows * v.threads) / cpuSeconds : 0;
        const m1 = out.find((r) => r.kernel === c.kernel && r.batch_rows === 1 && r.backend === v.backend && r.threads === v.threads);
        batch = {
          batch_rows: c.batchRows,
          rows_per_s: rowsPerS,
          rows_per_s_vs_m1: m1?.rows_per_s ? rowsPerS / m1.rows_per_s : null,
          rows_per_cpu_s: rowsPerCpuS,
          rows_per_cpu_s_vs_m1: m1?.rows_per_cpu_s && rowsPerCpuS ? rowsPerCpuS / m1.rows_per_cpu_s : null,
        };
      }
      out.push({
        ...batch,
        kernel: c.kernel,
        shape: c.shape,
        backend: v.backend,
        threads: v.threads,
        seconds,
        gbps,
        gflops: c.flops / seconds / 1e9,
        speedup_vs_scalar: base === undefined ? null : base / seconds,
        pct_of_mem_bw: memBandwidth && c.bytes > 0 ? (100 * c.bytes) / seconds / memBandwidth : null,
        cpu_share: cpuSeconds / (seconds * v.threads),
        gbps_per_core: cpuSeconds > 0 ? c.bytes / cpuSeconds / 1e9 : 0,
      });
    }
  }
  return out;
}

function fmtTime(s: number): string {
  if (s < 1e-6) return `${(s * 1e9).toFixed(0)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  return `${(s * 1e3).toFixed(2)} ms`;
}

/** Renders results as an aligned text table (small-batch results as {@link formatBatchTable}). */
export function formatTable(results: BenchResult[]): string {
  const batch = results.filter((r) => r.batch_rows !== undefined);
  const plain = results.filter((r) => r.batch_rows === undefined);
  return [plain.length ? formatPlainTable(plain) : "", batch.length ? formatBatchTable(batch) : ""].filter((t) => t).join("\n\n");
}

/**
 * Small-batch results: M, time per call, rows/s and rows/s against M = 1 (M rows cost ~one GEMV when it
 * is ~M x), and the same per CPU-second of `thr` cores (rows/s had the process had them all).
 */
export function formatBatchTable(results: BenchResult[]): string {
  const header = ["kernel", "backend", "thr", "M", "time", "rows/s", "vs M=1", "rows/cpu-s", "vs M=1 (cpu)", "GB/s", "cpu share"];
  const rows = results.map((r) => [
    r.kernel,
    r.backend,
    String(r.threads),
    String(r.batch_rows),
    fmtTime(r.seconds),
    (r.rows_per_s ?? 0).toFixed(0),
    r.rows_per_s_vs_m1 == null ? "-" : `${r.rows_per_s_vs_m1.toFixed(2)}x`,
    (r.rows_per_cpu_s ?? 0).toFixed(0),
    r.rows_per_cpu_s_vs_m1 == null ? "-" : `${r.rows_per_cpu_s_vs_m1.toFixed(2)}x`,
    r.gbps.toFixed(2),
    `${Math.round(100 * r.cpu_share)}%`,
  ]);
  return alignTable(header, rows, 2);
}

function alignTable(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function formatPlainTable(results: BenchResult[]): string {
  const header = ["kernel", "shape", "backend", "thr", "time", "GB/s", "GFLOP/s", "vs scalar", "% mem BW", "cpu share", "GB/s/core"];
  const rows = results.map((r) => [
    r.kernel,
    r.shape,
    r.backend,
    String(r.threads),
    fmtTime(r.seconds),
    r.gbps > 0 ? r.gbps.toFixed(2) : "-",
    r.gflops > 0 ? r.gflops.toFixed(2) : "-",
    r.speedup_vs_scalar === null ? "-" : `${r.speedup_vs_scalar.toFixed(1)}x`,
    r.pct_of_mem_bw === null ? "-" : `${r.pct_of_mem_bw.toFixed(0)}%`,
    `${Math.round(100 * r.cpu_share)}%`,
    r.gbps_per_core > 0 ? r.gbps_per_core.toFixed(2) : "-",
  ]);
  return alignTable(header, rows, 3);
}
