/**
 * llama.cpp side of the benchmark, through node-llama-cpp's lowest-overhead calls: prefill is
 * `evaluateWithoutGeneratingNewTokens` (no sampling), decode iterates `evaluate` with temperature 0
 * (greedy: argmax, no sampler chain).
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Token } from "node-llama-cpp";
import { loadedCpuVariant } from "./ggml_cpu.js";
import { DECODE_PROMPT_TOKENS, WARMUP_TOKENS, peakRssBytes, promptTokens, type ChildJob, type ChildResult } from "./protocol.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

/** node-llama-cpp's own version (its package.json is not in its exports map, so read by path). */
function nodeLlamaCppVersion(entry: string): string {
  return (JSON.parse(readFileSync(join(dirname(entry), "../package.json"), "utf8")) as { version: string }).version;
}

const tokens = (n: number, seed: number) => promptTokens(n, seed) as Token[];

/** Runs a job on llama.cpp (CPU only, prebuilt binaries, memory-mapped weights). */
export async function runLlamaCpp(job: ChildJob): Promise<ChildResult> {
  // The installed package, or a copy of it holding one CPU variant (ggml_cpu.ts).
  const entry = job.llamaCppUrl ? fileURLToPath(job.llamaCppUrl) : createRequire(import.meta.url).resolve("node-llama-cpp");
  const { getLlama, LlamaLogLevel } = (await import(job.llamaCppUrl ?? "node-llama-cpp")) as NodeLlamaCpp;
  // maxThreads 0: the context's thread count is used as given, not capped by a process-wide pool.
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 0, logLevel: LlamaLogLevel.error });
  const cpuVariant = loadedCpuVariant() ?? "unknown";
  const version = `node-llama-cpp ${nodeLlamaCppVersion(entry)} (llama.cpp release ${llama.llamaCppRelease.release}, CPU backend ggml-cpu-${cpuVariant})`;
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: job.modelPath, useMmap: true, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: job.contextSize,
    threads: { ideal: job.threads, min: job.threads },
    batchSize: Math.max(...job.prefill, WARMUP_TOKENS),
    sequences: 1,
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  const seq = context.getSequence();

  await seq.evaluateWithoutGeneratingNewTokens(tokens(WARMUP_TOKENS, 1));
  const prefillTps: Record<string, number> = {};
  for (const n of job.prefill) {
    await seq.clearHistory();
    const start = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(tokens(n, 1000 + n));
    prefillTps[n] = n / ((performance.now() - start) / 1000);
  }

  await seq.clearHistory();
  const gen = seq.evaluate(tokens(DECODE_PROMPT_TOKENS, 2), { temperature: 0, yieldEogToken: true });
  await gen.next(); // the first token comes out of the prompt's prefill: not timed
  const start = performance.now();
  let generated = 0;
  while (generated < job.decode && !(await gen.next()).done) generated++;
  const decodeTps = generated / ((performance.now() - start) / 1000);
  await gen.return();

  await context.dispose();
  await model.dispose();
  return { engine: "llamacpp", prefillTps, decodeTps, peakRssBytes: await peakRssBytes(), loadSeconds, version, cpuVariant };
}
