/**
 * The five-expert system in-process: configuration, registry, router and lazy loader behind one
 * object. The HTTP server and the CLI are thin layers over {@link createSystem}.
 * @module
 */
import { AbortError, ContextFullError, ImageError, ModelClosedError } from "./errors.js";
import { hasImageParts } from "./chat/content.js";
import { loadConfig, parseConfig, type Config, type ConfigInput, type ExpertConfig } from "./config/index.js";
import type { ChatMessage, GenerateOptions, Generation } from "./engine/types.js";
import { ExpertLoadError, LazyLoader, type ExpertLease, type LoadModelFn, type LoaderEvent } from "./loader/index.js";
import { ExpertRegistry } from "./registry/index.js";
import { RemoteExperts, UpstreamError, type RemoteEvent, type RemoteLease, type UpstreamRequest } from "./registry/remote.js";
import { createRouter, routerConfigFromSection } from "./router/index.js";

import type {
  ChatRequest,
  ChatResponse,
  ChatStats,
  CompletionRequest,
  Continuation,
  ExpertStats,
  FallbackStep,
  ResponseChunk,
  RouteInfo,
  RouterLike,
  SamplingOptions,
  SystemLogger,
  SystemOptions,
  SystemStats,
} from "./system-types.js";

export type * from "./system-types.js";

/** One expert's part of a response: its generation and the slot it holds. */
interface Segment {
  expert: ExpertConfig;
  counters: Counters;
  generation: Generation;
  release(): void;
  remote: boolean;
  /** The generation's token limit, for what is left when another expert continues it. */
  maxTokens: number | undefined;
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

/**
 * The engine, imported on first load so that a system with an injected engine never loads the addon;
 * the config's `threads` becomes the process's CPU budget before the first model loads.
 */
function engineLoader(threads: number | undefined): LoadModelFn {
  return async (path, options) => {
    const engine = await import("./engine/index.js");
    if (threads !== undefined) engine.setThreadBudget(threads);
    return engine.loadModel(path, options);
  };
}

function routerFromConfig(config: Config): RouterLike {
  return createRouter(routerConfigFromSection(config.router));
}

/**
 * Aborts `ac` when `from` aborts; returns what undoes the link. A listener rather than
 * `AbortSignal.any`, which costs tens of microseconds a request on Node 20.
 */
function linkAbort(from: AbortSignal | undefined, ac: AbortController): () => void {
  if (!from) return () => undefined;
  if (from.aborted) {
    ac.abort(from.reason);
    return () => undefined;
  }
  const onAbort = (): void => ac.abort(from.reason);
  from.addEventListener("abort", onAbort, { once: true });
  return () => from.removeEventListener("abort", onAbort);
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
    ...(req.continueFinalMessage ? { continueFinalMessage: true } : {}),
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
  private continuationsTotal = 0;
  private closed = false;
  private draining = false;
  /** Requests between their start and their generation's (routing, loading, waiting for a slot). */
  private starting = 0;
  private drained?: () => void;

  constructor(config: Config, options: SystemOptions = {}) {
    this.config = config;
    this.registry = new ExpertRegistry(config);
    this.router = options.router ?? routerFromConfig(config);
    this.logger = options.logger ?? silentLogger;
    this.loader = new LazyLoader({ experts: config.experts, lazy: config.lazy_loading, loadModel: options.loadModel ?? engineLoader(config.threads) });
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
      continuations_total: this.continuationsTotal,
      experts,
      router: { routed_total: routed, by_domain: { ...this.routedByDomain } },
    };
  }

  /** Whether {@link CapibaraSystem.close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether {@link CapibaraSystem.drain} has been called: new requests are refused. */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Refuses new requests (`ModelClosedError`), lets those already started finish, up to
   * `timeoutMs`, then closes the system (aborting any still running).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (this.starting + this.running.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.close();
  }

  private settleDrain(): void {
    if (this.starting + this.running.size === 0) this.drained?.();
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
    if (this.closed || this.draining) throw new ModelClosedError("MODEL_CLOSED", this.closed ? "the system is closed" : "the server is shutting down");
    const t0 = performance.now();
    const route = this.route(messages, req.model);
    this.requestsTotal++;
    if (route.decision) this.routedByDomain[route.domain] = (this.routedByDomain[route.domain] ?? 0) + 1;
    const ac = new AbortController();
    const signal = ac.signal;
    const unlink = linkAbort(req.signal, ac);
    const optionsFor = (expert: ExpertConfig): GenerateOptions => generateOptions(expert, req, signal);
    this.starting++;
    let seg: Segment;
    try {
      const lease = await this.acquireWithFallback(route, messages, signal, (expert) => ({ prompt, options: optionsFor(expert) }));
      seg = this.begin(lease, prompt, messages, optionsFor(lease.expert));
      this.running.add(ac);
    } catch (err) {
      unlink();
      throw err;
    } finally {
      this.starting--;
      this.settleDrain();
    }
    let firstChunkAt: number | null = null;
    let iterated = false;
    const continuations: Continuation[] = [];
    let resolveStats!: (s: ChatStats) => void;
    let rejectStats!: (err: unknown) => void;
    const stats = new Promise<ChatStats>((res, rej) => ((resolveStats = res), (rejectStats = rej)));
    // An aborted or failed generation rejects `stats` too; a caller that only iterates has seen the error already.
    stats.catch(() => undefined);
    /** Tokens of earlier segments (a remote that failed sent no usage: its chunks are counted). */
    let earlierTokens = 0;
    const settleWith = (s: Segment): void =>
      void s.generation.stats.then(
        (g) =>
          resolveStats({
            ...g,
            generatedTokens: earlierTokens + g.generatedTokens,
            expert: s.expert.name,
            timeToFirstTokenMs: firstChunkAt === null ? null : firstChunkAt - t0,
            totalMs: performance.now() - t0,
          }),
        rejectStats,
      );
    // Not iterated, the first generation's end is the response's; iterating, the loop below decides.
    void seg.generation.stats.then(
      () => !iterated && settleWith(seg),
      (err: unknown) => !iterated && rejectStats(err),
    );
    const finish = (): void => {
      unlink();
      this.running.delete(ac);
      seg.release();
      this.settleDrain();
    };
    const self = this;
    const chunks = async function* (): AsyncGenerator<ResponseChunk> {
      let text = "";
      let segTokens = 0;
      let marker: Continuation | undefined;
      try {
        for (;;) {
          try {
            for await (const chunk of seg.generation) {
              firstChunkAt ??= performance.now();
              text += chunk.text;
              // A remote's chunks carry no token ids: one token each, as capibara, vLLM and llama-server stream.
              segTokens += chunk.tokens.length || 1;
              yield marker ? { ...chunk, continuation: marker } : chunk;
              marker = undefined;
            }
            break;
          } catch (err) {
            if (!(err instanceof AbortError)) seg.counters.failed++;
            // A remote's failure mid-stream (502): its own 4xx and aborts end the answer.
            if (!(err instanceof UpstreamError) || err.status !== 502) throw err;
            const next = await self.continueAfter(seg, route, req, prompt, messages, text, segTokens, signal, continuations);
            if (!next) throw err;
            seg.release();
            earlierTokens += segTokens;
            segTokens = 0;
            marker = { from: seg.expert.name, expert: next.expert.name, error: err.message };
            continuations.push(marker);
            self.continuationsTotal++;
            self.logger.warn({ ...marker, chars: text.length }, `continued the answer of ${marker.from} on ${marker.expert}`);
            seg = next;
          }
        }
      } catch (err) {
        rejectStats(err);
        throw err;
      } finally {
        // Also after an early return(): the generation's own end (aborted) settles the stats.
        settleWith(seg);
        finish();
      }
    };
    const response: ChatResponse = {
      route,
      stats,
      continuations,
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

  /** Starts the generation on an acquired expert (a remote's has started already); counts the request and, later, its tokens. */
  private begin(lease: ExpertLease | RemoteLease, prompt: string | ChatMessage[], messages: readonly ChatMessage[], options: GenerateOptions): Segment {
    const expert = lease.expert;
    const counters = this.counters.get(expert.name)!;
    counters.requests++;
    let generation: Generation;
    try {
      if ("generation" in lease) {
        generation = lease.generation;
      } else {
        if (lease.model.vision === null && hasImageParts(messages)) throw new ImageError("NO_VISION", `expert ${expert.name} has no vision projector (mmproj_path)`);
        // The engine renders and tokenises the prompt once and throws ContextFullError when it does not fit.
        generation = lease.model.generate(prompt, options);
      }
    } catch (err) {
      counters.failed++;
      lease.release();
      if (err instanceof ContextFullError) throw new ContextFullError("CONTEXT_FULL", `expert ${expert.name}: ${err.message}`);
      throw err;
    }
    generation.stats.then(
      (s) => {
        counters.promptTokens += s.promptTokens;
        counters.cachedPromptTokens += s.cachedPromptTokens;
        counters.completionTokens += s.generatedTokens;
        if (s.decodeTokensPerSecond > 0) counters.decodeSeconds += s.generatedTokens / s.decodeTokensPerSecond;
      },
      () => undefined,
    );
    return { expert, counters, generation, release: () => lease.release(), remote: "generation" in lease, maxTokens: options.maxTokens };
  }

  /**
   * After a remote expert failed mid-answer: the next expert by priority, not tried yet for this
   * request, generating the rest of the answer from the text so far, given as the open final
   * assistant message (chat) or appended to the prompt (completion). Null when the answer cannot
   * be continued: no text yet, tools or a grammar (their state is not in the text), no tokens
   * left, a request that continues an assistant message itself, or no expert left that can serve.
   */
  private async continueAfter(
    failed: Segment,
    route: RouteInfo,
    req: SamplingOptions,
    prompt: string | ChatMessage[],
    messages: readonly ChatMessage[],
    text: string,
    tokens: number,
    signal: AbortSignal,
    earlier: readonly Continuation[],
  ): Promise<Segment | null> {
    const maxTokens = failed.maxTokens === undefined ? undefined : failed.maxTokens - tokens;
    const stateless = req.tools === undefined && req.grammar === undefined && !req.continueFinalMessage;
    if (!failed.remote || text === "" || !stateless || signal.aborted || (maxTokens !== undefined && maxTokens <= 0)) return null;
    const tried = new Set([route.expert, ...route.fallbacks.map((f) => f.expert), ...earlier.map((c) => c.from)]);
    const candidates = this.fallbacksFor(failed.expert.name, messages).filter((e) => !tried.has(e.name));
    const rest: string | ChatMessage[] = typeof prompt === "string" ? prompt + text : [...prompt, { role: "assistant", content: text }];
    const optionsFor = (expert: ExpertConfig): GenerateOptions => ({
      ...generateOptions(expert, { ...req, maxTokens }, signal),
      ...(typeof prompt === "string" ? {} : { continueFinalMessage: true }),
    });
    try {
      const lease = await this.acquireAny(candidates, signal, (expert) => ({ prompt: rest, options: optionsFor(expert) }), [], false);
      return this.begin(lease, rest, messages, optionsFor(lease.expert));
    } catch (err) {
      if (err instanceof AbortError) throw err;
      // The client then gets the first failure, the one that cut its answer.
      this.logger.warn({ expert: failed.expert.name, error: (err as Error).message }, `the answer of ${failed.expert.name} could not be continued`);
      return null;
    }
  }

  /**
   * Acquires the routed expert, or the next by priority when it cannot load or its remote cannot
   * serve (reported in the route). A remote expert's request is sent here, up to its first token.
   */
  private async acquireWithFallback(route: RouteInfo, messages: readonly ChatMessage[], signal: AbortSignal, upstream: (expert: ExpertConfig) => UpstreamRequest): Promise<ExpertLease | RemoteLease> {
    const lease = await this.acquireAny([this.registry.get(route.expert), ...this.fallbacksFor(route.expert, messages)], signal, upstream, route.fallbacks, true);
    if (lease.expert.name !== route.expert) {
      this.fallbacksTotal++;
      this.logger.warn({ requested: route.expert, served: lease.expert.name, fallbacks: route.fallbacks }, `fell back from ${route.expert} to ${lease.expert.name}`);
      route.reason = `${route.reason}; fallback to ${lease.expert.name}: ${route.fallbacks.map((f) => `${f.expert} ${this.remotes.has(f.expert) ? "unavailable" : "failed to load"}`).join(", ")}`;
      route.expert = lease.expert.name;
    }
    return lease;
  }

  /** The experts to try after `name`, by priority; for messages with images, only those that can see them (a local one without `mmproj_path` cannot; a remote's own server decides). */
  private fallbacksFor(name: string, messages: readonly ChatMessage[]): ExpertConfig[] {
    const all = this.registry.fallbacks(name);
    return hasImageParts(messages) ? all.filter((e) => e.url !== undefined || e.mmproj_path) : all;
  }

  /**
   * The first of `candidates` that can serve; each one that cannot is added to `failures`. A
   * remote that rejects the request itself (400, 413, 422) ends the search when it is the expert
   * the request asked for (`asked`: the first candidate); a fallback's rejection (images sent to
   * a text-only server, say) moves on to the next, and is what the caller gets when none serves.
   */
  private async acquireAny(
    candidates: readonly ExpertConfig[],
    signal: AbortSignal,
    upstream: (expert: ExpertConfig) => UpstreamRequest,
    failures: FallbackStep[],
    asked: boolean,
  ): Promise<ExpertLease | RemoteLease> {
    let firstError: ExpertLoadError | undefined;
    let rejected: UpstreamError | undefined;
    for (const [i, candidate] of candidates.entries()) {
      try {
        return this.remotes.has(candidate.name) ? await this.remotes.start(candidate.name, upstream(candidate), signal) : await this.loader.acquire(candidate.name, signal);
      } catch (err) {
        if (err instanceof UpstreamError && !(asked && i === 0)) {
          rejected ??= err;
          failures.push({ expert: candidate.name, error: err.message });
          continue;
        }
        if (!(err instanceof ExpertLoadError)) throw err;
        firstError ??= err;
        failures.push({ expert: candidate.name, error: err.message });
      }
    }
    if (rejected) throw rejected;
    throw new ExpertLoadError(candidates[0]?.name ?? "none", `no expert could be loaded: ${failures.map((f) => f.error).join("; ")}`, { cause: firstError });
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
