// A fake engine honouring the Model contract (lib/engine/types.ts) for system, loader and server
// tests: deterministic text, configurable load time / failures / token delay, AbortSignal support,
// real GenerationStats, and counters the tests assert on.
import { mkdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { AbortError, ChatTemplateError, ContextFullError, ImageError, ModelClosedError } from "../../lib/errors.js";
import type { ChatMessage, GenerateOptions, Generation, GenerationStats, LoadOptions, Model, ServingStats, StopReason, TokenChunk } from "../../lib/engine/types.js";

const WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi"];

/** Options of {@link FakeEngine}. */
export interface FakeEngineOptions {
  /** Load time, ms (per path when a function). */
  loadDelayMs?: number | ((path: string) => number);
  /** Delay before each generated token, ms. */
  tokenDelayMs?: number;
  /** Tokens in a full reply (before maxTokens). */
  replyTokens?: number;
  /** Context size reported and enforced. */
  contextSize?: number;
  /** KV pool bytes each loaded model reports (ModelInfo.kvCacheBytes). */
  kvCacheBytes?: number;
  /** What a loaded model holds now (Model.memoryBytes), by path; omitted: models have no memoryBytes. */
  memoryBytes?: (path: string) => number;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError("ABORTED", "aborted"));
    // No timer for 0 ms, so tests with fake timers need not advance them for instant loads.
    if (ms <= 0) return resolve();
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AbortError("ABORTED", "aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function textOf(prompt: string | ChatMessage[]): string {
  if (typeof prompt === "string") return prompt;
  return prompt.map((m) => (typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => (p.type === "text" ? p.text : "")).join(" "))).join("\n");
}

/** The text of a final assistant message to continue; throws as the real engine's template does otherwise. */
function finalAssistantText(prompt: string | ChatMessage[]): string {
  const last = typeof prompt === "string" ? undefined : prompt.at(-1);
  if (last?.role !== "assistant") throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", "continueFinalMessage: the last message is not an assistant one");
  return textOf([last]);
}

/** The reply the fake engine gives for a prompt on a model file (what tests compare against). */
export function fakeReply(path: string, prompt: string | ChatMessage[], tokens: number, seed = 0): string[] {
  let h = hash(`${basename(path)}|${textOf(prompt)}|${seed}`);
  const out: string[] = [];
  for (let i = 0; i < tokens; i++) {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    out.push(WORDS[h % WORDS.length]!);
  }
  return out;
}

/** A fake engine: pass `engine.loadModel` to createSystem / LazyLoader. */
export class FakeEngine {
  /** Paths of every load attempt, in order. */
  readonly loadCalls: string[] = [];
  /** Loads cancelled through their AbortSignal. */
  cancelledLoads = 0;
  /** Models currently open. */
  openModels = new Set<string>();
  /** Generations running now, and generations ended by an abort. */
  activeGenerations = 0;
  abortedGenerations = 0;
  /** Paths (substring match) whose next loads fail. */
  readonly failing = new Set<string>();
  options: Required<Omit<FakeEngineOptions, "memoryBytes">> & Pick<FakeEngineOptions, "memoryBytes">;

  constructor(options: FakeEngineOptions = {}) {
    this.options = { loadDelayMs: 0, tokenDelayMs: 0, replyTokens: 8, contextSize: 512, kvCacheBytes: 0, ...options };
  }

  readonly loadModel = async (path: string, options: LoadOptions): Promise<Model> => {
    this.loadCalls.push(path);
    const delay = typeof this.options.loadDelayMs === "function" ? this.options.loadDelayMs(path) : this.options.loadDelayMs;
    try {
      await sleep(delay, options.signal);
    } catch (err) {
      this.cancelledLoads++;
      throw err;
    }
    if ([...this.failing].some((f) => path.includes(f))) throw new Error(`cannot map ${basename(path)}: bad file`);
    return new FakeModel(this, path, options);
  };
}

class FakeModel implements Model {
  readonly info: Model["info"];
  closed = false;
  active = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly engine: FakeEngine,
    private readonly path: string,
    options: LoadOptions,
  ) {
    const contextSize = Math.min(options.contextSize ?? engine.options.contextSize, engine.options.contextSize);
    this.info = {
      architecture: "fake",
      name: basename(path),
      parameters: 1000,
      fileSize: statSync(path).size,
      packedBytes: 0,
      contextSize,
      trainContextSize: engine.options.contextSize,
      vocabSize: WORDS.length,
      embeddingSize: 8,
      layers: 1,
      parallel: options.parallel ?? 1,
      kvCacheType: "f16",
      kvCacheBytes: engine.options.kvCacheBytes,
      chatTemplate: options.chatTemplate ?? null,
    };
    this.vision = options.mmproj
      ? { projector: "gemma3", imageSize: 56, patchSize: 14, embeddingSize: 8, layers: 1, heads: 1, projectionDim: 8, tokensPerImage: 4, weightBytes: 0, activationBytes: 0 }
      : null;
    const held = engine.options.memoryBytes;
    if (held) this.memoryBytes = () => Promise.resolve(held(path));
    engine.openModels.add(path);
  }

  memoryBytes?: () => Promise<number>;

  readonly vision: Model["vision"];

  preprocessImage(): Promise<never> {
    return Promise.reject(new ImageError("NO_VISION", `fake model '${this.info.name}' has no vision projector`));
  }

  encodeImage(): Promise<never> {
    return this.preprocessImage();
  }

  tokenize(text: string): number[] {
    return text.split(/\s+/).filter(Boolean).map((w) => hash(w) % WORDS.length);
  }

  /** One-hot-ish bag of token ids folded into `embeddingSize` values, normalised. */
  async embed(inputs: readonly (string | readonly number[])[]): Promise<Float32Array[]> {
    if (this.closed) throw new ModelClosedError("MODEL_CLOSED", "model is closed");
    return inputs.map((input) => {
      const v = new Float32Array(this.info.embeddingSize);
      for (const t of typeof input === "string" ? this.tokenize(input) : input) v[t % v.length]! += 1;
      const norm = Math.hypot(...v) || 1;
      return v.map((x) => x / norm);
    });
  }

  detokenize(tokens: number[]): string {
    return tokens.map((t) => WORDS[t] ?? "?").join(" ");
  }

  generate(prompt: string | ChatMessage[], options: GenerateOptions = {}): Generation {
    if (this.closed) throw new ModelClosedError("MODEL_CLOSED", "model is closed");
    const engine = this.engine;
    const promptTokens = this.tokenize(textOf(prompt)).length;
    // As the real engine: the prompt is tokenised once, at the call, and must fit the context.
    if (promptTokens > this.info.contextSize) throw new ContextFullError("CONTEXT_FULL", `${promptTokens} tokens exceed the context size ${this.info.contextSize}`);
    const limit = options.maxTokens ?? 256;
    // Continuing a final assistant message: the reply to the conversation before it, from where that text stops.
    const open = options.continueFinalMessage ? finalAssistantText(prompt) : null;
    const skip = open === null ? 0 : open.split(/\s+/).filter(Boolean).length;
    const words = fakeReply(this.path, open === null ? prompt : prompt.slice(0, -1), Math.min(skip + limit, engine.options.replyTokens), options.seed).slice(skip);
    const lead = open === null || open === "" || /\s$/.test(open) ? "" : " ";
    const contextSize = this.info.contextSize;
    let resolveStats!: (s: GenerationStats) => void;
    let rejectStats!: (err: unknown) => void;
    const stats = new Promise<GenerationStats>((res, rej) => ((resolveStats = res), (rejectStats = rej)));
    stats.catch(() => undefined);
    const started = performance.now();
    const finish = (generated: number, stopReason: StopReason): void =>
      resolveStats({
        promptTokens,
        cachedPromptTokens: 0,
        generatedTokens: generated,
        prefillTokensPerSecond: promptTokens * 1000,
        decodeTokensPerSecond: generated / Math.max(1e-3, (performance.now() - started) / 1000),
        stopReason,
      });
    const self = this;
    const run = async function* (): AsyncGenerator<TokenChunk> {
      engine.activeGenerations++;
      self.active++;
      let generated = 0;
      let text = "";
      // As the real engine: an abort through the signal or an error rejects stats; a consumer leaving
      // early resolves them with "aborted"; whatever ends the generation settles them.
      let stopReason: StopReason = "aborted";
      let failure: unknown;
      try {
        for (const w of words) {
          await sleep(engine.options.tokenDelayMs, options.signal);
          const piece = generated === 0 ? lead + w : ` ${w}`;
          if (options.stop?.some((s) => (text + piece).includes(s))) {
            stopReason = "stop";
            return;
          }
          text += piece;
          generated++;
          yield { text: piece, tokens: [hash(w) % WORDS.length] };
        }
        stopReason = skip + words.length < engine.options.replyTokens ? "maxTokens" : "eos";
      } catch (err) {
        if (err instanceof AbortError) engine.abortedGenerations++;
        failure = err;
        throw err;
      } finally {
        engine.activeGenerations--;
        self.active--;
        if (failure === undefined) finish(generated, stopReason);
        else rejectStats(failure);
      }
    };
    const inFlight = this.inFlight;
    return {
      stats,
      [Symbol.asyncIterator]() {
        const it = run();
        const done = stats.then(
          () => undefined,
          () => undefined,
        );
        inFlight.add(done);
        void done.then(() => inFlight.delete(done));
        return it;
      },
    };
  }

  async logits(): Promise<Float32Array> {
    return new Float32Array(WORDS.length);
  }

  /** Scheduler figures as the real engine reports them: each running generation holds its prompt's positions. */
  servingStats(): ServingStats {
    const parallel = this.info.parallel;
    return {
      parallel,
      active: this.active,
      queued: 0,
      lastBatchTokens: this.active,
      lastBatchSequences: this.active,
      steps: 0,
      kvCacheBytes: this.info.kvCacheBytes,
      kvUsedTokens: this.active,
      kvCachedTokens: 0,
      kvCapacityTokens: parallel * this.info.contextSize,
      kvBlocksUsed: this.active,
      kvBlocksCached: 0,
      kvBlocksTotal: parallel * this.info.contextSize,
      cachedPromptTokens: 0,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.inFlight);
    this.closed = true;
    this.engine.openModels.delete(this.path);
  }
}

/** The five domains of the router with one expert each, as in examples/production.json. */
export const FIVE_EXPERTS = [
  { name: "phi4_fast", domain: "general", priority: 1 },
  { name: "mistral_balanced", domain: "technical", priority: 2 },
  { name: "qwen_coder", domain: "coding", priority: 2 },
  { name: "gemma3_multimodal", domain: "multimodal_expert", priority: 3 },
  { name: "aya_multilingual", domain: "multilingual_expert", priority: 3 },
] as const;

/** A five-expert configuration whose model files (1 MiB, sparse) are created in `dir`. */
export function fiveExpertConfig(dir: string, overrides: { lazy_loading?: object; server?: object; parallel?: number } = {}) {
  mkdirSync(dir, { recursive: true });
  return {
    experts: FIVE_EXPERTS.map((e) => {
      const model_path = join(dir, `${e.name}.gguf`);
      writeFileSync(model_path, "");
      truncateSync(model_path, 1024 * 1024);
      // The multimodal expert has a (fake, empty) vision projector, so image requests reach it.
      const mmproj_path = e.domain === "multimodal_expert" ? join(dir, `${e.name}.mmproj.gguf`) : null;
      if (mmproj_path) writeFileSync(mmproj_path, "");
      return { ...e, model_path, mmproj_path, parallel: overrides.parallel ?? 1, description: `${e.domain} expert` };
    }),
    lazy_loading: { max_loaded_experts: 5, ...overrides.lazy_loading },
    server: { ...overrides.server },
  };
}
