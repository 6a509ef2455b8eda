/**
 * The five-expert system in-process: configuration, registry, router and lazy loader behind one
 * object. The HTTP server and the CLI are thin layers over {@link createSystem}.
 * @module
 */
import { AbortError, ContextFullError, ImageError, ModelClosedError } from "./errors.js";
import { loadConfig, parseConfig, type Config, type ConfigInput, type ExpertConfig } from "./config/index.js";
import type { ChatMessage, GenerateOptions, GenerationStats, TokenChunk, Tool, ToolChoice } from "./engine/types.js";
import { ExpertLoadError, LazyLoader, type ExpertLease, type ExpertLoadStatus, type LoadModelFn, type LoaderEvent } from "./loader/index.js";
import { ExpertRegistry } from "./registry/index.js";
import { RemoteExperts, type RemoteEvent, type RemoteLease, type RemoteOptions, type RemoteState, type UpstreamRequest } from "./registry/remote.js";
import { createRouter, routerConfigFromSection } from "./router/index.js";

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
  /** Loads a model; defaults to the engine's `loadModel`. */
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
  expert: string;
  /** From the call to the first chunk, including any model load and queueing. */
  timeToFirstTokenMs: number | null;
  totalMs: number;
}

/**
 * A running generation: iterate it for the chunks (once), then read `stats`. Call `cancel()` when
 * not iterating to the end, so the expert's slot is freed at once.
 */
export interface ChatResponse extends AsyncIterable<TokenChunk> {
  readonly route: RouteInfo;
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

interface Counters {
  requests: number;
  failed: number;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  decodeSeconds: number;
}

const silentLogger: SystemLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The engine, imported on first load so that a system with an injected engine never loads the addon. */
const defaultLoadModel: LoadModelFn = async (path, options) => {
  const engine = await import("./engine/index.js");
  return engine.loadModel(path, options);
};

function routerFromConfig(config: Config): RouterLike {
  return createRouter(routerConfigFromSection(config.router));
}

function hasImages(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === "image_url" || p.type === "image"));
}

function generateOptions(expert: ExpertConfig, req: SamplingOptions, signal: AbortSignal): GenerateOptions {
  const d = expert.sampling;
  return {
    maxTokens: req.maxTokens ?? d.max_tokens,
    temperature: req.temperature ?? d.temperature,
    topP: req.topP ?? d.top_p,
    topK: req.topK ?? d.top_k,
    minP: req.minP ?? d.min_p,
    repeatPenalty: req.repeatPenalty ?? d.repeat_penalty,
    frequencyPenalty: req.frequencyPenalty ?? d.frequency_penalty,
    presencePenalty: req.presencePenalty ?? d.presence_penalty,
    seed: req.seed,
    stop: req.stop,
    grammar: req.grammar,
    ...(req.tools ? { tools: req.tools } : {}),
    ...(req.toolChoice ? { toolChoice: req.toolChoice } : {}),
    ...(req.parallelToolCalls !== undefined ? { parallelToolCalls: req.parallelToolCalls } : {}),
    signal,
  };
}

/** The five-expert system. Create it with {@link createSystem}. */
export class CapibaraSystem {
  readonly config: Config;
  readonly registry: ExpertRegistry;
  /** Emits {@link LoaderEvent}s (`event`, and each event's `type`). */
  readonly loader: LazyLoader;
  /** Remote experts (`url`): health and proxying. Emits {@link RemoteEvent}s (`event`, and each event's `type`). */
  readonly remotes: RemoteExperts;
  /** Settles when the startup loads (pinned and `preload` experts) and the remotes' first health probes have finished; failures are logged, not thrown. */
  readonly ready: Promise<void>;
  private readonly router: RouterLike;
  private readonly logger: SystemLogger;
  private readonly counters = new Map<string, Counters>();
  private readonly routedByDomain: Record<string, number> = {};
  private readonly running = new Set<AbortController>();
  private readonly started = Date.now();
  private requestsTotal = 0;
  private fallbacksTotal = 0;
  private closed = false;

  constructor(config: Config, options: SystemOptions = {}) {
    this.config = config;
    this.registry = new ExpertRegistry(config);
    this.router = options.router ?? routerFromConfig(config);
    this.logger = options.logger ?? silentLogger;
    this.loader = new LazyLoader({ experts: config.experts, lazy: config.lazy_loading, loadModel: options.loadModel ?? defaultLoadModel });
    for (const e of config.experts) this.counters.set(e.name, { requests: 0, failed: 0, promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, decodeSeconds: 0 });
    this.loader.on("event", (ev: LoaderEvent) => {
      // The logger stamps its own time; the event's would be a second `time` key.
      const { time: _time, ...fields } = ev;
      if (ev.type === "load_failed") this.logger.error(fields, `expert ${ev.expert} failed to load`);
      else this.logger.info(fields, `expert ${ev.expert}: ${ev.type}`);
    });
    this.remotes = new RemoteExperts(config.experts, options.remote);
    this.remotes.on("event", (ev: RemoteEvent) => {
      const { time: _time, ...fields } = ev;
      if (ev.type === "remote_down") this.logger.warn(fields, `remote expert ${ev.expert} is down`);
      else this.logger.info(fields, `remote expert ${ev.expert} is up`);
    });
    const startup = options.preload === false ? [] : this.loader.startupExperts(config.lazy_loading.preload);
    this.ready = Promise.all([...startup.map((name) => this.loader.load(name, "preload").catch(() => undefined)), this.remotes.ready]).then(() => undefined);
  }

  /**
   * Decides which expert would serve these messages, without loading anything.
   * @throws {@link ModelNotFoundError} when `model` names no expert or domain.
   */
  route(messages: readonly ChatMessage[], model?: string | null): RouteInfo {
    const sel = this.registry.select(model);
    const requested = model || "auto";
    if (sel.kind === "expert") return { requested, expert: sel.expert.name, domain: sel.expert.domain, reason: `requested expert ${sel.expert.name}`, decision: null, fallbacks: [] };
    if (sel.kind === "domain") return { requested, expert: sel.expert.name, domain: sel.domain, reason: `requested domain ${sel.domain}`, decision: null, fallbacks: [] };
    const decision = this.router.route(messages);
    const expert = this.registry.forDomain(decision.domain);
    const why = decision.reasons.length > 0 ? decision.reasons.join("; ") : `domain ${decision.domain}`;
    if (expert) return { requested, expert: expert.name, domain: decision.domain, reason: `auto: ${why}`, decision, fallbacks: [] };
    const first = this.registry.experts[0]!;
    return { requested, expert: first.name, domain: first.domain, reason: `auto: ${why}; no expert serves ${decision.domain}, using ${first.name}`, decision, fallbacks: [] };
  }

  /**
   * Starts a chat generation once an expert is loaded and has a free slot.
   * @throws {@link ModelNotFoundError} (404), {@link QueueFullError} (429), {@link ContextFullError} (prompt over the context size),
   * {@link ExpertLoadError} (no expert could be loaded), `AbortError` (the signal aborted first).
   */
  chat(request: ChatRequest): Promise<ChatResponse> {
    return this.start(request, request.messages, request.messages);
  }

  /** Starts a raw-text completion; routing reads the prompt as one user message. Errors as {@link CapibaraSystem.chat}. */
  complete(request: CompletionRequest): Promise<ChatResponse> {
    const messages: ChatMessage[] = [{ role: "user", content: request.prompt }];
    return this.start(request, messages, request.prompt);
  }

  /** The `/stats` document. */
  stats(): SystemStats {
    const experts: Record<string, ExpertStats> = {};
    const local = new Map(this.loader.status().map((s) => [s.name, s]));
    const remote = new Map(this.remotes.status().map((s) => [s.name, s]));
    for (const e of this.config.experts) {
      const c = this.counters.get(e.name)!;
      const l = local.get(e.name);
      const s = l ?? remote.get(e.name)!;
      const serving = l?.serving;
      experts[e.name] = {
        domain: e.domain,
        state: s.state,
        remote: l === undefined,
        loaded: s.state === "loaded",
        pinned: l?.pinned ?? false,
        bytes: l?.bytes ?? 0,
        load_time_ms: l?.lastLoadMs ?? null,
        loads: l?.loads ?? 0,
        load_failures: l?.loadFailures ?? 0,
        requests: c.requests,
        failed_requests: c.failed,
        prompt_tokens: c.promptTokens,
        completion_tokens: c.completionTokens,
        tokens_per_second: c.decodeSeconds > 0 ? Math.round((c.completionTokens / c.decodeSeconds) * 10) / 10 : null,
        last_used: s.lastUsed === null ? null : new Date(s.lastUsed).toISOString(),
        active: s.active,
        queued: s.queued,
        parallel: this.registry.get(s.name).parallel,
        cached_prompt_tokens: c.cachedPromptTokens,
        batch_size: serving ? serving.lastBatchTokens : null,
        kv_cache_bytes: serving ? serving.kvCacheBytes : 0,
        kv_cache_usage_perc: serving && serving.kvBlocksTotal > 0 ? serving.kvBlocksUsed / serving.kvBlocksTotal : null,
        kv_blocks_used: serving?.kvBlocksUsed ?? 0,
        kv_blocks_cached: serving?.kvBlocksCached ?? 0,
        kv_blocks_total: serving?.kvBlocksTotal ?? 0,
      };
    }
    const routed = Object.values(this.routedByDomain).reduce((a, b) => a + b, 0);
    return {
      uptime_s: Math.round((Date.now() - this.started) / 1000),
      requests_total: this.requestsTotal,
      fallbacks_total: this.fallbacksTotal,
      experts,
      router: { routed_total: routed, by_domain: { ...this.routedByDomain } },
    };
  }

  /** Whether {@link CapibaraSystem.close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Aborts running generations, fails queued requests and unloads every model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ac of this.running) ac.abort();
    this.remotes.close();
    await this.loader.close();
  }

  private async start(req: SamplingOptions & { model?: string | null; signal?: AbortSignal }, messages: ChatMessage[], prompt: string | ChatMessage[]): Promise<ChatResponse> {
    if (this.closed) throw new ModelClosedError("MODEL_CLOSED", "the system is closed");
    const t0 = performance.now();
    const route = this.route(messages, req.model);
    this.requestsTotal++;
    if (route.decision) this.routedByDomain[route.domain] = (this.routedByDomain[route.domain] ?? 0) + 1;
    const ac = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, ac.signal]) : ac.signal;
    const lease = await this.acquireWithFallback(route, signal, (expert) => ({ prompt, options: generateOptions(expert, req, signal) }));
    const expert = lease.expert;
    const counters = this.counters.get(expert.name)!;
    counters.requests++;
    let generation;
    try {
      if ("generation" in lease) {
        generation = lease.generation;
      } else {
        if (lease.model.vision === null && hasImages(messages))
          throw new ImageError("NO_VISION", `expert ${expert.name} has no vision projector (mmproj_path)`);
        // The engine renders and tokenises the prompt once and throws ContextFullError when it does not fit.
        generation = lease.model.generate(prompt, generateOptions(expert, req, signal));
      }
    } catch (err) {
      counters.failed++;
      lease.release();
      if (err instanceof ContextFullError) throw new ContextFullError("CONTEXT_FULL", `expert ${expert.name}: ${err.message}`);
      throw err;
    }
    this.running.add(ac);
    let firstChunkAt: number | null = null;
    let iterated = false;
    const finish = (): void => {
      this.running.delete(ac);
      lease.release();
    };
    const stats = generation.stats.then((s): ChatStats => {
      counters.promptTokens += s.promptTokens;
      counters.cachedPromptTokens += s.cachedPromptTokens;
      counters.completionTokens += s.generatedTokens;
      if (s.decodeTokensPerSecond > 0) counters.decodeSeconds += s.generatedTokens / s.decodeTokensPerSecond;
      return { ...s, expert: expert.name, timeToFirstTokenMs: firstChunkAt === null ? null : firstChunkAt - t0, totalMs: performance.now() - t0 };
    });
    // An aborted or failed generation rejects `stats` too; a caller that only iterates has seen the error already.
    stats.catch(() => undefined);
    const chunks = async function* (): AsyncGenerator<TokenChunk> {
      try {
        for await (const chunk of generation) {
          firstChunkAt ??= performance.now();
          yield chunk;
        }
      } catch (err) {
        if (!(err instanceof AbortError)) counters.failed++;
        throw err;
      } finally {
        finish();
      }
    };
    const response: ChatResponse = {
      route,
      stats,
      cancel: () => {
        ac.abort();
        if (!iterated) finish();
      },
      text: async () => {
        let text = "";
        for await (const c of response) text += c.text;
        return text;
      },
      [Symbol.asyncIterator]: () => {
        if (iterated) throw new TypeError("a ChatResponse can be iterated only once");
        iterated = true;
        return chunks();
      },
    };
    return response;
  }

  /**
   * Acquires the routed expert, or the next by priority when it cannot load or its remote cannot
   * serve (reported in the route). A remote expert's request is sent here, up to its first token.
   */
  private async acquireWithFallback(route: RouteInfo, signal: AbortSignal, upstream: (expert: ExpertConfig) => UpstreamRequest): Promise<ExpertLease | RemoteLease> {
    const candidates = [this.registry.get(route.expert), ...this.registry.fallbacks(route.expert)];
    let firstError: ExpertLoadError | undefined;
    for (const candidate of candidates) {
      try {
        const lease = this.remotes.has(candidate.name) ? await this.remotes.start(candidate.name, upstream(candidate), signal) : await this.loader.acquire(candidate.name, signal);
        if (candidate.name !== route.expert) {
          this.fallbacksTotal++;
          this.logger.warn({ requested: route.expert, served: candidate.name, fallbacks: route.fallbacks }, `fell back from ${route.expert} to ${candidate.name}`);
          route.reason = `${route.reason}; fallback to ${candidate.name}: ${route.fallbacks.map((f) => `${f.expert} ${this.remotes.has(f.expert) ? "unavailable" : "failed to load"}`).join(", ")}`;
          route.expert = candidate.name;
        }
        return lease;
      } catch (err) {
        if (!(err instanceof ExpertLoadError)) throw err;
        firstError ??= err;
        route.fallbacks.push({ expert: candidate.name, error: err.message });
      }
    }
    throw new ExpertLoadError(route.expert, `no expert could be loaded: ${route.fallbacks.map((f) => f.error).join("; ")}`, { cause: firstError });
  }
}

/**
 * Creates the system from a config object or a JSON file path.
 * @example
 * ```ts
 * const system = await createSystem("config.json");
 * const res = await system.chat({ messages: [{ role: "user", content: "Write a regex for ISO dates" }] });
 * for await (const chunk of res) process.stdout.write(chunk.text);
 * console.log(res.route.expert, (await res.stats).decodeTokensPerSecond);
 * await system.close();
 * ```
 * @throws {@link ConfigError} (`CONFIG_INVALID`) for an invalid configuration.
 */
export async function createSystem(configOrPath: string | ConfigInput | Config, options: SystemOptions = {}): Promise<CapibaraSystem> {
  const config = typeof configOrPath === "string" ? await loadConfig(configOrPath) : parseConfig(configOrPath);
  return new CapibaraSystem(config, options);
}
