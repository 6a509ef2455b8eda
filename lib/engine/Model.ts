/**
 * The native-backed {@link Model}: weights memory-mapped by the addon; every generate() is a
 * sequence submitted to the model's native scheduler, which batches up to `parallel` of them per
 * step over one KV pool (later ones wait in its FIFO queue).
 * @module
 */
import { availableParallelism } from "node:os";
import { ChatTemplate } from "../chat/index.js";
import { AbortError, ContextFullError, ImageError, InvalidArgumentError, ModelClosedError } from "../errors.js";
import {
  native,
  type NativeCompiledGrammarHandle,
  type NativeGenerateEvent,
  type NativeGenerateParams,
  type NativeModelHandle,
  type NativeModelInfo,
  type NativePromptImage,
  type NativeSchedulerHandle,
  type NativeSessionHandle,
  type NativeStreamHandle,
} from "../native.js";
import { Tokenizer } from "../tokenizer/index.js";
import { GrammarCache, checkGbnf } from "../grammar/compiled.js";
import { jsonSchemaToGbnf } from "../grammar/json-schema.js";
import { GenerationImpl, type GenerationDriver } from "./generation.js";
import { planTools, type ToolPlan } from "../chat/tools.js";
import { ToolCallGeneration } from "./tools.js";
import type { ChatMessage, EmbedOptions, GenerateOptions, Generation, LoadOptions, Model, ModelInfo, ServingStats } from "./types.js";
import { imageBytesOf, imageKey, layoutPrompt, MEDIA_MARKER, VisionProjector, type ImageInput, type ImageTensor, type VisionInfo } from "./vision.js";

/** Context size used when neither the caller nor a smaller file limit says otherwise. */
export const DEFAULT_CONTEXT_SIZE = 4096;

/** Architectures the runner supports (GGUF `general.architecture` strings). */
export type ArchName = "llama" | "qwen2" | "phi3" | "gemma3" | "command-r" | "cohere2";

/** The architectures the native runner supports, as it reports them. */
export function supportedArchitectures(): string[] {
  return native().engine.architectures();
}

/**
 * Sets the process's CPU budget: at most `threads` threads compute at once over every model of the
 * process (generation, embeddings, image encoding), so several experts generating at once share the
 * cores instead of each running a full set of threads; a model's `threads` is the most of the
 * budget it uses. Until set, the budget is the machine's hardware threads, raised to the largest
 * `threads` a model was loaded with. Applies at once, to loaded models too.
 * @throws InvalidArgumentError unless `threads` is an integer in [1, 256].
 */
export function setThreadBudget(threads: number): void {
  checkInt("threads", threads, 1, 256);
  native().engine.setThreadBudget(threads);
}

/** The process's CPU budget in threads (see {@link setThreadBudget}). */
export function threadBudget(): number {
  return native().engine.threadBudget();
}

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError("INVALID_ARGUMENT", `${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
}

function checkNum(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    throw new InvalidArgumentError("INVALID_ARGUMENT", `${name} must be a number in [${min}, ${max}], got ${String(v)}`);
}

/** KV cache element types the runner can keep. */
export type KvCacheType = "f16" | "q8_0";
const KV_CACHE_TYPES: readonly string[] = ["f16", "q8_0"] satisfies KvCacheType[];

/** Most sequences one model may generate at once. */
export const MAX_PARALLEL = 64;

/**
 * Loads a GGUF model. Mapping and validation run off the event loop.
 * @throws UnsupportedArchError, GgufFormatError (missing tensor, bad shape...), UnsupportedQuantError,
 *   IoError, InvalidArgumentError (naming the bad option), AbortError when `signal` fired.
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("INVALID_ARGUMENT", "loadModel: path must be a non-empty string");
  const threads = options.threads ?? Math.max(1, Math.min(8, availableParallelism()));
  checkInt("threads", threads, 1, 256);
  if (options.contextSize !== undefined) checkInt("contextSize", options.contextSize, 1, 1 << 24);
  const parallel = options.parallel ?? 1;
  checkInt("parallel", parallel, 1, MAX_PARALLEL);
  const kvCacheType = options.kvCacheType ?? "f16";
  if (!KV_CACHE_TYPES.includes(kvCacheType))
    throw new InvalidArgumentError("INVALID_ARGUMENT", `kvCacheType must be one of ${KV_CACHE_TYPES.join(", ")}, got ${String(kvCacheType)}`);
  if (options.tokenBudget !== undefined) checkInt("tokenBudget", options.tokenBudget, 1, 8192);
  const cache = options.promptCache ?? true;
  if (typeof cache !== "boolean" && (typeof cache !== "object" || cache === null))
    throw new InvalidArgumentError("INVALID_ARGUMENT", "promptCache must be a boolean or { maxTokens }");
  if (typeof cache === "object" && cache.maxTokens !== undefined) checkInt("promptCache.maxTokens", cache.maxTokens, 0, 1 << 30);
  if (options.kvCacheTokens !== undefined) checkInt("kvCacheTokens", options.kvCacheTokens, 1, 1 << 30);
  const aborted = () => new AbortError("ABORTED", `loading ${path} was aborted`);
  if (options.signal?.aborted) throw aborted();
  const e = native().engine;
  if (options.repack !== undefined && typeof options.repack !== "boolean") throw new InvalidArgumentError("INVALID_ARGUMENT", "loadModel: repack must be a boolean");
  if (options.mmproj !== undefined && (typeof options.mmproj !== "string" || options.mmproj.length === 0))
    throw new InvalidArgumentError("INVALID_ARGUMENT", "loadModel: mmproj must be a non-empty path");
  const handle = await e.loadModel(path, { repack: options.repack ?? true });
  let vision: VisionProjector | null = null;
  let scheduler: NativeSchedulerHandle | undefined;
  try {
    if (options.mmproj !== undefined) {
      vision = await VisionProjector.load(options.mmproj);
      const width = e.modelInfo(handle).embeddingSize;
      if (vision.info.projectionDim !== width)
        throw new InvalidArgumentError(
          "INVALID_ARGUMENT",
          `vision projector ${options.mmproj} projects to ${vision.info.projectionDim} values, but the text model's embedding size is ${width}`,
        );
    }
    if (options.signal?.aborted) throw aborted();
    const tokenizer = Tokenizer.fromNative(e.modelTokenizer(handle));
    const info = e.modelInfo(handle);
    const contextSize = options.contextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, info.trainContextSize);
    if (contextSize > info.trainContextSize)
      process.emitWarning(`contextSize ${contextSize} exceeds the ${info.trainContextSize} positions ${path} was trained for; output may degrade past them`, {
        code: "CAPIBARA_CONTEXT_ABOVE_TRAINING",
      });
    const fileTemplate = tokenizer.chatTemplate;
    let template: ChatTemplate | null = null;
    try {
      template = ChatTemplate.resolve({
        override: options.chatTemplate,
        fileTemplate: fileTemplate ?? undefined,
        arch: info.architecture,
        bosToken: tokenizer.bos === null ? undefined : tokenizer.tokenText(tokenizer.bos),
        eosToken: tokenizer.eos === null ? undefined : tokenizer.tokenText(tokenizer.eos),
      });
    } catch (err) {
      if (options.chatTemplate !== undefined) throw err;  // a broken override is the caller's error
    }
    const extraTokens = typeof cache === "object" ? (cache.maxTokens ?? 0) : 0;
    scheduler = e.createScheduler(handle, {
      parallel,
      contextSize,
      threads,
      kvCacheType,
      ...(options.tokenBudget !== undefined ? { tokenBudget: options.tokenBudget } : {}),
      promptCache: cache !== false,
      cacheSequences: cache === false ? 0 : Math.ceil(extraTokens / contextSize),
      ...(options.kvCacheTokens !== undefined ? { kvTokens: options.kvCacheTokens } : {}),
      // One image's tokens attend to each other both ways, so each is evaluated whole in one step.
      maxImage: vision?.info.tokensPerImage ?? 0,
    });
    return new NativeModel(handle, scheduler, { threads, contextSize, parallel, kvCacheType }, info, tokenizer, template, vision);
  } catch (err) {
    if (scheduler) await e.closeScheduler(scheduler);
    vision?.close();
    e.closeModel(handle);
    throw err;
  }
}

/** One debug tap: an intermediate tensor of the forward pass, for the last token. */
export interface LayerTap {
  /** llama.cpp's name for it: `attn_norm`, `Qcur`, `kqv_out`, `attn_out`, `ffn_out`, `l_out`, `result_output`... */
  name: string;
  /** Layer index, or -1 outside the layers (`inp_embd`, `result_norm`, `result_output`). */
  layer: number;
  /** The last token's row (`Qcur`/`Kcur`/`Vcur` rows are q|k|v for fused QKV, else q, k, v alone). */
  data: Float32Array;
}

/**
 * Evaluates `tokens` from an empty context and returns every intermediate tensor in forward order,
 * named like llama.cpp's graph callbacks (`cb(cur, "attn_norm", il)`), to find the first layer where
 * two implementations diverge. Only for models from {@link loadModel}.
 * @throws InvalidArgumentError for other Model implementations or bad tokens; ModelClosedError.
 */
export function traceLayers(model: Model, tokens: number[]): Promise<LayerTap[]> {
  if (!(model instanceof NativeModel)) return Promise.reject(new InvalidArgumentError("INVALID_ARGUMENT", "traceLayers needs a model from loadModel"));
  return model.trace(tokens);
}

interface Shape {
  threads: number;
  contextSize: number;
  parallel: number;
  kvCacheType: KvCacheType;
}

class NativeModel implements Model {
  readonly info: ModelInfo;
  #closed = false;
  #session: NativeSessionHandle | undefined;  // created on first logits()/trace()
  #sessionQueue: Promise<unknown> = Promise.resolve();  // one evaluation at a time on that session
  #stopTokens: Int32Array;
  #jobs = new Set<NativeJob>();
  readonly #grammars: GrammarCache;

  constructor(
    private readonly handle: NativeModelHandle,
    private readonly scheduler: NativeSchedulerHandle,
    private readonly shape: Shape,
    native: NativeModelInfo,
    private readonly tokenizer: Tokenizer,
    private readonly template: ChatTemplate | null,
    private readonly projector: VisionProjector | null,
  ) {
    this.info = {
      architecture: native.architecture,
      name: native.name,
      parameters: native.parameters,
      fileSize: native.fileSize,
      packedBytes: native.packedBytes,
      contextSize: shape.contextSize,
      trainContextSize: native.trainContextSize,
      vocabSize: native.vocabSize,
      embeddingSize: native.embeddingSize,
      layers: native.layers,
      parallel: shape.parallel,
      kvCacheType: shape.kvCacheType,
      kvCacheBytes: nativeEngine().schedulerStats(scheduler).kvBytes,
      chatTemplate: template?.source ?? null,
    };
    this.#stopTokens = Int32Array.from(tokenizer.endOfGenerationTokens);
    this.#grammars = new GrammarCache(tokenizer);
  }

  get vision(): VisionInfo | null {
    return this.projector?.info ?? null;
  }

  #requireVision(): VisionProjector {
    this.#check();
    if (!this.projector)
      throw new ImageError("NO_VISION", `model '${this.info.name || this.info.architecture}' has no vision projector (load it with { mmproj })`);
    return this.projector;
  }

  preprocessImage(bytes: Uint8Array): Promise<ImageTensor> {
    try {
      return this.#requireVision().preprocess(bytes);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  encodeImage(input: ImageInput): Promise<Float32Array> {
    try {
      return this.#requireVision().encode(input, this.shape.threads);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Prompt of chat messages with images: every position (an image's are placeholders) and the
   * images to encode, each one bidirectional span whose positions count as prompt tokens.
   */
  #imagePrompt(messages: ChatMessage[], images: Uint8Array[], tools: ToolPlan | undefined, continueFinalMessage: boolean): { tokens: number[]; encode: () => Promise<NativePromptImage[]> } {
    const v = this.#requireVision();
    if (!this.template)
      throw new InvalidArgumentError("INVALID_ARGUMENT", `model '${this.info.name}' has no chat template; images need chat messages`);
    const text = this.template.render(tools?.messages ?? messages, { imageMarker: MEDIA_MARKER, continueFinalMessage, ...(tools ? { variables: tools.variables } : {}) });
    const chunks = layoutPrompt(text, images.length, v.delimiters, (t) => this.tokenize(t, { addSpecial: false, parseSpecial: true }));
    const n = v.info.tokensPerImage;
    const tokens: number[] = [];
    const spans: { pos: number; image: number }[] = [];
    for (const c of chunks) {
      if ("image" in c) {
        spans.push({ pos: tokens.length, image: c.image });
        for (let i = 0; i < n; i++) tokens.push(0);
      } else {
        tokens.push(...c.tokens);
      }
    }
    if (tokens.length > this.info.contextSize)
      throw new ContextFullError(
        "CONTEXT_FULL",
        `too many images for the context: ${images.length} images of ${n} positions and the text need ${tokens.length} positions, the context holds ${this.info.contextSize}`,
      );
    const encode = async () => {
      const out: NativePromptImage[] = [];
      for (const s of spans) {
        const bytes = images[s.image]!;
        const key = imageKey(bytes);
        out.push({ pos: s.pos, embd: await v.encodeRecent(bytes, key, this.shape.threads), key });
      }
      return out;
    };
    return { tokens, encode };
  }

  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new ModelClosedError("MODEL_CLOSED", `model '${this.info.name || this.info.architecture}' is closed`);
  }

  /** Runs `job` on the evaluation session after every earlier evaluation has finished. */
  #onSession<T>(job: (session: NativeSessionHandle) => Promise<T>): Promise<T> {
    const run = this.#sessionQueue.then(() => {
      this.#check();
      // Prompts go through in chunks of the scheduler's default step (256 tokens), as generation's
      // prefill does: chunks of 64 streamed every weight from memory once per 64 tokens.
      this.#session ??= nativeEngine().createSession(this.handle, { contextSize: this.shape.contextSize, threads: this.shape.threads, batchSize: 256 });
      const s = this.#session;
      nativeEngine().sessionClear(s);
      return job(s);
    });
    this.#sessionQueue = run.catch(() => undefined);
    return run;
  }

  tokenize(text: string, options: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    this.#check();
    return Array.from(this.tokenizer.tokenize(text, { addSpecial: options.addSpecial ?? true, parseSpecial: options.parseSpecial ?? false }));
  }

  detokenize(tokens: number[]): string {
    this.#check();
    return this.tokenizer.detokenize(tokens);
  }

  #checkTokens(tokens: number[]): Int32Array {
    if (!Array.isArray(tokens) || tokens.length === 0) throw new InvalidArgumentError("INVALID_ARGUMENT", "tokens must be a non-empty array");
    for (const t of tokens) checkInt("token id", t, 0, this.info.vocabSize - 1);
    if (tokens.length > this.info.contextSize)
      throw new ContextFullError("CONTEXT_FULL", `${tokens.length} tokens exceed the context size ${this.info.contextSize}`);
    return Int32Array.from(tokens);
  }

  logits(tokens: number[]): Promise<Float32Array> {
    try {
      this.#check();
      const ids = this.#checkTokens(tokens);
      return this.#onSession(async (s) => (await nativeEngine().sessionEval(s, ids, true))!);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  embed(inputs: readonly (string | readonly number[])[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    try {
      this.#check();
      if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidArgumentError("INVALID_ARGUMENT", "embed needs a non-empty array of inputs");
      const { pooling } = options;
      if (pooling !== undefined && pooling !== "mean" && pooling !== "cls" && pooling !== "last")
        throw new InvalidArgumentError("INVALID_ARGUMENT", `pooling must be 'mean', 'cls' or 'last', got ${String(pooling)}`);
      const seqs = inputs.map((input, i) => {
        const ids = typeof input === "string" ? this.tokenize(input) : input;
        if (!Array.isArray(ids)) throw new InvalidArgumentError("INVALID_ARGUMENT", `input ${i} must be a string or an array of token ids`);
        if (ids.length === 0) throw new InvalidArgumentError("INVALID_ARGUMENT", `input ${i} has no tokens`);
        for (const t of ids)
          if (!Number.isInteger(t) || t < 0 || t >= this.info.vocabSize)
            throw new InvalidArgumentError("INVALID_ARGUMENT", `input ${i}: token id ${String(t)} is outside the vocabulary (size ${this.info.vocabSize})`);
        if (ids.length > this.info.trainContextSize)
          throw new ContextFullError("CONTEXT_FULL", `input ${i} has ${ids.length} tokens, more than the model's context length ${this.info.trainContextSize}`);
        return ids;
      });
      const offsets = new Float64Array(seqs.length + 1);
      seqs.forEach((ids, i) => (offsets[i + 1] = offsets[i]! + ids.length));
      const tokens = Int32Array.from(seqs.flat());
      const E = this.info.embeddingSize;
      // Its own native session per call, so embeddings need not wait for a generation to finish.
      return native()
        .engine.embed(this.handle, tokens, offsets, { ...(pooling ? { pooling } : {}), threads: this.shape.threads })
        .then((flat) => seqs.map((_, i) => flat.slice(i * E, (i + 1) * E)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** See {@link traceLayers}. */
  trace(tokens: number[]): Promise<LayerTap[]> {
    try {
      this.#check();
      const ids = this.#checkTokens(tokens);
      return this.#onSession((s) => nativeEngine().sessionTrace(s, ids));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Prompt tokens of a raw string (with BOS as the vocabulary asks) or of chat messages (tool turns as `tools` plans them). */
  #prompt(prompt: string | ChatMessage[], tools: ToolPlan | undefined, continueFinalMessage: boolean): number[] {
    if (typeof prompt === "string") return this.tokenize(prompt, { addSpecial: true, parseSpecial: false });
    if (!this.template)
      throw new InvalidArgumentError("INVALID_ARGUMENT", `model '${this.info.name}' has no chat template; pass a string prompt or load it with chatTemplate`);
    const text = this.template.render(tools?.messages ?? prompt, { continueFinalMessage, ...(tools ? { variables: tools.variables } : {}) });
    // The template writes BOS itself when the model wants one.
    return this.tokenize(text, { addSpecial: false, parseSpecial: true });
  }

  generate(prompt: string | ChatMessage[], options: GenerateOptions = {}): Generation {
    this.#check();
    const o = options;
    const maxTokens = o.maxTokens ?? 256;
    checkInt("maxTokens", maxTokens, 0, 1 << 24);
    const temperature = o.temperature ?? 0.8;
    checkNum("temperature", temperature, 0, 100);
    if (o.topK !== undefined) checkInt("topK", o.topK, 0, 1 << 24);
    if (o.topP !== undefined) checkNum("topP", o.topP, 0, 1);
    if (o.minP !== undefined) checkNum("minP", o.minP, 0, 1);
    if (o.repeatPenalty !== undefined) checkNum("repeatPenalty", o.repeatPenalty, 0, 100);
    if (o.repeatLastN !== undefined) checkInt("repeatLastN", o.repeatLastN, 0, 1 << 24);
    if (o.frequencyPenalty !== undefined) checkNum("frequencyPenalty", o.frequencyPenalty, -100, 100);
    if (o.presencePenalty !== undefined) checkNum("presencePenalty", o.presencePenalty, -100, 100);
    if (o.seed !== undefined) checkInt("seed", o.seed, 0, Number.MAX_SAFE_INTEGER);
    const stop = o.stop ?? [];
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string" && s.length > 0))
      throw new InvalidArgumentError("INVALID_ARGUMENT", "stop must be an array of non-empty strings");
    if (o.grammar !== undefined && o.jsonSchema !== undefined)
      throw new InvalidArgumentError("INVALID_ARGUMENT", "pass either grammar or jsonSchema, not both");
    if (o.grammar !== undefined && typeof o.grammar !== "string") throw new InvalidArgumentError("INVALID_ARGUMENT", "grammar must be a GBNF string");
    const tools = this.#toolPlan(prompt, o);
    const gbnf = o.jsonSchema !== undefined ? jsonSchemaToGbnf(o.jsonSchema) : (o.grammar ?? tools?.grammar);
    if (gbnf !== undefined) checkGbnf(gbnf);  // bad input fails here, before anything is queued
    const images = typeof prompt === "string" ? [] : imageBytesOf(prompt);
    const continueFinal = o.continueFinalMessage === true;
    const withImages = images.length > 0 ? this.#imagePrompt(prompt as ChatMessage[], images, tools, continueFinal) : null;
    const ids = this.#checkTokens(withImages ? withImages.tokens : this.#prompt(prompt, tools, continueFinal));
    const trigger = tools?.lazy && tools.start !== null ? this.#trigger(tools.start) : {};
    // Compiling the grammar and encoding images run off the event loop before the sequence is queued.
    const prepare =
      gbnf === undefined && !withImages
        ? undefined
        : async (p: NativeGenerateParams) => {
            if (gbnf !== undefined) p.grammar = await this.#grammars.get(gbnf);
            if (withImages) p.images = await withImages.encode();
          };
    const job = new NativeJob();
    // A tool-call start may be a control token (phi-4-mini's <|tool_call|>): its text must reach the parser.
    const decoder = this.tokenizer.createDecoder({ special: tools?.start !== undefined && tools.start !== null });
    const gen = new GenerationImpl(job, { decoder, stop, signal: o.signal });
    this.#jobs.add(job);
    job.start(this.scheduler, ids, {
      maxTokens,
      temperature,
      topK: o.topK ?? 40,
      topP: o.topP ?? 0.95,
      minP: o.minP ?? 0.05,
      repeatPenalty: o.repeatPenalty ?? 1,
      repeatLastN: o.repeatLastN ?? 64,
      frequencyPenalty: o.frequencyPenalty ?? 0,
      presencePenalty: o.presencePenalty ?? 0,
      seed: o.seed ?? Math.floor(Math.random() * 2 ** 32),
      stopTokens: o.ignoreEos ? new Int32Array(0) : this.#stopTokens,
      batch: 8,
      highWater: 64,
      ...trigger,
    }, prepare).finally(() => this.#jobs.delete(job));
    return tools && (tools.grammar !== undefined || tools.start !== null) ? new ToolCallGeneration(gen, tools) : gen;
  }

  /** A lazy grammar's trigger: the text, and the token that is exactly that text, if any. */
  #trigger(text: string): Pick<NativeGenerateParams, "grammarTrigger" | "grammarTriggerTokens"> {
    const ids = this.tokenizer.tokenize(text, { addSpecial: false, parseSpecial: true });
    return { grammarTrigger: text, grammarTriggerTokens: Int32Array.from(ids.length === 1 ? ids : []) };
  }

  /** The tool plan of a chat with `tools` or with tool turns in its history; undefined otherwise. */
  #toolPlan(prompt: string | ChatMessage[], o: GenerateOptions): ToolPlan | undefined {
    const history = Array.isArray(prompt) && prompt.some((m) => m.role === "tool" || (m.tool_calls?.length ?? 0) > 0);
    if (o.tools === undefined && !history) return undefined;
    if (typeof prompt === "string") throw new InvalidArgumentError("INVALID_ARGUMENT", "tools need chat messages, not a string prompt");
    if (o.tools !== undefined && (o.grammar !== undefined || o.jsonSchema !== undefined))
      throw new InvalidArgumentError("INVALID_ARGUMENT", "pass either tools or grammar / jsonSchema, not both");
    if (!this.template)
      throw new InvalidArgumentError("INVALID_ARGUMENT", `model '${this.info.name}' has no chat template; tools need one (load it with chatTemplate)`);
    return planTools(prompt, { templateSource: this.template.source, arch: this.info.architecture, tools: o.tools ?? [], choice: o.toolChoice, parallel: o.parallelToolCalls });
  }

  servingStats(): ServingStats {
    this.#check();
    const s = nativeEngine().schedulerStats(this.scheduler);
    return {
      parallel: this.shape.parallel,
      active: s.active,
      queued: s.queued,
      lastBatchTokens: s.lastBatchTokens,
      lastBatchSequences: s.lastBatchSequences,
      steps: s.steps,
      kvCacheBytes: s.kvBytes,
      kvUsedTokens: s.kvUsed,
      kvCachedTokens: s.kvCached,
      kvCapacityTokens: s.kvCapacity,
      kvBlocksUsed: s.kvBlocksUsed,
      kvBlocksCached: s.kvBlocksCached,
      kvBlocksTotal: s.kvBlocksTotal,
      cachedPromptTokens: s.cachedPromptTokens,
    };
  }

  async memoryBytes(): Promise<number> {
    this.#check();
    const s = nativeEngine().schedulerStats(this.scheduler);
    const weights = await nativeEngine().modelResidentBytes(this.handle);
    return weights + s.kvBytes + s.bufferBytes + (this.projector?.info.weightBytes ?? 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const done = [...this.#jobs].map((job) => job.stop());
    await Promise.all([...done, this.#sessionQueue]);
    const e = nativeEngine();
    await e.closeScheduler(this.scheduler);
    if (this.#session) e.sessionDispose(this.#session);
    this.projector?.close();
    e.closeModel(this.handle);
  }
}

function nativeEngine() {
  return native().engine;
}

/** One sequence on the model's scheduler, settled after its last event. */
class NativeJob implements GenerationDriver {
  #listener: ((e: NativeGenerateEvent) => void) | undefined;
  #stream: NativeStreamHandle | undefined;
  #ended: Promise<void> = Promise.resolve();
  #aborted = false;

  listen(onEvent: (e: NativeGenerateEvent) => void): void {
    this.#listener = onEvent;
  }

  /** Prepares the parameters (grammar, images) if need be, submits the sequence; resolves after its final event. */
  start(scheduler: NativeSchedulerHandle, prompt: Int32Array, params: NativeGenerateParams, prepare?: (p: NativeGenerateParams) => Promise<void>): Promise<void> {
    this.#ended = (async () => {
      if (prepare) {
        try {
          await prepare(params);
          if (this.#aborted) throw new AbortError("ABORTED", "generation was aborted");
        } catch (err) {
          this.#listener?.({ kind: "error", error: err as Error });
          return;
        }
      }
      return this.#submit(scheduler, prompt, params);
    })();
    return this.#ended;
  }

  #submit(scheduler: NativeSchedulerHandle, prompt: Int32Array, params: NativeGenerateParams): Promise<void> {
    return new Promise<void>((resolve) => {
      const onEvent = (ev: NativeGenerateEvent) => {
        this.#listener?.(ev);
        if (ev.kind !== "tokens") resolve();
      };
      try {
        this.#stream = nativeEngine().generate(scheduler, prompt, params, onEvent);
      } catch (err) {
        onEvent({ kind: "error", error: err as Error });
      }
    });
  }

  consumed(n: number): void {
    if (this.#stream) nativeEngine().streamConsumed(this.#stream, n);
  }

  abort(): void {
    this.#aborted = true;
    if (this.#stream) nativeEngine().streamAbort(this.#stream);
  }

  /** Aborts and waits for the final event. */
  stop(): Promise<void> {
    this.abort();
    this.consumed(Number.MAX_SAFE_INTEGER);
    return this.#ended;
  }
}
