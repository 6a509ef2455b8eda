/**
 * The only module that loads the compiled addon. `node-gyp-build` looks in `build/Release` (a source
 * build) and then `prebuilds/<platform>-<arch>/`; on failure a {@link NativeLoadError} lists each
 * attempt and the fix.
 * @module
 * @internal
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NativeLoadError, errorFromCode } from "./errors.js";
import type { TokenizerData } from "./tokenizer/Tokenizer.js";
import type { Pooling } from "./engine/types.js";
import type { VisionInfo } from "./engine/vision.js";

/** Kernel backends the addon can be asked for. */
export type KernelBackend = "scalar" | "avx2" | "avx512" | "neon";

/** What the CPU offers and which kernel backend the dispatcher picked. */
export interface CpuInfo {
  active: KernelBackend;
  available: KernelBackend[];
  features: Record<"avx2" | "fma" | "f16c" | "avx512f" | "avx512vnni" | "neon" | "dotprod" | "i8mm", boolean>;
}

/** Kernel entry points exported by `native/addon/kernels_wrap.cpp`. */
export interface NativeKernels {
  cpuInfo(): CpuInfo;
  setIsa(backend: KernelBackend): void;
  rmsnorm(backend: KernelBackend, x: Float32Array, w: Float32Array | null, eps: number): Float32Array;
  layernorm(backend: KernelBackend, x: Float32Array, w: Float32Array | null, eps: number): Float32Array;
  swiglu(backend: KernelBackend, g: Float32Array, u: Float32Array): Float32Array;
  geglu(backend: KernelBackend, g: Float32Array, u: Float32Array): Float32Array;
  gelu(backend: KernelBackend, x: Float32Array): Float32Array;
  softmax(backend: KernelBackend, x: Float32Array): Float32Array;
  rope(backend: KernelBackend, x: Float32Array, nHeads: number, headDim: number, pos: number, params: NativeRopeParams): Float32Array;
  flashAttention(backend: KernelBackend, q: Float32Array, k: Uint16Array, v: Uint16Array, params: NativeFlashAttentionParams): Float32Array;
  /** Seconds per call of `op` with these arguments, timed natively over `iterations` calls (benchmarks). */
  benchKernel<K extends keyof KernelOpArgs>(op: K, iterations: number, backend: KernelBackend, ...args: KernelOpArgs[K]): number;
}

/** Arguments of each elementwise op after the backend, as its entry point above takes them. */
export interface KernelOpArgs {
  rmsnorm: [x: Float32Array, w: Float32Array | null, eps: number];
  layernorm: [x: Float32Array, w: Float32Array | null, eps: number];
  swiglu: [g: Float32Array, u: Float32Array];
  geglu: [g: Float32Array, u: Float32Array];
  gelu: [x: Float32Array];
  softmax: [x: Float32Array];
  rope: [x: Float32Array, nHeads: number, headDim: number, pos: number, params: NativeRopeParams];
  flashAttention: [q: Float32Array, k: Uint16Array, v: Uint16Array, params: NativeFlashAttentionParams];
}

/** RoPE parameters as `kernels_wrap.cpp` reads them (defaults applied natively). */
export interface NativeRopeParams {
  nDims?: number;
  neox?: boolean;
  freqBase?: number;
  freqScale?: number;
  freqFactors?: Float32Array | null;
  attnFactor?: number;
}

/** Flash-attention shape and options as `kernels_wrap.cpp` reads them. */
export interface NativeFlashAttentionParams {
  nHead: number;
  nKvHead?: number;
  headDim: number;
  qPos0?: number;
  window?: number;
  kvEnd?: number;
  scale?: number;
  softcap?: number;
  headBegin?: number;
  headEnd?: number;
}

/** A metadata value as the addon returns it (arrays longer than 64 may come back summarised). */
export type NativeGgufValue = number | bigint | boolean | string | NativeGgufValue[] | { elementType: string; length: number };

/** GGUF header as `native/addon/gguf_wrap.cpp` returns it. */
export interface NativeGgufInspection {
  version: number;
  alignment: number;
  dataOffset: number;
  fileSize: number;
  metadata: Record<string, NativeGgufValue>;
  metadataTypes: Record<string, string>;
  tensors: { name: string; type: string; typeId: number; shape: number[]; offset: number; bytes: number; elements: number }[];
}

/** GGUF entry points exported by `native/addon/gguf_wrap.cpp`. */
export interface NativeGguf {
  inspect(path: string, includeArrays: boolean): Promise<NativeGgufInspection>;
}

/** Block geometry of a tensor type, as reported by `native/addon/quant_wrap.cpp`. */
export interface NativeTypeInfo {
  name: string;
  blockSize: number;
  typeSize: number;
  vecDotType: string;
}

/** The kernel families a backend's table chose for one weight type (see `kernelVariant` in lib/kernels.ts). */
export interface KernelVariant {
  /** Family of the file-layout (row-major) product, e.g. `avx2`, `avx512`, `neon-dotprod`, `scalar`. */
  gemm: string;
  /** Family of the packed product, or null when the backend has no packed layout for the type. */
  packed: string | null;
  /** Rows per interleaved group of the packed layout (0: none). */
  packRows: number;
}

/** Quantised formats and matrix products exported by `native/addon/quant_wrap.cpp`. */
export interface NativeQuant {
  typeInfo(type: string): NativeTypeInfo;
  quantize(backend: KernelBackend, type: string, x: Float32Array): Uint8Array;
  dequantize(backend: KernelBackend, type: string, bytes: Uint8Array, n: number): Float32Array;
  vecDot(backend: KernelBackend, type: string, w: Uint8Array, x: Float32Array): number;
  matmul(
    backend: KernelBackend,
    type: string,
    w: Uint8Array,
    nRows: number,
    nCols: number,
    x: Float32Array,
    nTok: number,
    threads: number,
    packed?: boolean,
  ): Float32Array;
  packRows(backend: KernelBackend, type: string): number;
  kernelVariant(backend: KernelBackend, type: string): KernelVariant;
  benchMatmul(
    backend: KernelBackend,
    type: string,
    w: Uint8Array,
    nRows: number,
    nCols: number,
    x: Float32Array,
    nTok: number,
    threads: number,
    iterations: number,
    packed?: boolean,
  ): { seconds: number; cpuSeconds: number };
  readBandwidth(bytes: number, threads: number, iterations: number): number;
}

/** Opaque handle of a native tokenizer (a type-tagged external). */
export type NativeTokenizerHandle = { readonly __brand: "NativeTokenizer" };
/** Opaque handle of a native streaming decoder. */
export type NativeDecoderHandle = { readonly __brand: "NativeDecoder" };

/** Tokenizer data as the GGUF `tokenizer.ggml.*` keys hold it (the public {@link TokenizerData}). */
export type NativeTokenizerData = TokenizerData;

/** Facts about a native tokenizer. */
export interface NativeTokenizerInfo {
  size: number;
  kind: "spm" | "bpe";
  bos: number | null;
  eos: number | null;
  eot: number | null;
  pad: number | null;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
  eog: Int32Array;
  chatTemplate: string | null;
}

/** Tokenizer entry points exported by `native/addon/tokenizer_wrap.cpp`. */
export interface NativeTokenizer {
  create(data: NativeTokenizerData): NativeTokenizerHandle;
  fromGguf(path: string): Promise<NativeTokenizerHandle>;
  info(h: NativeTokenizerHandle): NativeTokenizerInfo;
  tokenize(h: NativeTokenizerHandle, text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  detokenize(h: NativeTokenizerHandle, ids: Int32Array, removeSpecial: boolean, unparseSpecial: boolean): string;
  piece(h: NativeTokenizerHandle, id: number, special: boolean): Uint8Array;
  tokenText(h: NativeTokenizerHandle, id: number): string;
  tokenAttr(h: NativeTokenizerHandle, id: number): number;
  isEog(h: NativeTokenizerHandle, id: number): boolean;
  decoderCreate(h: NativeTokenizerHandle, special: boolean): NativeDecoderHandle;
  decoderPush(d: NativeDecoderHandle, id: number): string;
  decoderFlush(d: NativeDecoderHandle): string;
}

/** Opaque handle of a loaded model (`native/addon/model_wrap.cpp`). */
export type NativeModelHandle = { readonly __brand: "NativeModel" };
/** Opaque handle of a session: one sequence's KV cache (`native/addon/session_wrap.cpp`). */
export type NativeSessionHandle = { readonly __brand: "NativeSession" };

/** Model facts as `modelInfo` returns them. */
export interface NativeModelInfo {
  architecture: string;
  name: string;
  parameters: number;
  fileSize: number;
  packedBytes: number;
  trainContextSize: number;
  vocabSize: number;
  embeddingSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  feedForwardSize: number;
}

/** Opaque handle of a model's scheduler: its sequences, KV pool and step thread (`native/addon/scheduler_wrap.cpp`). */
export type NativeSchedulerHandle = { readonly __brand: "NativeScheduler" };

/** Options of `createScheduler` (`native/model/scheduler.h`). */
export interface NativeSchedulerOptions {
  /** Sequences generating at once. */
  parallel: number;
  /** Positions per sequence. */
  contextSize: number;
  threads: number;
  /** Most tokens evaluated in one step (decode rows plus prompt chunks). */
  tokenBudget?: number;
  /** Most prompt tokens in a step while other sequences decode. */
  prefillWhileDecoding?: number;
  promptCache?: boolean;
  kvCacheType?: "f16" | "q8_0";
  /** Sequences' worth of KV pool kept for the prompt cache (when kvTokens is 0). */
  cacheSequences?: number;
  /** Positions of the KV pool in all (0: (parallel + cacheSequences) × contextSize). */
  kvTokens?: number;
  /** Most positions of one image in a prompt (each image is evaluated whole in one step); 0: no images. */
  maxImage?: number;
}

/** A scheduler's figures (`schedulerStats`). */
export interface NativeSchedulerStats {
  queued: number;
  active: number;
  lastBatchTokens: number;
  lastBatchSequences: number;
  steps: number;
  /** Positions held by running sequences / by finished ones' caches / of the pool. */
  kvUsed: number;
  kvCached: number;
  kvCapacity: number;
  /** Pool blocks held by running sequences / only by finished ones' caches / in all. */
  kvBlocksUsed: number;
  kvBlocksCached: number;
  kvBlocksTotal: number;
  /** Prompt tokens served from the prompt cache so far. */
  cachedPromptTokens: number;
  kvBytes: number;
  /** Activations, matmul scratch and logits of a step. */
  bufferBytes: number;
}

/** Sampling and stopping parameters of `generate` (`native/addon/token_stream.cpp`). */
export interface NativeGenerateParams {
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty: number;
  repeatLastN: number;
  frequencyPenalty: number;
  presencePenalty: number;
  seed: number;
  /** Token ids that end generation (end-of-generation tokens unless ignoreEos). */
  stopTokens: Int32Array;
  /** Tokens sent to JS per batch, and how many may wait unconsumed before the native thread pauses. */
  batch: number;
  highWater: number;
  /** Constrains sampling to a grammar (`native/grammar/`); absent: unconstrained. */
  grammar?: NativeCompiledGrammarHandle;
  /** With `grammar`: sample freely until this text appears in the output, then apply the grammar to the output from it on. */
  grammarTrigger?: string;
  /** Tokens that count as the trigger text (e.g. a control token with no bytes of its own). */
  grammarTriggerTokens?: Int32Array;
  /** Images of the prompt: their positions in it are placeholders. */
  images?: NativePromptImage[];
}

/** An image in a generate prompt: `embd` rows `[n][embeddingSize]` fill positions `pos..pos+n-1`. */
export interface NativePromptImage {
  pos: number;
  embd: Float32Array;
  /** Hash of the image's bytes: the prompt cache reuses the KV of a resent image, never another's. */
  key: Int32Array;
}

/** Opaque handle of a vocabulary trie for grammars (`native/addon/grammar_wrap.cpp`). */
export type NativeGrammarVocabHandle = { readonly __brand: "NativeGrammarVocab" };
/** Opaque handle of a GBNF grammar compiled against a vocabulary. */
export type NativeCompiledGrammarHandle = { readonly __brand: "NativeCompiledGrammar" };
/** Opaque handle of a grammar matcher stepped from JS. */
export type NativeGrammarMatcherHandle = { readonly __brand: "NativeGrammarMatcher" };

/** Grammar entry points (`native/addon/grammar_wrap.cpp`); errors are GrammarError. */
export interface NativeGrammar {
  /** Parses a GBNF text only (GRAMMAR_INVALID naming the problem). */
  check(gbnf: string): void;
  vocabulary(tokenizer: NativeTokenizerHandle): Promise<NativeGrammarVocabHandle>;
  compile(vocab: NativeGrammarVocabHandle, gbnf: string): NativeCompiledGrammarHandle;
  matcher(grammar: NativeCompiledGrammarHandle): NativeGrammarMatcherHandle;
  matcherAllows(m: NativeGrammarMatcherHandle, token: number): boolean;
  matcherAccept(m: NativeGrammarMatcherHandle, token: number): void;
  /** Copies the allowed-token bitmask into `out` (ceil(vocab / 32) words); returns the allowed count. */
  matcherMask(m: NativeGrammarMatcherHandle, out: Uint32Array): number;
  matcherForced(m: NativeGrammarMatcherHandle, max: number): Int32Array;
  matcherState(m: NativeGrammarMatcherHandle): { accepting: boolean; complete: boolean };
  /** Bench: thread CPU ns per token of (full mask | check) + accept + forced lookup. */
  matcherTimedWalk(m: NativeGrammarMatcherHandle, tokens: Int32Array, fullMask: boolean): Float64Array;
}

/** Events a generation delivers, in order: any number of `tokens`, then one `done` or `error`. */
export type NativeGenerateEvent =
  | { kind: "tokens"; tokens: Int32Array }
  | {
      kind: "done";
      stopReason: "eos" | "maxTokens" | "contextFull" | "aborted";
      promptTokens: number;
      cachedPromptTokens: number;
      generatedTokens: number;
      queueMs: number;
      prefillMs: number;
      decodeMs: number;
    }
  | { kind: "error"; error: Error };

/** Opaque handle of a running generation. */
export type NativeStreamHandle = { readonly __brand: "NativeStream" };

/** Engine entry points (`model_wrap.cpp`, `session_wrap.cpp`, `scheduler_wrap.cpp`, `token_stream.cpp`). */
export interface NativeEngine {
  architectures(): string[];
  /** Threads computing at once over every model of the process (1..256). */
  setThreadBudget(threads: number): void;
  threadBudget(): number;
  loadModel(path: string, options?: { repack?: boolean }): Promise<NativeModelHandle>;
  modelInfo(model: NativeModelHandle): NativeModelInfo;
  /** The weights' bytes in memory now: file pages resident in this process plus packed copies. */
  modelResidentBytes(model: NativeModelHandle): Promise<number>;
  /** The tokenizer read at load from the same open of the file (once per model). */
  modelTokenizer(model: NativeModelHandle): NativeTokenizerHandle;
  closeModel(model: NativeModelHandle): void;
  createSession(model: NativeModelHandle, options: { contextSize?: number; threads?: number; batchSize?: number }): NativeSessionHandle;
  sessionEval(session: NativeSessionHandle, tokens: Int32Array, wantLogits: boolean): Promise<Float32Array | null>;
  /** Appends embedding rows `[n][n_embd]` (an image's tokens); bidirectional: they see each other both ways. */
  sessionEvalEmbd(session: NativeSessionHandle, rows: Float32Array, bidirectional: boolean, wantLogits: boolean): Promise<Float32Array | null>;
  loadVision(path: string): Promise<NativeVisionHandle>;
  visionInfo(vision: NativeVisionHandle): NativeVisionInfo;
  /** `rgb` is `[height][width][3]`; resolves to the planar `[3][S][S]` normalised encoder input. */
  preprocessImage(vision: NativeVisionHandle, rgb: Uint8Array, width: number, height: number): Promise<Float32Array>;
  /** `image` is `[3][S][S]`; resolves to `[tokensPerImage][projectionDim]`. */
  encodeImage(vision: NativeVisionHandle, image: Float32Array, threads: number): Promise<Float32Array>;
  closeVision(vision: NativeVisionHandle): void;
  /**
   * Embeds sequence i = tokens[offsets[i] .. offsets[i + 1]) of each input from an empty context: the
   * final hidden state (after the output norm) pooled over its tokens, L2-normalised. Resolves to
   * `[n][embeddingSize]`; pooling defaults to {@link NativeEngine.declaredPooling}.
   */
  embed(model: NativeModelHandle, tokens: Int32Array, offsets: Float64Array, options?: { pooling?: Pooling; threads?: number }): Promise<Float32Array>;
  /** The pooling the file declares (`<arch>.pooling_type`), else `last` as llama.cpp uses for decoders. */
  declaredPooling(model: NativeModelHandle): Pooling;
  sessionTrace(session: NativeSessionHandle, tokens: Int32Array): Promise<{ name: string; layer: number; data: Float32Array }[]>;
  sessionClear(session: NativeSessionHandle): void;
  sessionAbort(session: NativeSessionHandle): void;
  sessionDispose(session: NativeSessionHandle): void;
  createScheduler(model: NativeModelHandle, options: NativeSchedulerOptions): NativeSchedulerHandle;
  schedulerStats(scheduler: NativeSchedulerHandle): NativeSchedulerStats;
  /** Ends every sequence (aborted) and frees the KV pool. */
  closeScheduler(scheduler: NativeSchedulerHandle): Promise<void>;
  /** Submits a sequence; events arrive on `onEvent`. */
  generate(
    scheduler: NativeSchedulerHandle,
    prompt: Int32Array,
    params: NativeGenerateParams,
    onEvent: (event: NativeGenerateEvent) => void,
  ): NativeStreamHandle;
  /** Tells the native thread that `n` delivered tokens were consumed (back-pressure). */
  streamConsumed(stream: NativeStreamHandle, n: number): void;
  /** Ends this sequence only; its final event says `aborted`. */
  streamAbort(stream: NativeStreamHandle): void;
}

/** Opaque handle to a loaded vision projector (mmproj file). */
export type NativeVisionHandle = { readonly __brand: "NativeVisionHandle" };

/** Facts about a vision projector, as `vision_wrap.cpp` reports them: the public ones and three more. */
export interface NativeVisionInfo extends VisionInfo {
  feedForwardSize: number;
  imageMean: number[];
  imageStd: number[];
}

/** The addon's exports. */
export interface NativeBinding {
  initialize(options: { makeError: (code: string, message: string) => Error }): void;
  kernels: NativeKernels;
  gguf: NativeGguf;
  quant: NativeQuant;
  tokenizer: NativeTokenizer;
  engine: NativeEngine;
  grammar: NativeGrammar;
}

/** Package root: `lib/` (sources under vitest) and `dist/` (compiled) both sit one level below it. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

let cached: NativeBinding | undefined;

/** Loads (once) and returns the native binding. */
export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  try {
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const binding = load(packageRoot) as NativeBinding;
    binding.initialize({ makeError: errorFromCode });
    cached = binding;
    return binding;
  } catch (err) {
    tried.push(`${join(packageRoot, "build/Release/capibara.node")}${existsSync(join(packageRoot, "build/Release")) ? "" : " (missing)"}`);
    tried.push(`${join(packageRoot, "prebuilds", `${process.platform}-${process.arch}`)}${existsSync(join(packageRoot, "prebuilds", `${process.platform}-${process.arch}`)) ? "" : " (missing)"}`);
    throw new NativeLoadError(
      "NATIVE_LOAD_FAILED",
      `capibara: could not load the native addon for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
        `Tried:\n  ${tried.join("\n  ")}\n` +
        `Cause: ${(err as Error).message}\n` +
        `Fix: run \`npm rebuild capibara\` (needs python3, make and a C++17 compiler), ` +
        `or install a version with a prebuild for this platform.`,
      { cause: err },
    );
  }
}
