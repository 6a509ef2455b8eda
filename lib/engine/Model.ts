/**
 * The native-backed {@link Model}: weights memory-mapped by the addon, one session (KV cache) per
 * model used by one job at a time, generation on the session's own native thread.
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
  type NativeSessionHandle,
  type NativeStreamHandle,
} from "../native.js";
import { Tokenizer } from "../tokenizer/index.js";
import { inspectGguf } from "../gguf/index.js";
import { GrammarCache, checkGbnf } from "../grammar/compiled.js";
import { jsonSchemaToGbnf } from "../grammar/json-schema.js";
import { GenerationImpl, type GenerationDriver } from "./generation.js";
import { planTools, type ToolPlan } from "../chat/tools.js";
import { ToolCallGeneration } from "./tools.js";
import type { ChatMessage, EmbedOptions, GenerateOptions, Generation, LoadOptions, Model, ModelInfo } from "./types.js";
import { imageBytesOf, layoutPrompt, MEDIA_MARKER, VisionProjector, type ImageInput, type ImageTensor, type VisionInfo } from "./vision.js";

/** Context size used when neither the caller nor a smaller file limit says otherwise. */
export const DEFAULT_CONTEXT_SIZE = 4096;

/** Architectures the runner supports (GGUF `general.architecture` strings). */
export type ArchName = "llama" | "qwen2" | "phi3" | "gemma3" | "command-r" | "cohere2";

/** The architectures the native runner supports, as it reports them. */
export function supportedArchitectures(): string[] {
  return native().engine.architectures();
}

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError("INVALID_ARGUMENT", `${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
}

function checkNum(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    throw new InvalidArgumentError("INVALID_ARGUMENT", `${name} must be a number in [${min}, ${max}], got ${String(v)}`);
}

/**
 * Loads a GGUF model. Mapping and validation run off the event loop.
 * @throws UnsupportedArchError, GgufFormatError (missing tensor, bad shape...), UnsupportedQuantError,
 *   IoError, InvalidArgumentError, AbortError when `signal` fired.
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("INVALID_ARGUMENT", "loadModel: path must be a non-empty string");
  const threads = options.threads ?? Math.max(1, Math.min(8, availableParallelism()));
  checkInt("threads", threads, 1, 256);
  if (options.contextSize !== undefined) checkInt("contextSize", options.contextSize, 1, 1 << 24);
  const aborted = () => new AbortError("ABORTED", `loading ${path} was aborted`);
  if (options.signal?.aborted) throw aborted();
  const e = native().engine;
  if (options.repack !== undefined && typeof options.repack !== "boolean") throw new InvalidArgumentError("INVALID_ARGUMENT", "loadModel: repack must be a boolean");
  if (options.mmproj !== undefined && (typeof options.mmproj !== "string" || options.mmproj.length === 0))
    throw new InvalidArgumentError("INVALID_ARGUMENT", "loadModel: mmproj must be a non-empty path");
  const handle = await e.loadModel(path, { repack: options.repack ?? true });
  let vision: VisionProjector | null = null;
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
    const [tokenizer, inspection] = await Promise.all([Tokenizer.fromGguf(path), inspectGguf(path)]);
    if (options.signal?.aborted) throw aborted();
    const info = e.modelInfo(handle);
    const contextSize = Math.min(options.contextSize ?? DEFAULT_CONTEXT_SIZE, info.trainContextSize);
    const fileTemplate = inspection.metadata["tokenizer.chat_template"];
    let template: ChatTemplate | null = null;
    try {
      template = ChatTemplate.resolve({
        override: options.chatTemplate,
        fileTemplate: typeof fileTemplate === "string" ? fileTemplate : undefined,
        arch: info.architecture,
        bosToken: tokenizer.bos === null ? undefined : tokenizer.tokenText(tokenizer.bos),
        eosToken: tokenizer.eos === null ? undefined : tokenizer.tokenText(tokenizer.eos),
      });
    } catch (err) {
      if (options.chatTemplate !== undefined) throw err;  // a broken override is the caller's error
    }
    // One image's tokens attend to each other both ways, so they must fit one batch.
    const session = e.createSession(handle, { contextSize, threads, batchSize: Math.max(64, vision?.info.tokensPerImage ?? 0) });
    return new NativeModel(handle, session, info, contextSize, tokenizer, template, vision, threads);
  } catch (err) {
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

class NativeModel implements Model {
  readonly info: ModelInfo;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();  // one job at a time on the session
  #stopTokens: Int32Array;
  readonly #grammars: GrammarCache;

  constructor(
    private readonly handle: NativeModelHandle,
    private readonly session: NativeSessionHandle,
    native: NativeModelInfo,
    contextSize: number,
    private readonly tokenizer: Tokenizer,
    private readonly template: ChatTemplate | null,
    private readonly projector: VisionProjector | null,
    private readonly threads: number,
  ) {
    this.info = {
      architecture: native.architecture,
      name: native.name,
      parameters: native.parameters,
      fileSize: native.fileSize,
      packedBytes: native.packedBytes,
      contextSize,
      trainContextSize: native.trainContextSize,
      vocabSize: native.vocabSize,
      embeddingSize: native.embeddingSize,
      layers: native.layers,
      chatTemplate: template?.source ?? null,
    };
    const eog: number[] = [];
    for (let id = 0; id < tokenizer.size; id++) if (tokenizer.isEndOfGeneration(id)) eog.push(id);
    this.#stopTokens = Int32Array.from(eog);
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
      return this.#requireVision().encode(input, this.threads);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Prompt of chat messages with images: the text after the last image as tokens, and the prefill
   * of everything before it (text chunks and image embeddings, each image one bidirectional span).
   */
  #imagePrompt(messages: ChatMessage[], images: Uint8Array[], tools?: ToolPlan): { tail: number[]; prefill: () => Promise<void>; positions: number } {
    const v = this.#requireVision();
    if (!this.template)
      throw new InvalidArgumentError("INVALID_ARGUMENT", `model '${this.info.name}' has no chat template; images need chat messages`);
    const text = this.template.render(tools?.messages ?? messages, { imageMarker: MEDIA_MARKER, ...(tools ? { variables: tools.variables } : {}) });
    const chunks = layoutPrompt(text, images.length, v.delimiters, (t) => this.tokenize(t, { addSpecial: false, parseSpecial: true }));
    let positions = 0;
    for (const c of chunks) positions += "image" in c ? v.info.tokensPerImage : c.tokens.length;
    if (positions > this.info.contextSize)
      throw new ContextFullError(
        "CONTEXT_FULL",
        `too many images for the context: ${images.length} images of ${v.info.tokensPerImage} positions and the text need ${positions} positions, the context holds ${this.info.contextSize}`,
      );
    const last = chunks.pop() as { tokens: number[] };
    const e = native().engine;
    const prefill = async () => {
      for (const c of chunks) {
        if ("image" in c) {
          const embd = await v.encode(images[c.image]!, this.threads);
          await e.sessionEvalEmbd(this.session, embd, true, false);
        } else if (c.tokens.length > 0) {
          await e.sessionEval(this.session, Int32Array.from(c.tokens), false);
        }
      }
    };
    return { tail: last.tokens, prefill, positions: positions - last.tokens.length };
  }

  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new ModelClosedError("MODEL_CLOSED", `model '${this.info.name || this.info.architecture}' is closed`);
  }

  /** Runs `job` after every earlier job on the session has finished. */
  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
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
      const e = native().engine;
      return this.#exclusive(async () => {
        this.#check();
        e.sessionClear(this.session);
        return (await e.sessionEval(this.session, ids, true))!;
      });
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
        .engine.embed(this.handle, tokens, offsets, { ...(pooling ? { pooling } : {}), threads: this.threads })
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
      const e = native().engine;
      return this.#exclusive(async () => {
        this.#check();
        e.sessionClear(this.session);
        return e.sessionTrace(this.session, ids);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Prompt tokens of a raw string (with BOS as the vocabulary asks) or of chat messages (tool turns as `tools` plans them). */
  #prompt(prompt: string | ChatMessage[], tools?: ToolPlan): number[] {
    if (typeof prompt === "string") return this.tokenize(prompt, { addSpecial: true, parseSpecial: false });
    if (!this.template)
      throw new InvalidArgumentError("INVALID_ARGUMENT", `model '${this.info.name}' has no chat template; pass a string prompt or load it with chatTemplate`);
    const text = tools ? this.template.render(tools.messages, { variables: tools.variables }) : this.template.render(prompt);
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
    const withImages = images.length > 0 ? this.#imagePrompt(prompt as ChatMessage[], images, tools) : null;
    const ids = this.#checkTokens(withImages ? withImages.tail : this.#prompt(prompt, tools));
    const grammar = gbnf === undefined ? undefined : () => this.#grammars.get(gbnf);
    const trigger = tools?.lazy && tools.start !== null ? this.#trigger(tools.start) : {};
    const job = new NativeJob(this.session, ids, withImages ?? undefined, grammar, {
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
    });
    // A tool-call start may be a control token (phi-4-mini's <|tool_call|>): its text must reach the parser.
    const decoder = this.tokenizer.createDecoder({ special: tools?.start !== undefined && tools.start !== null });
    const gen = new GenerationImpl(job, { decoder, stop, signal: o.signal });
    this.#jobs.add(job);
    void this.#exclusive(() => (this.#closed ? job.fail() : job.run())).finally(() => this.#jobs.delete(job));
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

  #jobs = new Set<NativeJob>();

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#jobs) job.abort();
    await this.#queue;
    const e = native().engine;
    e.sessionDispose(this.session);
    this.projector?.close();
    e.closeModel(this.handle);
  }
}

/** One generation on the session: started when the session is free, settled after its last event. */
class NativeJob implements GenerationDriver {
  #listener: ((e: NativeGenerateEvent) => void) | undefined;
  #stream: NativeStreamHandle | undefined;
  #consumed = 0;  // acknowledged before the native side started
  #aborted = false;

  constructor(
    private readonly session: NativeSessionHandle,
    private readonly prompt: Int32Array,
    /** Text and images before `prompt`, evaluated first; their positions count as prompt tokens. */
    private readonly before: { prefill: () => Promise<void>; positions: number } | undefined,
    private readonly grammar: (() => Promise<NativeCompiledGrammarHandle>) | undefined,
    private readonly params: NativeGenerateParams,
  ) {}

  listen(onEvent: (e: NativeGenerateEvent) => void): void {
    this.#listener = onEvent;
  }

  /** Starts the native generation (after the prefill of images, if any); resolves after the final event. */
  async run(): Promise<void> {
    const e = native().engine;
    e.sessionClear(this.session);
    if (this.grammar || this.before) {
      try {
        if (this.grammar) this.params.grammar = await this.grammar();
        if (this.before) {
          await this.before.prefill();
          if (this.#aborted) throw new AbortError("ABORTED", "generation was aborted");
        }
      } catch (err) {
        this.#listener?.({ kind: "error", error: err as Error });
        return;
      }
    }
    return new Promise<void>((resolve) => {
      const before = this.before?.positions ?? 0;
      this.#stream = e.generate(this.session, this.prompt, this.params, (ev) => {
        this.#listener?.(ev.kind === "done" ? { ...ev, promptTokens: ev.promptTokens + before } : ev);
        if (ev.kind !== "tokens") resolve();
      });
      if (this.#aborted) e.sessionAbort(this.session);
      if (this.#consumed) e.streamConsumed(this.#stream, this.#consumed);
    });
  }

  /** Settles a job that cannot start because the model was closed first. */
  async fail(): Promise<void> {
    this.#listener?.({ kind: "error", error: new ModelClosedError("MODEL_CLOSED", "the model was closed before generation started") });
  }

  consumed(n: number): void {
    if (this.#stream) native().engine.streamConsumed(this.#stream, n);
    else this.#consumed += n;
  }

  abort(): void {
    this.#aborted = true;
    if (this.#stream) native().engine.sessionAbort(this.session);
  }
}
