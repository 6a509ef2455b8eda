/**
 * Remote experts: an expert whose `url` points at another OpenAI-compatible server (vLLM,
 * llama-server, another capibara). Nothing is loaded here; requests are proxied upstream as a
 * stream, chunk by chunk, and the remote's health is probed in the background (`/health`, else
 * `<url>/models`) so that a dead or draining one is skipped at once (the system then falls back
 * to the next expert by priority).
 * @module
 */
import { EventEmitter } from "node:events";
import http from "node:http";
import https from "node:https";
import { AbortError } from "../errors.js";
import type { ExpertConfig, RemoteExpertConfig } from "../config/schema.js";
import type { ChatMessage, GenerateOptions, Generation, GenerationStats, StopReason, TokenChunk } from "../engine/types.js";
import { abortError } from "../loader/errors.js";
import { takeSlot, type SlotWaiter } from "../loader/slots.js";
import { RemoteUnavailableError, UpstreamError } from "./remote-errors.js";
import { SseEvents } from "./sse.js";
import { UpstreamPool, type ResponseHead, type UpstreamExchange } from "./upstream-http.js";

export { RemoteUnavailableError, UpstreamError } from "./remote-errors.js";

/** Health of a remote expert, as `/stats` and `/v1/models` show it. */
export type RemoteState = "remote-up" | "remote-down";

/** Health changes, emitted as `event` and under each event's `type`. */
export type RemoteEvent =
  | { type: "remote_up"; expert: string; time: number }
  | { type: "remote_down"; expert: string; error: string; time: number };

/** State and counters of one remote expert. */
export interface RemoteStatus {
  name: string;
  state: RemoteState;
  /** Requests streaming from the remote now. */
  active: number;
  /** Requests waiting for one of its `max_concurrent` slots. */
  queued: number;
  /** When the last request ended, epoch ms. */
  lastUsed: number | null;
  /** Why it was last marked down (null while it never was). */
  lastError: string | null;
}

/** What goes upstream: the prompt and the merged sampling options (request values over the expert's defaults). */
export interface UpstreamRequest {
  /** Messages go to `/chat/completions`, a string to `/completions`. */
  prompt: string | ChatMessage[];
  options: GenerateOptions;
}

/** A started upstream generation holding one of the remote's slots; call `release()` once when it ends. */
export interface RemoteLease {
  readonly expert: RemoteExpertConfig;
  readonly generation: Generation;
  release(): void;
}

/** Timings of {@link RemoteExperts}; the defaults suit production, tests shorten them. */
export interface RemoteOptions {
  /** Probe period while the remote is up (default 5 s). */
  probeIntervalMs?: number;
  /** Probe period while it is down, so a restarted remote is used again soon (default 1 s). */
  downProbeIntervalMs?: number;
  /** TCP connect limit, capped by the expert's `timeout_s` (default 2 s). */
  connectTimeoutMs?: number;
  /** Limit of one health probe (default 2 s). */
  probeTimeoutMs?: number;
}

interface Remote {
  def: RemoteExpertConfig;
  base: URL;
  /**
   * `/health` beside the API (vLLM, llama-server and capibara have one; it says 503 while a server
   * loads or drains); null once it answered 404, and `<url>/models` is probed instead.
   */
  health: URL | null;
  /** The request line and constant headers of each endpoint, up to `content-length`: written once, as they are on the path to the first token. */
  heads: Record<UpstreamPath, string>;
  /** Kept-alive connections of the generation requests. */
  pool: UpstreamPool;
  /** Probes get their own connection, so they are never queued behind busy streams. */
  probeAgent: http.Agent;
  state: RemoteState;
  active: number;
  waiters: SlotWaiter[];
  lastUsed: number | null;
  lastError: string | null;
  timer?: NodeJS.Timeout;
  probing?: Promise<void>;
}

/** The endpoints a generation goes to, relative to the remote's `url`. */
type UpstreamPath = "chat/completions" | "completions";

/** Client-side statuses that are the request's fault: the client gets them as they are, with no fallback. */
const CLIENT_FAULTS = new Set([400, 413, 422]);

const describe = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === "string" ? e.code : typeof e.cause?.code === "string" ? e.cause.code : null;
  const message = typeof e.message === "string" ? e.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
};

/** The OpenAI body sent upstream: the caller's messages or prompt and sampling values, nothing else added. */
function upstreamBody(def: RemoteExpertConfig, req: UpstreamRequest): string {
  const o = req.options;
  return JSON.stringify({
    model: def.upstream_model ?? def.name,
    ...(typeof req.prompt === "string" ? { prompt: req.prompt } : { messages: req.prompt }),
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: o.maxTokens,
    temperature: o.temperature,
    top_p: o.topP,
    top_k: o.topK,
    min_p: o.minP,
    repeat_penalty: o.repeatPenalty,
    frequency_penalty: o.frequencyPenalty,
    presence_penalty: o.presencePenalty,
    seed: o.seed,
    stop: o.stop,
    // vLLM's names; llama-server and capibara continue a final assistant message as well.
    ...(o.continueFinalMessage ? { continue_final_message: true, add_generation_prompt: false } : {}),
  });
}

const isEventStream = (head: ResponseHead): boolean => (head.headers["content-type"] ?? "").includes("text/event-stream");

/** The start of a response body that is not an event stream (an error's JSON, say), settled when it ends or fails. */
class BodyText {
  private text = "";
  private settle!: (text: string) => void;
  readonly done = new Promise<string>((resolve) => (this.settle = resolve));

  constructor(private readonly limit: number) {}

  add(bytes: Buffer): void {
    if (this.text.length < this.limit) this.text += bytes.toString("utf8");
  }

  end(): void {
    this.settle(this.text.slice(0, this.limit));
  }
}

function upstreamMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === "string" ? j.error : (j.error?.message ?? j.message);
    if (typeof m === "string") return m;
  } catch {
    // not JSON: the raw text says more than nothing
  }
  return text.trim().slice(0, 200) || "(empty body)";
}

/** One upstream generation: sends the request, then reads the stream as chunks. */
class UpstreamCall {
  private exchange?: UpstreamExchange;
  private timer?: NodeJS.Timeout;
  /** Whether we wait on the remote now (the timer counts only then). */
  private waiting = false;
  /** Whether `timer` is the per-chunk one (`timeout_s`), rather than the one to the first token. */
  private chunkTimer = false;
  private events?: SseEvents;
  /** The body of a response that is not a 200 event stream. */
  private text?: BodyText;
  private finish: string | null = null;
  private usage: { prompt: number; completion: number } | null = null;
  private chunksSeen = 0;
  private readonly t0 = performance.now();
  private tFirst: number | null = null;
  private tLast: number | null = null;
  /** The upstream itself reported the error (an `error` event): it is alive, so it is not marked down. */
  upstreamReported = false;
  /** Set when a timer or the caller's signal ended the call, so the socket error reads as what it is. */
  private ended: Error | null = null;
  private closed = false;

  constructor(
    private readonly r: Remote,
    private readonly path: UpstreamPath,
    private readonly body: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  private get timeoutMs(): number {
    return this.r.def.timeout_s * 1000;
  }

  /**
   * Arms the limit on the remote's silence: `timeout_s` from the start to the first token, then
   * for each later chunk. Only while we wait on the remote, so a slow client never trips it.
   */
  private arm(): void {
    this.waiting = true;
    const chunk = this.tFirst !== null;
    // One timer a phase, not one a wait: up to the first token it keeps its deadline; after it, it is refreshed for each chunk.
    if (this.timer && this.chunkTimer === chunk) {
      if (chunk) this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.chunkTimer = chunk;
    const ms = chunk ? this.timeoutMs : Math.max(0, this.t0 + this.timeoutMs - performance.now());
    this.timer = setTimeout(() => {
      if (this.waiting) this.stop(new Error(`no answer from the remote within ${this.r.def.timeout_s} s`));
      // Expired while the consumer held the stream: the next wait starts a new one.
      else this.timer = undefined;
    }, ms);
  }

  private stop(reason: Error): void {
    this.ended ??= reason;
    this.exchange?.destroy(reason);
  }

  private readonly onAbort = (): void => this.stop(abortError("request"));

  /** Ends the call once: after a normal end the connection is kept for reuse, otherwise it is cut. */
  close(normal = false): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this.onAbort);
    const x = this.exchange;
    if (!x || x.done) return;
    // What follows [DONE] is the chunked terminator; a remote that keeps sending is cut off.
    if (normal) x.discardRest(1000);
    else x.destroy();
  }

  /** Sends the request and reads up to the first content chunk (or the end). Throws {@link RemoteUnavailableError} when the remote cannot serve. */
  async open(): Promise<TokenChunk | null> {
    if (this.signal?.aborted) throw abortError("request");
    this.signal?.addEventListener("abort", this.onAbort, { once: true });
    this.arm();
    const name = this.r.def.name;
    let head: ResponseHead;
    try {
      head = await this.send();
    } catch (err) {
      this.close();
      throw this.ended instanceof AbortError ? this.ended : new RemoteUnavailableError(name, `remote expert "${name}" is unreachable: ${describe(this.ended ?? err)}`, true, { cause: err });
    }
    const status = head.status;
    if (status !== 200) {
      const text = await this.text!.done;
      this.close();
      const message = `remote expert "${name}" answered HTTP ${status}: ${upstreamMessage(text)}`;
      if (CLIENT_FAULTS.has(status)) throw new UpstreamError(status, message);
      throw new RemoteUnavailableError(name, message, status >= 500);
    }
    if (!this.events) {
      const text = await this.text!.done;
      this.close();
      throw new RemoteUnavailableError(name, `remote expert "${name}" did not answer with an event stream (content-type ${head.headers["content-type"] ?? "none"}): ${text.slice(0, 80)}`, true);
    }
    try {
      return await this.next();
    } catch (err) {
      this.close();
      if (this.ended instanceof AbortError) throw this.ended;
      throw new RemoteUnavailableError(name, `remote expert "${name}" failed before the first token: ${describe(this.ended ?? err)}`, !this.upstreamReported, {
        cause: err,
      });
    }
  }

  /** Sends the request; resolves with the response's head, whose event stream is parsed from the head's own read on when it is one. */
  private send(): Promise<ResponseHead> {
    return new Promise((resolve, reject) => {
      let headSeen = false;
      const request = `${this.r.heads[this.path]}content-length: ${Buffer.byteLength(this.body)}\r\n\r\n${this.body}`;
      this.exchange = this.r.pool.request(request, {
        onHead: (head) => {
          headSeen = true;
          if (head.status === 200 && isEventStream(head)) this.events = new SseEvents(this.exchange!);
          else this.text = new BodyText(head.status === 200 ? 200 : 4096);
          resolve(head);
        },
        onData: (bytes) => (this.events ? this.events.write(bytes) : this.text!.add(bytes)),
        onEnd: () => (this.events ? this.events.end() : this.text?.end()),
        onError: (err) => {
          if (!headSeen) reject(err);
          else if (this.events) this.events.fail(err);
          else this.text!.end();
        },
      });
    });
  }

  /** The next content chunk, or null at the end. */
  async next(): Promise<TokenChunk | null> {
    for (;;) {
      this.arm();
      const value = await this.events!.next();
      this.waiting = false;
      if (value === null) {
        this.close(true);
        return null;
      }
      if (value.error !== undefined) {
        const m = typeof value.error === "string" ? value.error : (value.error.message ?? "unknown error");
        this.upstreamReported = true;
        throw new UpstreamError(502, `remote expert "${this.r.def.name}" failed: ${m}`);
      }
      if (value.usage) this.usage = { prompt: value.usage.prompt_tokens ?? 0, completion: value.usage.completion_tokens ?? 0 };
      const choice = value.choices?.[0];
      if (!choice) continue;
      if (choice.finish_reason) this.finish = choice.finish_reason;
      const text = choice.delta?.content ?? choice.text ?? "";
      if (text === "") continue;
      this.chunksSeen++;
      this.tLast = performance.now();
      this.tFirst ??= this.tLast;
      return { text, tokens: [] };
    }
  }

  /** Why a failure after the first token happened, in the client's terms. */
  failure(err: unknown): Error {
    if (this.ended instanceof AbortError) return this.ended;
    if (err instanceof UpstreamError) return err;
    return new UpstreamError(502, `remote expert "${this.r.def.name}" failed mid-stream: ${describe(this.ended ?? err)}`, { cause: err });
  }

  stats(): GenerationStats {
    const generated = this.usage?.completion ?? this.chunksSeen;
    const prompt = this.usage?.prompt ?? 0;
    const firstS = this.tFirst === null ? 0 : (this.tFirst - this.t0) / 1000;
    const decodeS = this.tFirst !== null && this.tLast !== null ? (this.tLast - this.tFirst) / 1000 : 0;
    const stopReason: StopReason = this.finish === "length" ? "maxTokens" : "stop";
    return {
      promptTokens: prompt,
      cachedPromptTokens: 0,  // a remote's prompt cache is its own
      generatedTokens: generated,
      prefillTokensPerSecond: firstS > 0 ? prompt / firstS : 0,
      decodeTokensPerSecond: decodeS > 0 && generated > 1 ? (generated - 1) / decodeS : 0,
      stopReason,
    };
  }
}

function authHeader(def: RemoteExpertConfig): Record<string, string> {
  return def.api_key ? { authorization: `Bearer ${def.api_key}` } : {};
}

/** Wraps an opened call as a {@link Generation}: the first chunk was read already, the rest are pulled on demand (back-pressure). */
function generationOf(call: UpstreamCall, first: TokenChunk | null, onEnd: (err: unknown) => void): Generation {
  let resolveStats!: (s: GenerationStats) => void;
  let rejectStats!: (e: unknown) => void;
  const stats = new Promise<GenerationStats>((res, rej) => {
    resolveStats = res;
    rejectStats = rej;
  });
  stats.catch(() => undefined);
  let started = false;
  async function* run(): AsyncGenerator<TokenChunk> {
    let failed: unknown = null;
    let done = false;
    try {
      for (let chunk = first; chunk !== null; chunk = await call.next()) yield chunk;
      done = true;
      resolveStats(call.stats());
    } catch (err) {
      failed = call.failure(err);
      rejectStats(failed);
      throw failed;
    } finally {
      call.close();
      // A consumer that stops early (return()) ends the upstream request too; an error (its stack) is only made then.
      if (failed === null && !done) rejectStats(abortError("request"));
      onEnd(failed);
    }
  }
  return {
    stats,
    [Symbol.asyncIterator]() {
      if (started) throw new TypeError("a generation can be iterated only once");
      started = true;
      return run();
    },
  };
}

/** The remote experts of a configuration: health, slots and proxying. Events: {@link RemoteEvent}. */
export class RemoteExperts extends EventEmitter {
  /** Settles once every remote has answered (or failed) its first health probe. */
  readonly ready: Promise<void>;
  private readonly remotes: Map<string, Remote>;
  private readonly probeMs: number;
  private readonly downProbeMs: number;
  private readonly connectMs: number;
  private readonly probeTimeoutMs: number;
  private closed = false;

  constructor(experts: readonly ExpertConfig[], options: RemoteOptions = {}) {
    super();
    this.probeMs = options.probeIntervalMs ?? 5000;
    this.downProbeMs = options.downProbeIntervalMs ?? 1000;
    this.connectMs = options.connectTimeoutMs ?? 2000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2000;
    this.remotes = new Map(
      experts
        .filter((def): def is RemoteExpertConfig => def.url !== undefined)
        .map((def) => {
          const base = new URL(def.url + "/");
          const Agent = base.protocol === "https:" ? https.Agent : http.Agent;
          const pool = new UpstreamPool(base, { connectTimeoutMs: Math.min(this.connectMs, def.timeout_s * 1000) });
          const health = new URL(base.pathname.endsWith("/v1/") ? "../health" : "health", base);
          const auth = Object.entries(authHeader(def)).map(([k, v]) => `${k}: ${v}\r\n`).join("");
          const head = (path: UpstreamPath): string => {
            const u = new URL(path, base);
            return `POST ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${base.host}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\n${auth}`;
          };
          const heads = { "chat/completions": head("chat/completions"), completions: head("completions") };
          return [def.name, { def, base, health, heads, pool, probeAgent: new Agent({ keepAlive: true, maxSockets: 1 }), state: "remote-down", active: 0, waiters: [], lastUsed: null, lastError: null } satisfies Remote];
        }),
    );
    this.ready = Promise.all([...this.remotes.values()].map((r) => this.probe(r))).then(() => undefined);
  }

  /** Whether `name` is a remote expert. */
  has(name: string): boolean {
    return this.remotes.has(name);
  }

  /** State and counters of every remote expert, in configuration order. */
  status(): RemoteStatus[] {
    return [...this.remotes.values()].map((r) => ({ name: r.def.name, state: r.state, active: r.active, queued: r.waiters.length, lastUsed: r.lastUsed, lastError: r.lastError }));
  }

  /**
   * Sends a generation upstream once a slot is free and reads it up to the first token.
   * @throws {@link RemoteUnavailableError} when the remote is down or fails before the first token (the system falls back).
   * @throws {@link UpstreamError} when the remote rejects the request itself (400, 413, 422).
   * @throws {@link AbortError} when `signal` aborts first.
   */
  async start(name: string, request: UpstreamRequest, signal?: AbortSignal): Promise<RemoteLease> {
    const r = this.remotes.get(name);
    if (!r) throw new RemoteUnavailableError(name, `unknown remote expert "${name}"`, false);
    if (this.closed) throw new RemoteUnavailableError(name, "the system is closing", false);
    if (r.state === "remote-down") throw new RemoteUnavailableError(name, `remote expert "${name}" is down: ${r.lastError ?? "not probed yet"}`, false);
    await this.takeSlot(r, signal);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      r.lastUsed = Date.now();
      const next = r.waiters.shift();
      if (next) next.grant();
      else r.active--;
    };
    const path = typeof request.prompt === "string" ? "completions" : "chat/completions";
    const call = new UpstreamCall(r, path, upstreamBody(r.def, request), signal);
    let first: TokenChunk | null;
    try {
      first = await call.open();
    } catch (err) {
      release();
      if (err instanceof RemoteUnavailableError && err.remoteDown) this.markDown(r, err.message);
      throw err;
    }
    const generation = generationOf(call, first, (err) => {
      if (err instanceof UpstreamError && !call.upstreamReported) this.markDown(r, err.message);
      release();
    });
    return { expert: r.def, generation, release };
  }

  /** Stops probing and closes idle connections. */
  close(): void {
    this.closed = true;
    for (const r of this.remotes.values()) {
      clearTimeout(r.timer);
      for (const w of r.waiters.splice(0)) w.fail(new RemoteUnavailableError(r.def.name, "the system is closing", false));
      r.pool.close();
      r.probeAgent.destroy();
    }
  }

  private takeSlot(r: Remote, signal: AbortSignal | undefined): Promise<void> {
    return takeSlot(r, r.def.max_concurrent ?? Infinity, r.waiters, signal);
  }

  private markDown(r: Remote, error: string): void {
    r.lastError = error;
    if (r.state === "remote-down") return;
    r.state = "remote-down";
    this.emitEvent({ type: "remote_down", expert: r.def.name, error, time: Date.now() });
    this.schedule(r);
  }

  private markUp(r: Remote): void {
    if (r.state === "remote-up") return;
    r.state = "remote-up";
    this.emitEvent({ type: "remote_up", expert: r.def.name, time: Date.now() });
  }

  private emitEvent(ev: RemoteEvent): void {
    this.emit("event", ev);
    this.emit(ev.type, ev);
  }

  private schedule(r: Remote): void {
    if (this.closed) return;
    clearTimeout(r.timer);
    r.timer = setTimeout(() => void this.probe(r), r.state === "remote-up" ? this.probeMs : this.downProbeMs);
    r.timer.unref();
  }

  /** `GET /health` (else `GET <url>/models`) with the API key; any 2xx means up. */
  private probe(r: Remote): Promise<void> {
    r.probing ??= this.probeOnce(r).finally(() => {
      r.probing = undefined;
      this.schedule(r);
    });
    return r.probing;
  }

  private async probeOnce(r: Remote): Promise<void> {
    const models = new URL("models", r.base);
    let url = r.health ?? models;
    let ok = await this.probeGet(r, url);
    // No /health there: the models list is the probe from now on.
    if (ok === 404 && r.health) {
      r.health = null;
      url = models;
      ok = await this.probeGet(r, url);
    }
    if (this.closed) return;
    if (ok === true) this.markUp(r);
    else this.markDown(r, typeof ok === "number" ? `health probe GET ${url.pathname} answered HTTP ${ok}` : ok);
  }

  /** One probe request: true on a 2xx, else the status, or why it failed. */
  private probeGet(r: Remote, url: URL): Promise<true | number | string> {
    const lib = url.protocol === "https:" ? https : http;
    return new Promise((resolve) => {
      const req = lib.get(url, { agent: r.probeAgent, headers: authHeader(r.def), timeout: this.probeTimeoutMs }, (res) => {
        res.resume();
        const s = res.statusCode ?? 0;
        resolve(s >= 200 && s < 300 ? true : s);
      });
      req.on("timeout", () => req.destroy(new Error(`health probe timed out after ${this.probeTimeoutMs} ms`)));
      req.on("error", (err) => resolve(`health probe failed: ${describe(err)}`));
    });
  }
}
