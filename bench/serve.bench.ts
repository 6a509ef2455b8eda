/**
 * Serving benchmark: `npm run bench:serve -- [options]`. On a random-weight GGUF of a real shape
 * (bench:llm's cache), measures what many users at once see on one model: single-stream decode, the
 * aggregate decode of N simultaneous streams and their first tokens, the worst inter-token gap of a
 * decoding stream while a long prompt is admitted, and the first token of each turn of a chat resent
 * whole every turn. llama.cpp (node-llama-cpp) runs the single stream and N sequences in one context.
 * Both engines run in this process, one after the other.
 * @module
 */
import { Command } from "commander";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { loadModel } from "../lib/engine/index.js";
import type { Model } from "../lib/engine/types.js";
import { ensureModel } from "./llm/build.js";
import { promptTokens } from "./llm/protocol.js";
import { parseQuant, shapeById } from "./llm/shapes.js";

interface Options {
  model: string;
  quant: string;
  threads: string;
  streams: string;
  decode: string;
  longPrompt: string;
  turns: string;
  turnTokens: string;
  engines: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** One greedy stream: arrival time of every token (ms since `t0`). */
async function stream(model: Model, prompt: string, maxTokens: number, t0: number, signal?: AbortSignal): Promise<{ times: number[]; end: number }> {
  const times: number[] = [];
  try {
    for await (const c of model.generate(prompt, { maxTokens, temperature: 0, ignoreEos: true, signal })) for (const _ of c.tokens) times.push(performance.now() - t0);
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
  return { times, end: performance.now() - t0 };
}

/** Tokens/s of all streams inside the window where every stream is past its first token and none has ended. */
function aggregate(runs: { times: number[]; end: number }[]): number {
  const from = Math.max(...runs.map((r) => r.times[0]!));
  const to = Math.min(...runs.map((r) => r.end));
  const n = runs.reduce((s, r) => s + r.times.filter((t) => t > from && t <= to).length, 0);
  return (n * 1000) / (to - from);
}

async function ours(path: string, o: { threads: number; streams: number; decode: number; longPrompt: number; turns: number; turnTokens: number }) {
  const model = await loadModel(path, { threads: o.threads, contextSize: 2048, parallel: o.streams });
  const text = (n: number, seed: number) => model.detokenize(promptTokens(n, seed));
  const out: Record<string, number> = {};
  await stream(model, text(16, 1), 4, performance.now());  // warm-up: page in the weights

  let t0 = performance.now();
  const one = await stream(model, text(32, 2), o.decode, t0);
  out.singleDecodeTps = ((one.times.length - 1) * 1000) / (one.end - one.times[0]!);
  out.singleRequestMs = one.end;

  t0 = performance.now();
  const many = await Promise.all(Array.from({ length: o.streams }, (_, i) => stream(model, text(32, 10 + i), o.decode, t0)));
  out.aggregateDecodeTps = aggregate(many);
  out.lastFirstTokenMs = Math.max(...many.map((r) => r.times[0]!));

  // A decoding stream while a long prompt is admitted: gaps between its tokens.
  t0 = performance.now();
  const ac = new AbortController();
  const decoding = stream(model, text(32, 30), 1 << 20, t0, ac.signal);
  await new Promise((r) => setTimeout(r, 1000));
  const admittedAt = performance.now() - t0;
  const long = await stream(model, text(o.longPrompt, 31), 1, t0);
  await new Promise((r) => setTimeout(r, 1000));
  ac.abort();
  const d = await decoding;
  const gaps = d.times.slice(1).map((t, i) => t - d.times[i]!);
  const during = gaps.filter((_, i) => d.times[i + 1]! > admittedAt && d.times[i]! < long.times[0]!);
  out.medianGapMs = median(gaps);
  out.worstGapWhileAdmittingMs = during.length ? Math.max(...during) : NaN;
  out.longPromptFirstTokenMs = long.times[0]! - admittedAt;

  // A chat resent whole each turn: first-token time per turn.
  let history = text(64, 40);
  const firsts: number[] = [];
  for (let turn = 0; turn < o.turns; turn++) {
    history += text(24, 50 + turn);
    t0 = performance.now();
    let reply = "";
    let first = -1;
    for await (const c of model.generate(history, { maxTokens: o.turnTokens, temperature: 0, ignoreEos: true })) {
      if (first < 0) first = performance.now() - t0;
      reply += c.text;
    }
    firsts.push(first);
    history += reply;
  }
  out.firstTurnFirstTokenMs = firsts[0]!;
  out.lastTurnFirstTokenMs = firsts.at(-1)!;
  await model.close();
  return out;
}

async function llamaCpp(path: string, o: { threads: number; streams: number; decode: number }) {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 0, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path, useMmap: true, gpuLayers: 0 });
  const out: Record<string, number> = {};
  for (const n of [1, o.streams]) {
    const context = await model.createContext({ contextSize: 2048 * n, threads: { ideal: o.threads, min: o.threads }, sequences: n, batchSize: 512 });
    const t0 = performance.now();
    const runs = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const seq = context.getSequence();
        const times: number[] = [];
        for await (const _t of seq.evaluate(promptTokens(32, 10 + i) as Token[], { temperature: 0, yieldEogToken: true })) {
          times.push(performance.now() - t0);
          if (times.length >= o.decode) break;
        }
        return { times, end: performance.now() - t0 };
      }),
    );
    if (n === 1) out.singleDecodeTps = ((runs[0]!.times.length - 1) * 1000) / (runs[0]!.end - runs[0]!.times[0]!);
    else {
      out.aggregateDecodeTps = aggregate(runs);
      out.lastFirstTokenMs = Math.max(...runs.map((r) => r.times[0]!));
    }
    await context.dispose();
  }
  await model.dispose();
  return out;
}

async function main(argv: string[]): Promise<void> {
  const o = new Command("bench:serve")
    .description("Many streams on one model: aggregate decode, first tokens, inter-token gaps, chat turns; ours vs llama.cpp")
    .option("--model <id>", "tinyllama, qwen2.5-1.5b, small", "tinyllama")
    .option("--quant <q>", "q8_0, q4_0, q4_K_M, f16", "q4_0")
    .option("--threads <n>", "threads per engine", "2")
    .option("--streams <n>", "simultaneous streams", "8")
    .option("--decode <n>", "tokens per stream", "64")
    .option("--long-prompt <n>", "tokens of the prompt admitted while a stream decodes", "1500")
    .option("--turns <n>", "chat turns", "8")
    .option("--turn-tokens <n>", "tokens generated per chat turn", "48")
    .option("--engines <list>", "ours, llamacpp", "ours,llamacpp")
    .parse(argv)
    .opts<Options>();
  const n = (s: string) => Number.parseInt(s, 10);
  const shape = shapeById(o.model);
  const path = await ensureModel(shape, parseQuant(o.quant), log);
  const opts = { threads: n(o.threads), streams: n(o.streams), decode: n(o.decode), longPrompt: n(o.longPrompt), turns: n(o.turns), turnTokens: n(o.turnTokens) };
  const engines = o.engines.split(",");
  const res: Record<string, Record<string, number>> = {};
  if (engines.includes("ours")) res.ours = await ours(path, opts);
  if (engines.includes("llamacpp")) res.llamacpp = await llamaCpp(path, opts);
  const r = res.ours;
  const lines = [`${shape.label} ${o.quant}, ${opts.threads} threads, ${opts.streams} streams x ${opts.decode} tokens`, JSON.stringify(res, null, 1)];
  if (r) {
    lines.push(`ours: ${opts.streams} streams / 1 stream aggregate decode: ${(r.aggregateDecodeTps! / r.singleDecodeTps!).toFixed(2)}x`);
    lines.push(`ours: last first token of ${opts.streams} simultaneous / one whole request: ${(r.lastFirstTokenMs! / r.singleRequestMs!).toFixed(2)}x`);
    lines.push(`ours: worst gap while admitting ${opts.longPrompt} tokens / median gap: ${(r.worstGapWhileAdmittingMs! / r.medianGapMs!).toFixed(2)}x`);
    lines.push(`ours: turn ${opts.turns} / turn 1 first token: ${(r.lastTurnFirstTokenMs! / r.firstTurnFirstTokenMs!).toFixed(2)}x`);
    if (res.llamacpp) lines.push(`ours / llama.cpp aggregate decode with ${opts.streams} sequences: ${(r.aggregateDecodeTps! / res.llamacpp.aggregateDecodeTps!).toFixed(2)}x`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main(process.argv);
