/**
 * Side-by-side LLM benchmark against llama.cpp: `npm run bench:llm -- [options]` (see `--help`).
 * Builds random-weight GGUF files of real shapes (cached under `.cache/bench/`), then measures
 * prefill and decode tokens/s and peak RSS of our runner and of llama.cpp (node-llama-cpp) on the
 * same file and thread count, one child process per run, alternating engines.
 * @module
 */
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command } from "commander";
import { InvalidArgumentError } from "../lib/errors.js";
import { ensureModel } from "./llm/build.js";
import { prepareLlamaCppCpu } from "./llm/ggml_cpu.js";
import { measureBandwidth, runInfo } from "./llm/machine.js";
import { OURS_UNAVAILABLE, loadEngine } from "./llm/ours.js";
import { DECODE_PROMPT_TOKENS, ENGINES, type ChildJob, type EngineName } from "./llm/protocol.js";
import { buildRows, jsonLines, machineLines, markdownTable, rooflineLines, scalingTable, svgChart, type Sample } from "./llm/report.js";
import { runChild } from "./llm/run.js";
import { variantsCell } from "./llm/variants.js";
import { BENCH_QUANTS, DEFAULT_QUANTS, decodeBytesPerToken, kvCacheBytes, parseQuant, shapeById, type BenchQuant } from "./llm/shapes.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Options {
  models: string;
  quants?: string;
  threads: string;
  reps: string;
  prefill: string;
  decode: string;
  engines: string;
  quick?: boolean;
  json?: boolean;
  chart: string | false;
  buildOnly?: boolean;
  llamacppCpu?: string;
}

function positiveInts(list: string, what: string): number[] {
  const xs = list.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError("INVALID_ARGUMENT", `${what}: expected positive integers, got '${list}'`);
  return xs;
}

function threadList(spec: string): number[] {
  if (spec === "all") return Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  return positiveInts(spec, "--threads");
}

async function main(argv: string[]): Promise<void> {
  const program = new Command("bench:llm")
    .description("Prefill/decode tokens/s and peak RSS of our runner vs llama.cpp on random-weight GGUF files of real shapes")
    .option("--models <list>", "tinyllama, qwen2.5-1.5b, small", "tinyllama,qwen2.5-1.5b,small")
    .option("--quants <list>", `${BENCH_QUANTS.join(", ")} (default: each model's set)`)
    .option("--threads <list>", "thread counts, or 'all' for 1..nproc", "1,2")
    .option("--reps <n>", "runs per engine and configuration (median reported)", "2")
    .option("--prefill <list>", "prompt lengths whose prefill is timed", "128,512")
    .option("--decode <n>", "tokens generated for the decode figure", "128")
    .option("--engines <list>", "ours, llamacpp", "ours,llamacpp")
    .option("--quick", "smoke run: small model, Q8_0 and Q4_0, 1 thread, one short run")
    .option("--json", "print one JSON object per result line instead of markdown")
    .option("--chart <path>", "SVG chart output", join(root, "bench/results/llm.svg"))
    .option("--no-chart", "do not write the chart")
    .option("--build-only", "only build the model files")
    .option("--llamacpp-cpu <variant>", "run llama.cpp on one ggml CPU backend variant, e.g. haswell (AVX2 + FMA + F16C) to emulate an AVX2-only machine (default: the best for this CPU)");
  const o = program.parse(argv).opts<Options>();
  if (o.quick) Object.assign(o, { models: "small", quants: o.quants ?? "q8_0,q4_0", threads: "1", reps: "1", prefill: "128", decode: "32" });

  const shapes = o.models.split(",").map((m) => shapeById(m.trim()));
  const threads = threadList(o.threads);
  const reps = positiveInts(o.reps, "--reps")[0]!;
  const prefill = positiveInts(o.prefill, "--prefill");
  const decode = positiveInts(o.decode, "--decode")[0]!;
  const engines = o.engines.split(",").map((e) => e.trim()) as EngineName[];
  const unknown = engines.filter((e) => !ENGINES.includes(e));
  if (unknown.length) throw new InvalidArgumentError("INVALID_ARGUMENT", `--engines: unknown '${unknown.join(", ")}' (known: ${ENGINES.join(", ")})`);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  const llamaCppUrl = o.llamacppCpu && engines.includes("llamacpp") ? prepareLlamaCppCpu(root, o.llamacppCpu) : undefined;

  const configs: { shape: ReturnType<typeof shapeById>; quant: BenchQuant; path: string }[] = [];
  for (const shape of shapes) {
    const quants = o.quants ? o.quants.split(",").map((q) => parseQuant(q.trim())) : DEFAULT_QUANTS[shape.id]!;
    for (const quant of quants) configs.push({ shape, quant, path: await ensureModel(shape, quant, log) });
  }
  if (o.buildOnly) return;

  log(`measuring memory bandwidth at ${threads.join(", ")} thread(s) ...`);
  const bandwidth = measureBandwidth(threads);
  const engineUrl = pathToFileURL(join(root, "dist/engine/index.js")).href;
  const oursReady = engines.includes("ours") && (await loadEngine(engineUrl)) !== null;
  const contextSize = Math.ceil(Math.max(...prefill, DECODE_PROMPT_TOKENS + decode + 1) / 256) * 256;
  const samples: Sample[] = [];
  let llamaCppVersion = "not run";
  for (const { shape, quant, path } of configs) {
    for (const t of threads) {
      for (let rep = 0; rep < reps; rep++) {
        for (const engine of engines) {
          const base = { model: shape.id, quant, threads: t, engine };
          if (engine === "ours" && !oursReady) {
            samples.push({ ...base, result: { error: OURS_UNAVAILABLE } });
            continue;
          }
          log(`${shape.id} ${quant} ${t}T run ${rep + 1}/${reps}: ${engine} ...`);
          const job: ChildJob = { engine, modelPath: path, threads: t, prefill, decode, contextSize, engineUrl, llamaCppUrl };
          try {
            const result = await runChild(job);
            if (engine === "llamacpp") llamaCppVersion = result.version;
            samples.push({ ...base, result });
            // Each run's figures as they come, so an interrupted long run keeps what it measured.
            const prefills = Object.entries(result.prefillTps).map(([n, tps]) => `prefill-${n} ${tps.toFixed(1)}`);
            log(`  ${[...prefills, `decode ${result.decodeTps.toFixed(1)} t/s`].join(", ")}${result.kernels ? ` (${variantsCell(result.kernels)})` : ""}`);
          } catch (err) {
            log(String(err));
            samples.push({ ...base, result: { error: `failed: ${(err as Error).message.slice(0, 200)}` } });
          }
        }
      }
    }
  }

  const best = Math.max(...Object.values(bandwidth));
  const bytesPerToken = Object.fromEntries(configs.map((c) => [`${c.shape.id}/${c.quant}`, decodeBytesPerToken(c.shape, c.quant)]));
  // The issue's memory target: no second resident copy of the weights.
  const rssBudgetBytes = Object.fromEntries(
    configs.map((c) => [`${c.shape.id}/${c.quant}`, statSync(c.path).size + kvCacheBytes(c.shape, contextSize) + 150 * 2 ** 20]),
  );
  const roofline = { bytesPerToken, bandwidth: best, rssBudgetBytes };
  const rows = buildRows(samples, decode, roofline);
  const info = runInfo(bandwidth, llamaCppVersion);
  if (o.json) {
    process.stdout.write(`${jsonLines(rows, info)}\n`);
  } else {
    const out = [
      "## LLM benchmark: ours vs llama.cpp",
      "",
      ...machineLines(info),
      `- Runs: ${reps} per engine and configuration (median); prompts ${prefill.join(", ")} tokens; decode ${decode} tokens, greedy`,
      "",
      markdownTable(rows),
      "",
      `Decode roofline at ${(best / 1e9).toFixed(1)} GB/s (best measured read bandwidth):`,
      ...rooflineLines(roofline),
    ];
    if (threads.length > 1) out.push("", "### Thread scaling (tokens/s)", "", scalingTable(rows));
    process.stdout.write(`${out.join("\n")}\n`);
  }
  if (o.chart) {
    mkdirSync(dirname(o.chart), { recursive: true });
    writeFileSync(o.chart, svgChart(rows, `ours vs llama.cpp — ${info.cpu}, commit ${info.commit}`));
    log(`chart written to ${o.chart}`);
  }
}

// Run only as a script: `vitest bench` globs *.bench.ts and must not start a benchmark by importing it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv).catch((err: unknown) => {
    process.stderr.write(`bench:llm: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
