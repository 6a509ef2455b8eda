/**
 * CPU-sharing benchmark: `npm run bench:share -- [options]`. Two models (two loads of one random-weight
 * GGUF of a real shape, bench:llm's cache) generate greedily at once, each loaded with `--threads`, under
 * the process's CPU budget (`--budget`; default the machine's hardware threads). Prints, per repetition,
 * one model's decode alone, each model's decode while both run, their aggregate, the fairness (slower /
 * faster) and tokens per CPU-second of this process, which a loaded machine does not skew the way it
 * skews wall-clock rates (a process with more runnable threads gets a larger share of a busy machine).
 * @module
 */
import { Command } from "commander";
import { loadModel, setThreadBudget, threadBudget } from "../lib/engine/index.js";
import type { Model } from "../lib/engine/types.js";
import { machineInfo } from "./lib.js";
import { ensureModel } from "./llm/build.js";
import { parseQuant, shapeById } from "./llm/shapes.js";

async function greedy(model: Model, prompt: string, maxTokens: number): Promise<{ tokens: number; decodeTps: number }> {
  let tokens = 0;
  const gen = model.generate(prompt, { maxTokens, temperature: 0, ignoreEos: true });
  for await (const c of gen) tokens += c.tokens.length;
  return { tokens, decodeTps: (await gen.stats).decodeTokensPerSecond };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const round = (x: number) => Math.round(x * 100) / 100;

const program = new Command("bench:share")
  .option("--model <id>", "tinyllama, qwen2.5-1.5b, small", "tinyllama")
  .option("--quant <q>", "weight type", "q4_0")
  .option("--threads <n>", "threads of each model", "2")
  .option("--budget <n>", "the process's CPU budget (default: the machine's hardware threads)")
  .option("--decode <n>", "tokens per stream", "64")
  .option("--reps <n>", "repetitions", "3")
  .option("--json", "one JSON object per repetition")
  .parse();
const o = program.opts<{ model: string; quant: string; threads: string; budget?: string; decode: string; reps: string; json?: boolean }>();
const shape = shapeById(o.model);
const path = await ensureModel(shape, parseQuant(o.quant), (m) => process.stderr.write(`${m}\n`));
if (o.budget !== undefined) setThreadBudget(Number(o.budget));
const threads = Number(o.threads);
const n = Number(o.decode);
const models = [await loadModel(path, { threads, contextSize: 512 }), await loadModel(path, { threads, contextSize: 512 })] as const;
const info = machineInfo();
if (!o.json) console.log(`bench:share ${o.model} ${o.quant}, ${threads} threads per model, budget ${threadBudget()}, commit ${info.commit}, ${info.cpu} (${info.cores} cores)`);
await greedy(models[0], "warm", 8);  // page in the weights
await greedy(models[1], "warm", 8);
for (let rep = 0; rep < Number(o.reps); rep++) {
  let c0 = process.cpuUsage();
  const alone = await greedy(models[0], "Once upon a time", n);
  const aloneCpu = cpuSeconds(process.cpuUsage(c0));
  c0 = process.cpuUsage();
  const t0 = performance.now();
  const [a, b] = await Promise.all([greedy(models[0], "Once upon a time", n), greedy(models[1], "In a land far away", n)]);
  const wall = (performance.now() - t0) / 1000;
  const pairCpu = cpuSeconds(process.cpuUsage(c0));
  const row = {
    rep,
    aloneTps: round(alone.decodeTps),
    aTps: round(a.decodeTps),
    bTps: round(b.decodeTps),
    aggregateTps: round((a.tokens + b.tokens) / wall),
    fairness: round(Math.min(a.decodeTps, b.decodeTps) / Math.max(a.decodeTps, b.decodeTps)),
    aloneTokensPerCpuS: round(alone.tokens / aloneCpu),
    pairTokensPerCpuS: round((a.tokens + b.tokens) / pairCpu),
    pairCoresUsed: round(pairCpu / wall),
  };
  console.log(o.json ? JSON.stringify(row) : Object.entries(row).map(([k, v]) => `${k}=${v}`).join(" "));
}
await Promise.all(models.map((m) => m.close()));
