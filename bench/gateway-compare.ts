/**
 * Gateways side by side: `npm run bench:gateways -- [--roots DIR[|K=V...],DIR2 --floors --rounds 150 --model auto]`.
 * One fake-engine models host (5 ms a token, 16 tokens) and, in front of it, a capibara gateway from
 * each checkout in `--roots` (default: this one; `|K=V` sets an environment variable for that
 * gateway), and with `--floors` two stand-ins: a bare TCP relay and a minimal Node HTTP proxy
 * (bench/stand-ins). One client sends each prompt direct and through every path in turn, the order
 * reversing every round, so all meet the same machine; it prints each path's added time to first
 * token (median of the per-round differences to direct) and, for two or more gateways, each one's
 * median difference to the first. What `--setup paired` measures, for several paths at once: a
 * change's effect, or the floor of the hops, shows above the noise of a shared machine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_PROMPTS, streamOnce } from "../lib/cli/bench.js";
import { packageRoot } from "../lib/native.js";
import { FIVE_EXPERTS, fiveExpertConfig } from "../test/helpers/fake-engine.js";
import { freePort, startHost, stopHost } from "../test/e2e/remote-procs.js";

const { values } = parseArgs({
  options: {
    roots: { type: "string", default: packageRoot },
    floors: { type: "boolean", default: false },
    rounds: { type: "string", default: "150" },
    model: { type: "string", default: "auto" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "capibara-gateways-"));
const children: ChildProcess[] = [];

async function listening(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer /health`);
}

/** Starts a node process with the arguments `args(port)` for a free port; resolves with its URL. */
async function child(args: (port: string) => string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const proc = spawn(process.execPath, args(String(port)), { cwd, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
  children.push(proc);
  return `http://127.0.0.1:${port}`;
}

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(" ");
const hostPort = await freePort();
writeFileSync(join(dir, "host.json"), JSON.stringify(fiveExpertConfig(join(dir, "models"), { parallel: 4 })));
const host = await startHost(["--config", join(dir, "host.json"), "--port", String(hostPort), "--log-level", "warn"], { tokenDelayMs: 5, replyTokens: 16, url: `http://127.0.0.1:${hostPort}` });
const gatewayConfig = join(dir, "gateway.json");
writeFileSync(gatewayConfig, JSON.stringify({ experts: FIVE_EXPERTS.map((e) => ({ name: e.name, domain: e.domain, priority: e.priority, url: `${host.url}/v1`, timeout_s: 10 })) }));
const paths: Record<string, string> = { direct: host.url };
try {
  for (const [i, spec] of values.roots.split(",").entries()) {
    const [root, ...vars] = spec.split("|") as [string, ...string[]];
    const env = Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]));
    const serve = (port: string): string[] => ["--import", "tsx", join(root, "test/e2e/remote-host.ts"), "0", "8", "--config", gatewayConfig, "--log-level", "warn", "--port", port];
    paths[`gateway ${i} (${spec})`] = await child(serve, root, env);
  }
  if (values.floors) {
    const standIn = (file: string) => (port: string) => [join(packageRoot, "bench/stand-ins", file), port, String(hostPort)];
    paths["tcp relay"] = await child(standIn("tcp-relay.mjs"), packageRoot);
    paths["node http proxy"] = await child(standIn("http-proxy.mjs"), packageRoot);
  }
  await Promise.all(Object.values(paths).map(listening));
  // The gateways' first health probes run right after they listen.
  await new Promise((r) => setTimeout(r, 1500));
  const prompts = values.model === "auto" ? BENCH_PROMPTS : BENCH_PROMPTS.filter((p) => typeof p === "string");
  const one = async (url: string, i: number): Promise<number> => (await streamOnce({ url, clients: 1, durationS: 0, maxTokens: 16, model: values.model }, prompts[i % prompts.length]!)).ttftMs;
  const names = Object.keys(paths);
  for (let i = 0; i < 20; i++) for (const n of names) await one(paths[n]!, i);
  process.stdout.write(`gateways compared: ${values.rounds} rounds, model ${values.model}, node ${process.version}, load average ${load()}\n`);
  const ttft: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < Number(values.rounds); i++) {
    for (const n of i % 2 ? names : [...names].reverse()) ttft[n]!.push(await one(paths[n]!, i));
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const minus = (a: string, b: string): number => median(ttft[a]!.map((v, i) => v - ttft[b]![i]!));
  const gateways = names.filter((n) => n.startsWith("gateway"));
  process.stdout.write(`direct: TTFT p50 ${median(ttft.direct!).toFixed(2)} ms\n`);
  for (const n of names.slice(1)) {
    const vsFirst = gateways.length > 1 && gateways.indexOf(n) > 0 ? `; ${minus(n, gateways[0]!) >= 0 ? "+" : ""}${minus(n, gateways[0]!).toFixed(2)} ms against gateway 0` : "";
    process.stdout.write(`${n}: added ${minus(n, "direct").toFixed(2)} ms (TTFT p50 ${median(ttft[n]!).toFixed(2)} ms)${vsFirst}\n`);
  }
  process.stdout.write(`load average at the end: ${load()}\n`);
} finally {
  for (const c of children) c.kill();
  await stopHost(host);
  rmSync(dir, { recursive: true, force: true });
}
