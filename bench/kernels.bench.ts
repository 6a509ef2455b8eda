/**
 * Kernel benchmark: every case of bench/cases on every backend this CPU has, against the scalar
 * reference, with the machine's measured memory bandwidth as the ceiling of memory-bound GEMV.
 *
 *   npm run bench:kernels              # table
 *   npm run bench:kernels -- --json    # one JSON object per line
 *   npm run bench:kernels -- --filter q4_0 --backends scalar,avx512
 *
 * Other kernel families add their cases by exporting a BenchCase[] from bench/cases/ and listing it in
 * CASE_SETS below.
 */
import { loadavg } from "node:os";
import { availableBackends, type KernelBackend } from "../lib/kernels.js";
import { batchCases } from "./cases/batch.js";
import { elementwiseCases } from "./cases/elementwise.js";
import { memoryBandwidth, quantCases } from "./cases/quant.js";
import { formatTable, machineInfo, runCases, type BenchCase } from "./lib.js";

const CASE_SETS: (() => BenchCase[])[] = [quantCases, elementwiseCases, batchCases];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const json = process.argv.includes("--json");
const filter = arg("--filter");
const wanted = arg("--backends")?.split(",") as KernelBackend[] | undefined;
const backends = availableBackends().filter((b) => !wanted || wanted.includes(b));
const threads = Math.min(2, machineInfo().cores);

const machine = machineInfo();
const bandwidth = memoryBandwidth(threads);
const cases = CASE_SETS.flatMap((set) => set()).filter((c) => !filter || c.kernel.includes(filter));

if (json) {
  console.log(
    JSON.stringify({ kind: "machine", ...machine, backends, mem_bw_gbps: bandwidth / 1e9, mem_bw_threads: threads, loadavg: loadavg() }),
  );
} else {
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, node ${machine.node}, commit ${machine.commit}`);
  console.log(`backends: ${backends.join(", ")}`);
  console.log(`memory bandwidth (read, ${threads} threads, 1 GiB): ${(bandwidth / 1e9).toFixed(1)} GB/s`);
  console.log(`load average: ${loadavg().map((l) => l.toFixed(1)).join(" ")} (other processes share the cores: see "cpu share")\n`);
}

const results = runCases(cases, backends, bandwidth);
if (json) {
  for (const r of results) console.log(JSON.stringify(r));
} else {
  console.log(formatTable(results));
}
