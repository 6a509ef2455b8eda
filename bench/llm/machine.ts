/**
 * The machine and build figures are taken on: CPU, cores, RAM, load, git commit, and the memory read bandwidth that bounds decode speed.
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { native } from "../../lib/native.js";
import type { RunInfo } from "./report.js";

/** Buffer read by the bandwidth test: far larger than any cache. */
const BANDWIDTH_BYTES = 512 * 2 ** 20;
const BANDWIDTH_ITERATIONS = 4;

/** CPU model name (`/proc/cpuinfo` when os.cpus() has none). */
function cpuModel(): string {
  const fromOs = cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
  return m?.[1]?.trim() ?? "unknown CPU";
}

/** Short commit of the working tree, marked `-dirty` when it has uncommitted changes. */
function gitCommit(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return "unknown";
  }
}

/** Read bandwidth (bytes/s) of a parallel sum over a large buffer, per thread count. */
export function measureBandwidth(threads: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of threads) out[t] = native().quant.readBandwidth(BANDWIDTH_BYTES, t, BANDWIDTH_ITERATIONS);
  return out;
}

/** Everything a report states about where it was measured. */
export function runInfo(bandwidth: Record<string, number>, llamaCppVersion: string): RunInfo {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    ramGiB: totalmem() / 2 ** 30,
    commit: gitCommit(),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    loadAverage: loadavg(),
    bandwidth,
    llamaCppVersion,
  };
}
