/**
 * Server load test: `npm run bench:server [-- --duration 60 --clients 32 --engine fake|demo]`.
 * `--setup remote` measures a gateway's overhead (direct to a models host vs through a gateway of
 * remote experts, two processes); `--setup paired` its added time to first token, one client
 * alternating between the two paths request by request; `--setup failover` kills
 * (`--signal SIGKILL`, default) or stops (`--signal SIGTERM`: it drains) and restarts the models
 * host during the run (see bench/remote-setups.ts). All three use the fake engine.
 * Streaming clients with automatic routing against the real HTTP server on 127.0.0.1, in this
 * process, backed by either the fake engine (deterministic text, `--token-delay-ms` per token,
 * `--parallel` slots per expert) or the demo system: the real engine with five random-weight models,
 * one per architecture (test recipes, cached in .cache/models), one slot and `--threads` threads per expert. Fails (exit 1) on any failed request, or when the JS heap after a full
 * GC grows by more than `--max-heap-growth-mib` over the run (a leak). RSS is reported too, but V8
 * lets it grow between major collections, so it is no leak test on its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { formatBenchTable, runServerBench } from "../lib/cli/bench.js";
import { startServer } from "../lib/server/index.js";
import { DEMO_EXPERTS } from "../lib/config/index.js";
import { createSystem, type CapibaraSystem } from "../lib/system.js";
import { buildModel } from "../test/fixtures/recipes.js";
import { failoverBench, pairedOverheadBench, remoteOverheadBench, type RemoteBenchOptions } from "./remote-setups.js";
import { FakeEngine, fiveExpertConfig } from "../test/helpers/fake-engine.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    clients: { type: "string", default: "32" },
    "max-tokens": { type: "string", default: "32" },
    "token-delay-ms": { type: "string", default: "5" },
    parallel: { type: "string", default: "4" },
    engine: { type: "string", default: "fake" },
    threads: { type: "string", default: "2" },
    "max-heap-growth-mib": { type: "string", default: "32" },
    setup: { type: "string", default: "local" },
    signal: { type: "string", default: "SIGKILL" },
  },
});
const num = (k: keyof typeof values): number => Number(values[k]);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapAfterGcMiB = (): number => {
  gc();
  return Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10;
};

const dir = mkdtempSync(join(tmpdir(), "capibara-bench-"));
async function demoSystem(): Promise<CapibaraSystem> {
  const experts = [];
  for (const e of DEMO_EXPERTS) experts.push({ name: e.name, domain: e.domain, priority: e.priority, model_path: await buildModel(e.arch, "f16"), n_ctx: 512, n_threads: num("threads") });
  return createSystem({ experts, lazy_loading: { max_loaded_experts: 5 } });
}
function fakeSystem(): Promise<CapibaraSystem> {
  const engine = new FakeEngine({ replyTokens: num("max-tokens"), tokenDelayMs: num("token-delay-ms"), contextSize: 4096 });
  return createSystem(fiveExpertConfig(dir, { parallel: num("parallel") }), { loadModel: engine.loadModel });
}
if (values.setup === "remote" || values.setup === "paired" || values.setup === "failover") {
  const signal = values.signal;
  if (signal !== "SIGKILL" && signal !== "SIGTERM") throw new Error(`--signal must be SIGKILL or SIGTERM, got ${signal}`);
  const o: RemoteBenchOptions = { signal, dir, clients: num("clients"), durationS: num("duration"), maxTokens: num("max-tokens"), tokenDelayMs: num("token-delay-ms"), parallel: num("parallel") };
  const load = (): string => loadavg().map((l) => l.toFixed(1)).join(" ");
  process.stdout.write(`server bench, setup ${values.setup}: fake engine, ${o.tokenDelayMs} ms/token, ${o.parallel} slots per expert, ${values.setup === "paired" ? 1 : o.clients} clients, node ${process.version}, ${cpus().length} cores, load average ${load()}\n`);
  try {
    if (values.setup === "remote") {
      const { direct, gateway, directCpu, gatewayCpu } = await remoteOverheadBench(o);
      process.stdout.write(`direct to the models host:\n${formatBenchTable(direct)}through the gateway (remote experts):\n${formatBenchTable(gateway)}`);
      const added = Math.round((gateway.timeToFirstTokenMs.p50 - direct.timeToFirstTokenMs.p50) * 10) / 10;
      const ratio = Math.round((gateway.chunksPerSecond / direct.chunksPerSecond) * 1000) / 1000;
      process.stdout.write(`gateway overhead: TTFT p50 +${added} ms, throughput ${ratio}x of direct (chunks/s)\n`);
      process.stdout.write(`CPU ms per 1000 chunks: direct run: client ${directCpu.client}, host ${directCpu.host}; gateway run: client ${gatewayCpu.client}, gateway ${gatewayCpu.gateway}, host ${gatewayCpu.host}\n`);
      if (direct.failed + gateway.failed > 0) process.exitCode = 1;
    } else if (values.setup === "paired") {
      const p = await pairedOverheadBench(o);
      const line = (q: { p50: number; p90: number; p99: number }): string => `${q.p50} / ${q.p90} / ${q.p99} ms`;
      process.stdout.write(`${p.pairs} pairs (${p.failed} failed), TTFT p50 / p90 / p99: direct ${line(p.direct)}; gateway ${line(p.gateway)}\n`);
      process.stdout.write(`gateway overhead: TTFT +${p.added.p50} ms (median of the per-pair differences; p90 ${p.added.p90} ms)\n`);
      if (p.failed > 0) process.exitCode = 1;
    } else {
      const f = await failoverBench(o);
      process.stdout.write(formatBenchTable(f.result));
      process.stdout.write(`streams open on the remote when it was stopped (${signal}): ${f.inFlightAtKill}, continued on another expert: ${f.continuations}; all remotes shown down after ${f.detectedDownMs} ms; up again ${f.recoveredMs} ms after the restarted host answered\n`);
      process.stdout.write(`requests per expert: ${Object.entries(f.perExpert).map(([n, c]) => `${n}=${c}`).join(" ")}\n`);
      if (f.result.failed > 0) process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`load average at the end: ${load()}\n`);
  process.exit();
}
const demo = values.engine === "demo";
const system = demo ? await demoSystem() : await fakeSystem();
const server = await startServer(system, { port: 0 });
try {
  const heapStart = heapAfterGcMiB();
  const result = await runServerBench({ url: server.url, clients: num("clients"), durationS: num("duration"), maxTokens: num("max-tokens") });
  const engineLine = demo ? `demo system (real engine, random-weight f16 models, ${values.threads} threads per expert)` : `fake engine, ${values["token-delay-ms"]} ms/token, ${values.parallel} slots per expert`;
  process.stdout.write(`server bench: ${engineLine}, node ${process.version}\n`);
  process.stdout.write(formatBenchTable(result));
  const perExpert = Object.entries(system.stats().experts).map(([n, e]) => `${n}=${e.requests}`);
  process.stdout.write(`requests per expert: ${perExpert.join(" ")}\n`);
  const heapEnd = heapAfterGcMiB();
  process.stdout.write(`JS heap after full GC: ${heapStart} MiB before, ${heapEnd} MiB after\n`);
  if (result.failed > 0 || heapEnd - heapStart > num("max-heap-growth-mib")) {
    process.stdout.write(`FAIL: ${result.failed} failed requests, heap grew ${(heapEnd - heapStart).toFixed(1)} MiB\n`);
    process.exitCode = 1;
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
