/**
 * The engine's public contract: what a loaded model offers. The native-backed implementation lives
 * in `lib/engine/` (loadModel); the system layer (registry, loader, server) depends only on these
 * types, so it can be tested with a fake engine.
 * @module
 */
import type { ImageTensor, VisionInfo } from "./vision.js";

/** A text part of a chat message's content. */
export interface TextContentPart {
  type: "text";
  text: string;
}

/** An image part given by URL (OpenAI style; `url` may be a `data:` URL). */
export interface ImageUrlContentPart {
  type: "image_url";
  image_url: { url: string; detail?: string };
}

/** An image part given as encoded bytes (in-process callers). */
export interface ImageDataContentPart {
  type: "image";
  data: Uint8Array;
}

/** One part of a chat message's content (OpenAI style). */
export type ContentPart = TextContentPart | ImageUrlContentPart | ImageDataContentPart;

/**
 * An OpenAI-style chat message: the one message type of the package (engine, chat templates,
 * router, system, server). Its content becomes text in one way, `flattenContent`.
 */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool" | "developer";
  content: string | ContentPart[] | null;
  name?: string;
  /** The calls an assistant turn made (OpenAI shape; `arguments` is a JSON text). */
  tool_calls?: ToolCall[];
  /** On a `tool` message: the call it answers. */
  tool_call_id?: string;
}

/** A function the model may call (OpenAI `tools[i]`). */
export interface Tool {
  type: "function";
  function: {
    /** `[a-zA-Z0-9_-]{1,64}`. */
    name: string;
    description?: string;
    /** JSON Schema of the arguments object (default: any object); constrains the generated arguments. */
    parameters?: Record<string, unknown>;
    strict?: boolean;
  };
}

/**
 * Whether and which tool the model calls: `auto` (default: it decides), `none` (tools are ignored),
 * `required` (at least one call), or one named function; the last two are constrained from the
 * first token.
 */
export type ToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

/** One tool call, in OpenAI's shape. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/**
 * A piece of a tool call as it streams, in the shape of OpenAI's stream deltas: the first of call
 * `index` carries `id`, `type` and `function.name` (with `arguments: ""`), the next ones only
 * `index` and pieces of `function.arguments`, which concatenate to the call's whole arguments.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

/** Options for {@link Model.generate}, in the style of node-llama-cpp. */
export interface GenerateOptions {
  /** Maximum number of tokens to generate (default 256). */
  maxTokens?: number;
  /** 0 = greedy (default 0.8). */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** Penalty on repeated tokens (1 = off). */
  repeatPenalty?: number;
  /** Tokens looked back for penalties (default 64). */
  repeatLastN?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Seed for reproducible sampling. */
  seed?: number;
  /** Stop strings: generation ends before the first occurrence (not emitted). */
  stop?: string[];
  /** Keep generating past end-of-generation tokens. */
  ignoreEos?: boolean;
  /** Cancels generation; the iterator then throws AbortError. */
  signal?: AbortSignal;
  /**
   * Constrains the output to a GBNF grammar (llama.cpp's syntax, start rule `root`). End of
   * generation is only possible where the grammar accepts. Invalid: GrammarError (GRAMMAR_INVALID).
   * A generation that reaches a state no token can continue fails with GRAMMAR_DEAD_END.
   */
  grammar?: string;
  /**
   * Constrains the output to compact JSON valid against this JSON Schema (see
   * {@link jsonSchemaToGbnf} for the keywords supported; others are a GrammarError naming them).
   * Not together with `grammar`.
   */
  jsonSchema?: Record<string, unknown> | boolean;
  /**
   * Functions the model may call (chat messages only). They are rendered through the chat
   * template in the model family's format (read from the template where it supports `tools`),
   * the arguments are constrained by each tool's `parameters` schema, and the calls come back in
   * chunks' {@link TokenChunk.toolCalls} instead of text. Not together with `grammar` / `jsonSchema`.
   */
  tools?: Tool[];
  /** See {@link ToolChoice} (default `auto`). */
  toolChoice?: ToolChoice;
  /** Allow more than one call in a turn (default true). */
  parallelToolCalls?: boolean;
  /**
   * Chat messages only: the last message is an assistant message whose text the answer continues,
   * with no new turn opened (an assistant prefill, vLLM's `continue_final_message`). The chunks
   * carry only the new text.
   */
  continueFinalMessage?: boolean;
}

/** A piece of generated output. */
export interface TokenChunk {
  /** Text of these tokens (UTF-8 safe: never half a character). */
  text: string;
  /** Token ids generated in this chunk. */
  tokens: number[];
  /**
   * Tool calls, assembled, on the last chunk (with {@link GenerateOptions.tools}); their text is
   * not in `text`.
   */
  toolCalls?: ToolCall[];
  /** The same calls as they stream: the deltas this chunk brings (ids match {@link TokenChunk.toolCalls}). */
  toolCallDeltas?: ToolCallDelta[];
}

/** Why generation ended. */
export type StopReason = "eos" | "stop" | "maxTokens" | "contextFull" | "aborted";

/** Final statistics of a generation. */
export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens whose KV came from the prompt cache (an earlier turn, a shared prefix) instead of being evaluated. */
  cachedPromptTokens: number;
  generatedTokens: number;
  /** Prompt tokens per second during prefill. */
  prefillTokensPerSecond: number;
  /** Generated tokens per second during decode. */
  decodeTokensPerSecond: number;
  stopReason: StopReason;
  /** Tool calls made (with {@link GenerateOptions.tools}). */
  toolCalls?: number;
}

/**
 * An async iterable of chunks; `stats` resolves when generation has ended (after the last chunk).
 */
export interface Generation extends AsyncIterable<TokenChunk> {
  readonly stats: Promise<GenerationStats>;
}

/** Facts about a loaded model. */
export interface ModelInfo {
  /** GGUF `general.architecture`, e.g. `llama`. */
  architecture: string;
  name: string;
  /** Parameter count from the tensor shapes. */
  parameters: number;
  /** File size in bytes (weights are memory-mapped). */
  fileSize: number;
  /**
   * Bytes of weight matrices copied into the CPU kernels' packed layout at load (see
   * {@link LoadOptions.repack}); 0 when none were. Their pages of the mapped file are released, so
   * they are resident once.
   */
  packedBytes: number;
  /** Positions per sequence (the load option, else the file's capped at 4096). */
  contextSize: number;
  /** Context size the file was trained for. */
  trainContextSize: number;
  vocabSize: number;
  embeddingSize: number;
  layers: number;
  /** Sequences generated at once (see {@link LoadOptions.parallel}). */
  parallel: number;
  /** Element type of the KV cache. */
  kvCacheType: "f16" | "q8_0";
  /** Bytes reserved for the KV pool that all sequences (and the prompt cache) share. */
  kvCacheBytes: number;
  /** Chat template in use, if any. */
  chatTemplate: string | null;
}

/** Options for loading a model. */
export interface LoadOptions {
  /**
   * Most threads of the process's CPU budget this model computes on at once (default: the machine's
   * hardware threads, at most 8); models generating at the same time share the budget (see
   * `setThreadBudget`).
   */
  threads?: number;
  /**
   * Positions per sequence (default: the file's, at most 4096). Above the file's training context
   * it is allowed, with a process warning.
   */
  contextSize?: number;
  /**
   * Sequences generating at once, batched in every step over one copy of the weights (default 1,
   * at most 64). Further `generate()` calls wait in a FIFO queue.
   */
  parallel?: number;
  /**
   * Element type of the KV cache (default `f16`). `q8_0` takes 34 bytes per 32 values instead of 64
   * (attention dequantises each head's rows for the F16 kernel); it needs a head size that is a
   * multiple of 32.
   */
  kvCacheType?: "f16" | "q8_0";
  /**
   * Reuse the KV of the longest prefix a prompt shares with earlier sequences (default true).
   * A shared prefix shares the KV pool's blocks; finished sequences' blocks stay as the prompt
   * cache until the pool needs them (least recently used evicted first); `maxTokens` adds that many
   * positions to the pool for it.
   */
  promptCache?: boolean | { maxTokens?: number };
  /**
   * Positions of the KV pool that every sequence of the model shares, in blocks of 32 taken as a
   * sequence grows (default `parallel` × `contextSize` + `promptCache.maxTokens`, which never runs
   * out). A smaller pool serves more users per byte when most requests are short: a request waits in
   * the queue until the pool has blocks for its prompt, and one that grows past the free blocks ends
   * with ContextFullError (the server's 400) without disturbing the others. Sliding-window layers
   * hold only their window whatever the size.
   */
  kvCacheTokens?: number;
  /** Most tokens evaluated in one step: decode rows plus prompt chunks (default 256). */
  tokenBudget?: number;
  /** Chat template overriding the file's. */
  chatTemplate?: string;
  /**
   * Copy Q4_0/Q8_0 matrices into the row-interleaved layout of the CPU's fastest kernels (AVX-512
   * VNNI today) at load: 2-4x faster decode, at the cost of reading the whole file while loading.
   * Off: every weight is used in place from the memory-mapped file. Default true.
   */
  repack?: boolean;
  /**
   * Path of a vision projector (llama.cpp `mmproj` GGUF, `clip.projector_type` gemma3) whose
   * projection width equals this model's embedding size: enables image parts in chat messages,
   * {@link Model.preprocessImage} and {@link Model.encodeImage}.
   */
  mmproj?: string;
  signal?: AbortSignal;
}

/** How token rows become one embedding: their mean, the first (`cls`) or the last token's row. */
export type Pooling = "mean" | "cls" | "last";

/** Options of {@link Model.embed}. */
export interface EmbedOptions {
  /** `mean`, `cls` (first token) or `last`; default: the file's declared pooling, else `last`. */
  pooling?: Pooling;
}

/** How a model's scheduler stands (see {@link Model.servingStats}). */
export interface ServingStats {
  parallel: number;
  /** Sequences admitted and generating. */
  active: number;
  /** Sequences waiting for a free place. */
  queued: number;
  /** Rows and sequences of the last step. */
  lastBatchTokens: number;
  lastBatchSequences: number;
  steps: number;
  kvCacheBytes: number;
  /** Positions held by running sequences, by finished ones' caches (the prompt cache), and in all. */
  kvUsedTokens: number;
  kvCachedTokens: number;
  kvCapacityTokens: number;
  /** KV pool blocks held by running sequences, held only by the prompt cache, and in all. */
  kvBlocksUsed: number;
  kvBlocksCached: number;
  kvBlocksTotal: number;
  /** Prompt tokens served from the prompt cache since load. */
  cachedPromptTokens: number;
}

/** A loaded model. */
export interface Model {
  readonly info: ModelInfo;
  tokenize(text: string, options?: { addSpecial?: boolean; parseSpecial?: boolean }): number[];
  detokenize(tokens: number[]): string;
  /** A string prompt is raw text; messages go through the chat template. */
  generate(prompt: string | ChatMessage[], options?: GenerateOptions): Generation;
  /** Logits after the last of `tokens` (vocabulary-sized). */
  logits(tokens: number[]): Promise<Float32Array>;
  /**
   * Sentence embeddings, one L2-normalised `Float32Array` of `embeddingSize` values per input: each
   * input (a string, tokenised with BOS/EOS as the vocabulary asks, or token ids as given) is
   * evaluated alone and its final hidden states (after the output norm) pooled as `pooling` says,
   * by default as the file declares (`<arch>.pooling_type`), else the last token's. Runs off the event loop.
   * @throws InvalidArgumentError for no inputs, an empty input or a token id outside the vocabulary;
   *   ContextFullError for an input longer than the training context; ModelClosedError.
   */
  embed(inputs: readonly (string | readonly number[])[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** The vision projector's facts when loaded with `mmproj`, else null. */
  readonly vision: VisionInfo | null;
  /**
   * Decodes (PNG, JPEG, GIF first frame, WebP) and preprocesses an image as llama.cpp does for the
   * projector: fit into its square keeping the aspect ratio (bilinear), centred on black, normalised.
   * @throws ImageError (`BAD_IMAGE`, `IMAGE_TOO_LARGE`, `NO_VISION` without a projector).
   */
  preprocessImage(bytes: Uint8Array): Promise<ImageTensor>;
  /**
   * The image's embeddings `[tokensPerImage][embeddingSize]`, from encoded bytes or a tensor from
   * {@link Model.preprocessImage}.
   * @throws ImageError, InvalidArgumentError for a tensor of the wrong shape.
   */
  encodeImage(input: Uint8Array | ImageTensor): Promise<Float32Array>;
  /** The scheduler's figures (queue, batch, KV use); engines without one omit it. */
  servingStats?(): ServingStats;
  /**
   * Bytes the model holds in memory now: the pages of its file resident in this process (weights
   * read in place; pages released after repacking and pages never read do not count), packed weight
   * copies, the KV pool, the scheduler's buffers and the vision projector's weights. The loader's
   * memory budget counts this; engines without it are counted by file size plus KV pool.
   */
  memoryBytes?(): Promise<number>;
  /** Frees weights and caches; waits for work in flight. Later use throws ModelClosedError. */
  close(): Promise<void>;
  readonly closed: boolean;
}
