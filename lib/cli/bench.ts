/**
 * `capibara bench`: concurrent streaming clients against the server for a while; reports failed
 * requests, time to first token percentiles, throughput and the process's memory.
 * @module
 */
import type { Command } from "commander";
import type { ChatMessage } from "../engine/types.js";
import { startServer } from "../server/index.js";
import { createCliLogger, openSystem, type CliContext, type SystemCliOptions } from "./common.js";
import { intOption } from "./serve.js";

/** User message contents for every domain, so that automatic routing spreads the load over the five experts. */
export const BENCH_PROMPTS: ReadonlyArray<ChatMessage["content"]> = [
  "Write a Python function that reverses a linked list",
  "Explain how TCP congestion control works in networks",
  "What should I cook for dinner tonight with my family?",
  "Bonjour, pouvez-vous m'aider à écrire une lettre à ma grand-mère ?",
  [
    { type: "text", text: "What is in this picture?" },
    { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
  ],
];

/** Options of {@link runServerBench}. */
export interface ServerBenchOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8082`. */
  url: string;
  clients: number;
  durationS: number;
  maxTokens: number;
  model?: string;
  apiKey?: string;
  prompts?: ReadonlyArray<ChatMessage["content"]>;
}

/** Percentiles in milliseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What {@link runServerBench} measured. */
export interface ServerBenchResult {
  clients: number;
  durationS: number;
  requests: number;
  failed: number;
  /** Failure messages and how often each happened. */
  errors: Record<string, number>;
  /** Streamed content chunks (one per generated token for the engine's batches of one). */
  chunks: number;
  timeToFirstTokenMs: Percentiles;
  requestMs: Percentiles;
  requestsPerSecond: number;
  chunksPerSecond: number;
  /** This process's resident memory: after the first second, the highest seen, and at the end. */
  rssMiB: { start: number; max: number; end: number };
}

/** p50, p90, p99 and max of `values`, rounded to 0.1. */
export function percentiles(values: number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => (v.length === 0 ? NaN : v[Math.min(v.length - 1, Math.floor(q * v.length))]!);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(v.at(-1) ?? NaN) };
}

/** One streaming request; resolves with its time to first token, or throws why it failed. */
export async function streamOnce(opts: ServerBenchOptions, prompt: ChatMessage["content"]): Promise<{ ttftMs: number; chunks: number }> {
  const t0 = performance.now();
  const res = await fetch(`${opts.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
    body: JSON.stringify({ model: opts.model ?? "auto", messages: [{ role: "user", content: prompt }], stream: true, max_tokens: opts.maxTokens }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}`);
  let ttftMs = NaN;
  let chunks = 0;
  let done = false;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.startsWith("data: ") ? event.slice(6) : "";
      if (data === "[DONE]") done = true;
      else if (data) {
        const parsed = JSON.parse(data) as { error?: { message: string }; choices?: Array<{ delta?: { content?: string } }> };
        if (parsed.error) throw new Error(parsed.error.message);
        if (parsed.choices?.[0]?.delta?.content) {
          if (chunks === 0) ttftMs = performance.now() - t0;
          chunks++;
        }
      }
    }
  }
  if (!done) throw new Error("stream ended without [DONE]");
  return { ttftMs, chunks };
}

/** Runs `clients` concurrent streaming clients for `durationS` seconds against a server. */
export async function runServerBench(opts: ServerBenchOptions): Promise<ServerBenchResult> {
  const prompts = opts.prompts ?? BENCH_PROMPTS;
  const ttfts: number[] = [];
  const durations: number[] = [];
  const errors: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let chunks = 0;
  const mib = (): number => Math.round((process.memoryUsage.rss() / 2 ** 20) * 10) / 10;
  const rss = { start: mib(), max: mib(), end: 0 };
  const started = performance.now();
  const sampler = setInterval(() => {
    const now = mib();
    if (performance.now() - started < 1000) rss.start = now;
    rss.max = Math.max(rss.max, now);
  }, 100);
  const deadline = started + opts.durationS * 1000;
  const client = async (id: number): Promise<void> => {
    for (let i = id; performance.now() < deadline; i += opts.clients) {
      const t = performance.now();
      try {
        const r = await streamOnce(opts, prompts[i % prompts.length]!);
        ttfts.push(r.ttftMs);
        chunks += r.chunks;
        durations.push(performance.now() - t);
      } catch (err) {
        failed++;
        const msg = (err as Error).message;
        errors[msg] = (errors[msg] ?? 0) + 1;
      }
      requests++;
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)));
  } finally {
    clearInterval(sampler);
  }
  const elapsed = (performance.now() - started) / 1000;
  rss.end = mib();
  rss.max = Math.max(rss.max, rss.end);
  return {
    clients: opts.clients,
    durationS: Math.round(elapsed * 10) / 10,
    requests,
    failed,
    errors,
    chunks,
    timeToFirstTokenMs: percentiles(ttfts),
    requestMs: percentiles(durations),
    requestsPerSecond: Math.round((requests / elapsed) * 10) / 10,
    chunksPerSecond: Math.round(chunks / elapsed),
    rssMiB: rss,
  };
}

/** The result as a table. */
export function formatBenchTable(r: ServerBenchResult): string {
  const rows: Array<[string, string]> = [
    ["clients", String(r.clients)],
    ["duration", `${r.durationS} s`],
    ["requests", `${r.requests} (${r.requestsPerSecond}/s)`],
    ["failed", String(r.failed)],
    ["streamed chunks", `${r.chunks} (${r.chunksPerSecond}/s)`],
    ["TTFT p50 / p90 / p99 / max", `${r.timeToFirstTokenMs.p50} / ${r.timeToFirstTokenMs.p90} / ${r.timeToFirstTokenMs.p99} / ${r.timeToFirstTokenMs.max} ms`],
    ["request p50 / p99", `${r.requestMs.p50} / ${r.requestMs.p99} ms`],
    ["RSS start / max / end", `${r.rssMiB.start} / ${r.rssMiB.max} / ${r.rssMiB.end} MiB`],
    ...Object.entries(r.errors).map(([m, n]): [string, string] => [`error x${n}`, m]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const line = `+${"-".repeat(w + 2)}+${"-".repeat(Math.max(...rows.map(([, v]) => v.length)) + 2)}+`;
  const vw = line.length - w - 7;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padEnd(vw)} |`), line].join("\n") + "\n";
}

interface BenchCliOptions extends SystemCliOptions {
  url?: string;
  clients: number;
  duration: number;
  maxTokens: number;
  model?: string;
  apiKey?: string;
}

/** Adds `bench` to a commander program: against `--url`, or an in-process server opened from `--config`. */
export function registerBenchCommand(program: Command, ctx: CliContext = {}): Command {
  return program
    .command("bench")
    .description("concurrent streaming clients against the server: failures, time to first token, memory")
    .option("--url <url>", "a running server (default: start one in this process from --config)")
    .option("-c, --config <file>", "configuration of the in-process server")
    .option("--clients <n>", "concurrent streaming clients", intOption(1, 4096), 32)
    .option("--duration <s>", "seconds to run", intOption(1, 86_400), 60)
    .option("--max-tokens <n>", "tokens per request", intOption(1, 1 << 20), 32)
    .option("-m, --model <name>", "expert, domain or auto (default auto)")
    .option("--api-key <key>", "Bearer token for --url")
    .option("--log-level <level>", "server log level", "silent")
    .action(async (opts: BenchCliOptions, cmd: Command) => {
      const write = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
      let url = opts.url;
      let close = async (): Promise<void> => undefined;
      if (!url) {
        const system = await openSystem(opts, createCliLogger(opts, "silent"), ctx);
        const server = await startServer(system, { host: "127.0.0.1", port: 0, apiKey: null });
        url = server.url;
        close = server.close;
      }
      try {
        const result = await runServerBench({ url, clients: opts.clients, durationS: opts.duration, maxTokens: opts.maxTokens, model: opts.model, apiKey: opts.apiKey });
        write(formatBenchTable(result));
        if (result.failed > 0) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
