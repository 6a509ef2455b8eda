/**
 * The public types of the five-expert system ({@link CapibaraSystem}): its options, requests,
 * responses and the `/stats` document.
 * @module
 */
import type { ChatMessage, GenerationStats, TokenChunk, Tool, ToolChoice } from "./engine/types.js";
import type { ExpertLoadStatus, LoadModelFn } from "./loader/index.js";
import type { RemoteOptions, RemoteState } from "./registry/remote.js";
import type { CapibaraSystem } from "./system.js";

/** What the system needs from a router (the real one is `lib/router`). */
export interface RouterLike {
  route(messages: readonly ChatMessage[]): RouteDecisionLike;
}

/** A router's choice. */
export interface RouteDecisionLike {
  domain: string;
  confidence: number;
  reasons: string[];
  scores?: Record<string, number>;
}

/** Structured logger (pino's is one). */
export interface SystemLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link createSystem}. */
export interface SystemOptions {
  /** Loads a model; defaults to the engine's `loadModel` (under the config's `threads` budget). */
  loadModel?: LoadModelFn;
  /** Defaults to `lib/router` configured from the config's `router` section. */
  router?: RouterLike;
  logger?: SystemLogger;
  /** Start loading pinned and `preload` experts at once (default true); see {@link CapibaraSystem.ready}. */
  preload?: boolean;
  /** Health-probe and connect timings of remote experts. */
  remote?: RemoteOptions;
}

/** Sampling options of a request; unset ones come from the expert's `sampling` defaults. */
export interface SamplingOptions {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repeatPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  stop?: string[];
  /** GBNF grammar constraining the output (see {@link GenerateOptions.grammar}). */
  grammar?: string;
  /** Functions the model may call (chat only; see {@link GenerateOptions.tools}). */
  tools?: Tool[];
  /** See {@link GenerateOptions.toolChoice}. */
  toolChoice?: ToolChoice;
  /** See {@link GenerateOptions.parallelToolCalls}. */
  parallelToolCalls?: boolean;
  /** Chat only: continue the last message, an assistant one (see {@link GenerateOptions.continueFinalMessage}). */
  continueFinalMessage?: boolean;
}

/** A chat request. `model` is an expert name, a domain, `auto` or omitted (automatic routing). */
export interface ChatRequest extends SamplingOptions {
  messages: ChatMessage[];
  model?: string | null;
  signal?: AbortSignal;
}

/** A raw-text completion request. */
export interface CompletionRequest extends SamplingOptions {
  prompt: string;
  model?: string | null;
  signal?: AbortSignal;
}

/** An expert that could not be loaded before the one that served. */
export interface FallbackStep {
  expert: string;
  error: string;
}

/** Which expert serves a request, and why. */
export interface RouteInfo {
  /** The `model` the request named (`auto` when omitted). */
  requested: string;
  expert: string;
  domain: string;
  /** Why, in words: the router's reasons, the requested name, or the fallback. */
  reason: string;
  /** The router's decision when the request was routed automatically. */
  decision: RouteDecisionLike | null;
  /** Experts tried first that failed to load (empty when the first choice served). */
  fallbacks: FallbackStep[];
}

/** Final statistics of one request. */
export interface ChatStats extends GenerationStats {
  /** The expert that generated the end of the answer (the last of {@link ChatResponse.continuations} when there were any). */
  expert: string;
  /** From the call to the first chunk, including any model load and queueing. */
  timeToFirstTokenMs: number | null;
  totalMs: number;
}

/**
 * A remote expert's answer that failed mid-stream and was taken over by another expert, which
 * generated the rest from the text so far (see {@link ChatResponse.continuations}).
 */
export interface Continuation {
  /** The expert that failed. */
  from: string;
  /** The expert that continued the answer. */
  expert: string;
  /** Why `from` failed. */
  error: string;
}

/** A chunk of a {@link ChatResponse}. */
export interface ResponseChunk extends TokenChunk {
  /** On the first chunk another expert generated after the one before it failed mid-answer. */
  continuation?: Continuation;
}

/**
 * A running generation: iterate it for the chunks (once), then read `stats`. Call `cancel()` when
 * not iterating to the end, so the expert's slot is freed at once.
 */
export interface ChatResponse extends AsyncIterable<ResponseChunk> {
  readonly route: RouteInfo;
  /**
   * Where the answer moved to another expert mid-stream, in order (empty when it did not). A
   * remote expert that fails after its first token hands the request to the next expert by
   * priority, with the text so far as the open final assistant message, so the text is one answer.
   */
  readonly continuations: readonly Continuation[];
  /** Resolves after the last chunk; rejects like the iteration when the generation is aborted or fails. */
  readonly stats: Promise<ChatStats>;
  /** Stops the generation and frees the slot. */
  cancel(): void;
  /** Iterates to the end and returns the whole text. */
  text(): Promise<string>;
}

/** The `/stats` document (snake_case, as the Python server had). */
export interface SystemStats {
  uptime_s: number;
  requests_total: number;
  fallbacks_total: number;
  /** Answers continued on another expert after a remote failed mid-stream. */
  continuations_total: number;
  experts: Record<string, ExpertStats>;
  router: { routed_total: number; by_domain: Record<string, number> };
}

/** Per-expert figures of {@link SystemStats}. */
export interface ExpertStats {
  domain: string;
  /** Load state of a local expert; `remote-up` / `remote-down` for a remote one. */
  state: ExpertLoadStatus["state"] | RemoteState;
  /** Served by a remote server (`url`): nothing is loaded here. */
  remote: boolean;
  loaded: boolean;
  pinned: boolean;
  bytes: number;
  load_time_ms: number | null;
  loads: number;
  load_failures: number;
  requests: number;
  failed_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Decode speed over all of this expert's requests. */
  tokens_per_second: number | null;
  last_used: string | null;
  active: number;
  queued: number;
  /** Sequences the model generates at once. */
  parallel: number;
  /** Prompt tokens served from the prompt cache (over this expert's requests). */
  cached_prompt_tokens: number;
  /** Rows of the model's last batched step (null when unloaded). */
  batch_size: number | null;
  /** Bytes reserved for the KV pool (0 when unloaded). */
  kv_cache_bytes: number;
  /** Share of KV pool blocks held by running sequences, 0..1 like vLLM's kv_cache_usage_perc (null when unloaded). */
  kv_cache_usage_perc: number | null;
  /** KV pool blocks held by running sequences, only by the prompt cache, and in all (0 when unloaded). */
  kv_blocks_used: number;
  kv_blocks_cached: number;
  kv_blocks_total: number;
}
