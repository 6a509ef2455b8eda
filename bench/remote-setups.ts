/**
 * Setups of `npm run bench:server -- --setup remote|failover`: a models host and a gateway as two
 * capibara processes (the CLI's `serve` with the fake engine, test/e2e/remote-host.ts), so the bench
 * process only runs the clients.
 * - remote: the same load direct to the models host, then through a gateway whose five experts are
 *   remote (url) to it; the gateway's added time to first token and its throughput ratio.
 * - paired: one client alternating requests direct and through the gateway; the gateway's added
 *   time to first token as the median of the per-pair differences.
 * - failover: the load through a gateway whose five remote experts have local fallbacks, while the
 *   models host is killed (SIGKILL, or `--signal SIGTERM`: it drains) a third of the way in and
 *   restarted at two thirds.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_PROMPTS, percentiles, runServerBench, streamOnce, type Percentiles, type ServerBenchResult } from "../lib/cli/bench.js";
import { FIVE_EXPERTS, fiveExpertConfig } from "../test/helpers/fake-engine.js";
import { freePort, startHost, stopHost, type HostProcess } from "../test/e2e/remote-procs.js";

/** Load and engine settings shared by both setups. */
export interface RemoteBenchOptions {
  dir: string;
  clients: number;
  durationS: number;
  maxTokens: number;
  tokenDelayMs: number;
  parallel: number;
  /** How the failover setup stops the models host: SIGKILL (a crash) or SIGTERM (a drain). */
  signal?: "SIGKILL" | "SIGTERM";
}

async function modelsHost(o: RemoteBenchOptions, port: number): Promise<HostProcess> {
  const file = join(o.dir, "host.json");
  writeFileSync(file, JSON.stringify(fiveExpertConfig(join(o.dir, "host-models"), { parallel: o.parallel })));
  return startHost(["--config", file, "--port", String(port), "--log-level", "warn"], { tokenDelayMs: o.tokenDelayMs, replyTokens: o.maxTokens, url: `http://127.0.0.1:${port}` });
}

async function gatewayFor(o: RemoteBenchOptions, hostUrl: string, withFallbacks: boolean): Promise<HostProcess> {
  const remote = FIVE_EXPERTS.map((e) => ({ name: e.name, domain: e.domain, priority: e.priority, url: `${hostUrl}/v1`, timeout_s: 10 }));
  const local = withFallbacks ? fiveExpertConfig(join(o.dir, "gateway-models"), { parallel: o.parallel }).experts.map((e) => ({ ...e, name: `local_${e.name}`, priority: 10 + e.priority })) : [];
  const file = join(o.dir, `gateway-${withFallbacks ? "failover" : "plain"}.json`);
  writeFileSync(file, JSON.stringify({ experts: [...remote, ...local], lazy_loading: { max_loaded_experts: 10 } }));
  const port = await freePort();
  const gw = await startHost(["--config", file, "--port", String(port), "--log-level", "warn"], { tokenDelayMs: o.tokenDelayMs, replyTokens: o.maxTokens, url: `http://127.0.0.1:${port}` });
  // The gateway's first health probes run right after it listens.
  for (let i = 0; i < 100; i++) {
    const models = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: { state: string; remote: boolean }[] };
    if (models.data.filter((m) => m.remote).every((m) => m.state === "remote-up")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return gw;
}

/** CPU time a process has used, ms (Linux /proc; null elsewhere). */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name: state is field 3, utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks();
  } catch {
    return null;
  }
}
let ticks: number | undefined;
const clockTicks = (): number => (ticks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100);

/** CPU ms per 1000 streamed chunks of each process during one run (null where it could not be read). */
export interface CpuPerChunks {
  client: number;
  host: number | null;
  gateway: number | null;
}

/** One run of the load, with the CPU time each process spent on it. */
async function measured(url: string, load: { clients: number; durationS: number; maxTokens: number }, host: HostProcess, gw: HostProcess): Promise<{ result: ServerBenchResult; cpu: CpuPerChunks }> {
  const before = { client: process.cpuUsage(), host: processCpuMs(host.proc.pid), gateway: processCpuMs(gw.proc.pid) };
  const result = await runServerBench({ url, ...load });
  const client = process.cpuUsage(before.client);
  const per = (ms: number | null, from: number | null): number | null => (ms === null || from === null ? null : Math.round(((ms - from) / result.chunks) * 1000 * 10) / 10);
  return {
    result,
    cpu: {
      client: per((client.user + client.system) / 1000, 0)!,
      host: per(processCpuMs(host.proc.pid), before.host),
      gateway: per(processCpuMs(gw.proc.pid), before.gateway),
    },
  };
}

/** What the overhead run measured: each path's load result and CPU per 1000 chunks. */
export interface OverheadResult {
  direct: ServerBenchResult;
  gateway: ServerBenchResult;
  directCpu: CpuPerChunks;
  gatewayCpu: CpuPerChunks;
}

/** The same load direct to the models host and through the gateway. */
export async function remoteOverheadBench(o: RemoteBenchOptions): Promise<OverheadResult> {
  const host = await modelsHost(o, await freePort());
  const gw = await gatewayFor(o, host.url, false);
  const load = { clients: o.clients, durationS: o.durationS, maxTokens: o.maxTokens };
  try {
    // A short warm-up of each path, so neither pays for JIT and first loads in the measurement.
    await runServerBench({ url: host.url, ...load, durationS: 2 });
    await runServerBench({ url: gw.url, ...load, durationS: 2 });
    const direct = await measured(host.url, load, host, gw);
    const gateway = await measured(gw.url, load, host, gw);
    return { direct: direct.result, gateway: gateway.result, directCpu: direct.cpu, gatewayCpu: gateway.cpu };
  } finally {
    await Promise.all([stopHost(gw), stopHost(host)]);
  }
}

/** What the paired run measured: time to first token of each path, and what the gateway added to each pair. */
export interface PairedResult {
  pairs: number;
  failed: number;
  direct: Percentiles;
  gateway: Percentiles;
  added: Percentiles;
}

/**
 * One client sending each prompt direct, then through the gateway (the order swapping every pair),
 * for `durationS`. Run one after the other, as {@link remoteOverheadBench} runs them, the two paths
 * meet different loads on a shared machine, which moves the difference of their medians by a
 * millisecond or more; alternating request by request, both meet the same.
 */
export async function pairedOverheadBench(o: RemoteBenchOptions): Promise<PairedResult> {
  const host = await modelsHost(o, await freePort());
  const gw = await gatewayFor(o, host.url, false);
  const one = async (url: string, prompt: (typeof BENCH_PROMPTS)[number]): Promise<number> => (await streamOnce({ url, clients: 1, durationS: 0, maxTokens: o.maxTokens }, prompt)).ttftMs;
  try {
    await runServerBench({ url: host.url, clients: 1, durationS: 2, maxTokens: o.maxTokens });
    await runServerBench({ url: gw.url, clients: 1, durationS: 2, maxTokens: o.maxTokens });
    const direct: number[] = [];
    const gateway: number[] = [];
    const added: number[] = [];
    let failed = 0;
    const deadline = performance.now() + o.durationS * 1000;
    for (let i = 0; performance.now() < deadline; i++) {
      const prompt = BENCH_PROMPTS[i % BENCH_PROMPTS.length]!;
      try {
        let d: number;
        let g: number;
        if (i % 2 === 0) {
          d = await one(host.url, prompt);
          g = await one(gw.url, prompt);
        } else {
          g = await one(gw.url, prompt);
          d = await one(host.url, prompt);
        }
        direct.push(d);
        gateway.push(g);
        added.push(g - d);
      } catch {
        failed++;
      }
    }
    return { pairs: added.length, failed, direct: percentiles(direct), gateway: percentiles(gateway), added: percentiles(added) };
  } finally {
    await Promise.all([stopHost(gw), stopHost(host)]);
  }
}

/** What the failover run measured. */
export interface FailoverResult {
  result: ServerBenchResult;
  /** Streams the gateway had open on remote experts when the host was stopped. */
  inFlightAtKill: number;
  /** From the kill until the gateway showed every remote expert down. */
  detectedDownMs: number | null;
  /** From the restarted host answering /health until the gateway showed every remote expert up again. */
  recoveredMs: number | null;
  /** Requests served per expert over the run (remote and local fallbacks). */
  perExpert: Record<string, number>;
  /** Answers cut by the kill that another expert continued. */
  continuations: number;
}

/** The load through a gateway with fallbacks while the models host is killed and restarted. */
export async function failoverBench(o: RemoteBenchOptions): Promise<FailoverResult> {
  const port = await freePort();
  let host = await modelsHost(o, port);
  const gw = await gatewayFor(o, host.url, true);
  const stats = async () => (await (await fetch(`${gw.url}/stats`)).json()) as { continuations_total: number; experts: Record<string, { remote: boolean; state: string; active: number; requests: number }> };
  const remotes = async (state: string) => Object.values((await stats()).experts).filter((e) => e.remote).every((e) => e.state === state);
  const waitFor = async (state: string, since: number): Promise<number | null> => {
    for (let i = 0; i < 300; i++) {
      if (await remotes(state)) return Date.now() - since;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  };
  let inFlightAtKill = 0;
  let detectedDownMs: number | null = null;
  let recoveredMs: number | null = null;
  const chaos = (async () => {
    await new Promise((r) => setTimeout(r, (o.durationS * 1000) / 3));
    inFlightAtKill = Object.values((await stats()).experts).reduce((s, e) => s + (e.remote ? e.active : 0), 0);
    const killed = Date.now();
    await stopHost(host, o.signal ?? "SIGKILL");
    detectedDownMs = await waitFor("remote-down", killed);
    await new Promise((r) => setTimeout(r, Math.max(0, killed + (o.durationS * 1000) / 3 - Date.now())));
    host = await modelsHost(o, port);
    recoveredMs = await waitFor("remote-up", Date.now());
  })();
  try {
    const result = await runServerBench({ url: gw.url, clients: o.clients, durationS: o.durationS, maxTokens: o.maxTokens });
    await chaos;
    const end = await stats();
    const perExpert = Object.fromEntries(Object.entries(end.experts).map(([n, e]) => [n, e.requests]));
    return { result, inFlightAtKill, detectedDownMs, recoveredMs, perExpert, continuations: end.continuations_total };
  } finally {
    await Promise.all([stopHost(gw), stopHost(host)]);
  }
}
