/**
 * Our side of the benchmark, through the public engine contract (`loadModel` → {@link Model}) of the
 * compiled package (`dist/`, what users run). The module is imported by a location given at run
 * time, so the benchmark still runs (our column marked unavailable) where it has not been built.
 * @module
 */
import type { LoadOptions, Model } from "../../lib/engine/types.js";
import { DECODE_PROMPT_TOKENS, WARMUP_TOKENS, peakRssBytes, promptTokens, type ChildJob, type ChildResult } from "./protocol.js";
import { kernelVariants, type TensorLike, type TypeVariant } from "./variants.js";

/** What the benchmark needs of `lib/engine/index.ts`. */
interface EngineModule {
  loadModel(path: string, options?: LoadOptions): Promise<Model>;
}

/** What the variants need of the compiled `lib/kernels.ts` and `lib/gguf/index.ts` beside the engine. */
interface KernelsModule {
  kernelVariant(type: string): TypeVariant;
}
interface GgufModule {
  inspectGguf(path: string): Promise<{ tensors: TensorLike[] }>;
}

/** The kernel variant per weight type of the model just loaded in this process (see variants.ts). */
async function ourVariants(job: ChildJob, model: Model): Promise<Record<string, string>> {
  const kernels = (await import(new URL("../kernels.js", job.engineUrl).href)) as KernelsModule;
  const gguf = (await import(new URL("../gguf/index.js", job.engineUrl).href)) as GgufModule;
  const { tensors } = await gguf.inspectGguf(job.modelPath);
  const variant = (type: string): TypeVariant => {
    try {
      return kernels.kernelVariant(type);
    } catch {
      return { gemm: "unknown", packed: null, packRows: 0 };  // a type the kernels API does not name
    }
  };
  return kernelVariants(tensors, variant, model.info.packedBytes > 0);
}

/** Why our column is empty when the engine cannot be loaded. */
export const OURS_UNAVAILABLE = "n/a (engine not built: npm run build:ts)";

/** The engine module at `url` (a file URL), or null when it is absent or has no `loadModel`. */
export async function loadEngine(url: string): Promise<EngineModule | null> {
  try {
    const mod = (await import(url)) as Partial<EngineModule>;
    return typeof mod.loadModel === "function" ? (mod as EngineModule) : null;
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return null;
    throw err;
  }
}

/**
 * Runs a job on our engine. Prefill is `logits(prompt)` on a fresh sequence; decode is a greedy
 * `generate` of `decode + 1` tokens, counting the `decode` forward passes after the prompt's, as the
 * llama.cpp side does. Tokens reach JS in batches, so decode time comes from the runner's own clock
 * (GenerationStats) rather than from chunk arrival.
 */
export async function runOurs(job: ChildJob): Promise<ChildResult> {
  const engine = await loadEngine(job.engineUrl);
  if (!engine) throw new Error(OURS_UNAVAILABLE);
  const t0 = performance.now();
  const model = await engine.loadModel(job.modelPath, { threads: job.threads, contextSize: job.contextSize });
  const loadSeconds = (performance.now() - t0) / 1000;
  const kernels = await ourVariants(job, model);

  await model.logits(promptTokens(WARMUP_TOKENS, 1));
  const prefillTps: Record<string, number> = {};
  for (const n of job.prefill) {
    const start = performance.now();
    await model.logits(promptTokens(n, 1000 + n));
    prefillTps[n] = n / ((performance.now() - start) / 1000);
  }

  const text = model.detokenize(promptTokens(DECODE_PROMPT_TOKENS, 2));
  const generation = model.generate(text, { maxTokens: job.decode + 1, temperature: 0, ignoreEos: true });
  for await (const chunk of generation) void chunk;
  // The runner times decode natively, from the end of prefill: n generated tokens take n - 1
  // forward passes (the first token is sampled from the prompt's logits, the last is not fed back).
  const stats = await generation.stats;
  const decodeTps = (stats.decodeTokensPerSecond * (stats.generatedTokens - 1)) / stats.generatedTokens;
  await model.close();
  return { engine: "ours", prefillTps, decodeTps, peakRssBytes: await peakRssBytes(), loadSeconds, version: "capibara", kernels };
}
