/**
 * The lazy loader: loads an expert's model on first use, shares one load among all requests that
 * wait for it, keeps at most `max_loaded_experts` models (and at most the memory budget) resident by
 * evicting the least recently used idle expert, unloads experts that stay idle, and hands out
 * per-expert slots so that at most `parallel` requests generate on one model at a time.
 * @module
 */
import { EventEmitter } from "node:events";
import { stat } from "node:fs/promises";
import { ModelClosedError } from "../errors.js";
import type { ExpertConfig, LazyLoadingConfig, LocalExpertConfig } from "../config/schema.js";
import type { LoadOptions, Model, ServingStats } from "../engine/types.js";
import { ExpertBusyError, ExpertLoadError, QueueFullError, abortError, abortable } from "./errors.js";
import { takeSlot, type SlotWaiter } from "./slots.js";

/** Loads a GGUF model: the engine's `loadModel`, or a fake one in tests. */
export type LoadModelFn = (path: string, options: LoadOptions) => Promise<Model>;

/** Where an expert's model stands. */
export type ExpertLoadState = "unloaded" | "loading" | "loaded" | "unloading";

/** Why a load started. */
export type LoadReason = "request" | "preload" | "admin";

/** Why an expert was unloaded. */
export type UnloadReason = "idle" | "evicted" | "admin" | "close";

/** Progress of loads and unloads, emitted as `event` and under each event's `type`. */
export type LoaderEvent =
  | { type: "loading"; expert: string; reason: LoadReason; time: number }
  | { type: "waiting"; expert: string; bytes: number; time: number }
  | { type: "loaded"; expert: string; bytes: number; loadMs: number; time: number }
  | { type: "load_failed"; expert: string; error: string; time: number }
  | { type: "load_cancelled"; expert: string; time: number }
  | { type: "unloaded"; expert: string; reason: UnloadReason; error?: string; time: number };

/** A held slot on a loaded expert; call `release()` exactly once when the request ends. */
export interface ExpertLease {
  readonly expert: LocalExpertConfig;
  readonly model: Model;
  release(): void;
}

/** Load state and counters of one expert. */
export interface ExpertLoadStatus {
  name: string;
  state: ExpertLoadState;
  pinned: boolean;
  /**
   * While resident: what the model holds ({@link Model.memoryBytes}: resident file pages, packed
   * copies, KV pool, buffers), measured at its load and whenever another expert needs room; 0 otherwise.
   */
  bytes: number;
  /** Duration of the last successful load, ms. */
  lastLoadMs: number | null;
  loads: number;
  loadFailures: number;
  /** Requests generating now. */
  active: number;
  /** Requests waiting for the load or a free slot. */
  queued: number;
  /** When the last request ended (or the model loaded), epoch ms. */
  lastUsed: number | null;
  /** The loaded model's scheduler figures (null when unloaded or the engine has none). */
  serving: ServingStats | null;
}

/** Options of {@link LazyLoader}. */
export interface LazyLoaderOptions {
  /** Remote experts (`url`) among them are left out: there is nothing to load for them. */
  experts: readonly ExpertConfig[];
  lazy: LazyLoadingConfig;
  loadModel: LoadModelFn;
}

interface Entry {
  def: LocalExpertConfig;
  pinned: boolean;
  state: ExpertLoadState;
  model?: Model;
  /** Counts toward max_loaded_experts and the memory budget (set once capacity was reserved). */
  reserved: boolean;
  bytes: number;
  loadPromise?: Promise<Model>;
  loadAbort?: AbortController;
  /** Resolves (never rejects) when the current load or unload has finished. */
  settled: Promise<void>;
  /** A preload or admin load runs on even when no request waits for it. */
  loadKeep: boolean;
  loadWaiters: number;
  active: number;
  pending: number;
  slotQueue: SlotWaiter[];
  idleTimer?: NodeJS.Timeout;
  lastUsed: number | null;
  lastLoadMs: number | null;
  loads: number;
  loadFailures: number;
}

const noop = (): void => undefined;
const MiB = 1024 * 1024;

/** What a loaded model holds now ({@link Model.memoryBytes}); for engines without it, its file plus KV pool. */
function heldBytes(model: Model): Promise<number> {
  return model.memoryBytes ? model.memoryBytes() : Promise.resolve(model.info.fileSize + model.info.kvCacheBytes);
}

/** See the module description. Events: {@link LoaderEvent}. */
export class LazyLoader extends EventEmitter {
  private readonly entries: Map<string, Entry>;
  private readonly maxLoaded: number;
  private readonly budgetBytes: number | null;
  private readonly idleMs: number;
  private readonly maxQueued: number;
  private readonly loadModel: LoadModelFn;
  private capacityWaiters: Array<() => void> = [];
  private closed = false;

  constructor(options: LazyLoaderOptions) {
    super();
    const { lazy } = options;
    this.loadModel = options.loadModel;
    this.maxLoaded = lazy.enabled ? lazy.max_loaded_experts : Infinity;
    this.budgetBytes = lazy.enabled && lazy.memory_budget_mb !== null ? lazy.memory_budget_mb * MiB : null;
    this.idleMs = lazy.enabled ? lazy.auto_unload_after_s * 1000 : 0;
    this.maxQueued = lazy.max_queued_requests;
    this.entries = new Map(
      options.experts
        .filter((def): def is LocalExpertConfig => def.url === undefined)
        .map((def) => [
          def.name,
          {
            def,
            pinned: def.pinned || !lazy.enabled,
            state: "unloaded",
            reserved: false,
            bytes: 0,
            settled: Promise.resolve(),
            loadKeep: false,
            loadWaiters: 0,
            active: 0,
            pending: 0,
            slotQueue: [],
            lastUsed: null,
            lastLoadMs: null,
            loads: 0,
            loadFailures: 0,
          } satisfies Entry,
        ]),
    );
  }

  /** Names of the experts loaded at start: pinned ones, the `preload` list, or all when lazy loading is off. */
  startupExperts(preload: readonly string[]): string[] {
    return [...this.entries.values()].filter((e) => e.pinned || preload.includes(e.def.name)).map((e) => e.def.name);
  }

  /**
   * Waits until `name` is loaded and one of its slots is free, and holds that slot.
   * @throws {@link QueueFullError} when too many requests already wait for this expert.
   * @throws {@link ExpertLoadError} when the model cannot be loaded.
   * @throws {@link AbortError} when `signal` aborts first.
   */
  async acquire(name: string, signal?: AbortSignal): Promise<ExpertLease> {
    const e = this.entry(name);
    this.assertOpen();
    if (e.pending >= this.maxQueued) throw new QueueFullError(name, this.maxQueued);
    e.pending++;
    this.clearIdle(e);
    let model: Model;
    try {
      model = await this.ensureLoaded(e, signal);
      await this.takeSlot(e, signal);
    } catch (err) {
      e.pending--;
      this.afterRequest(e);
      throw err;
    }
    e.pending--;
    let released = false;
    return {
      expert: e.def,
      model,
      release: () => {
        if (released) return;
        released = true;
        e.lastUsed = Date.now();
        // The slot passes straight to the next queued request, so no newcomer can take it in between.
        const next = e.slotQueue.shift();
        if (next) next.grant();
        else e.active--;
        this.afterRequest(e);
      },
    };
  }

  /** Loads an expert without a request (preload, admin); resolves when it is resident. */
  async load(name: string, reason: Exclude<LoadReason, "request"> = "admin"): Promise<void> {
    const e = this.entry(name);
    for (;;) {
      this.assertOpen();
      if (e.state === "loaded") return;
      if (e.state === "unloading") {
        await e.settled;
        continue;
      }
      if (e.state === "unloaded") this.startLoad(e, reason);
      e.loadKeep = true;
      await e.loadPromise;
      this.afterRequest(e);
      return;
    }
  }

  /**
   * Unloads an idle expert now (a load no request waits for is cancelled).
   * @throws {@link ExpertBusyError} when it is serving or has queued requests.
   */
  async unload(name: string): Promise<void> {
    const e = this.entry(name);
    if (e.active > 0 || e.pending > 0) throw new ExpertBusyError(name);
    if (e.state === "loading") e.loadAbort?.abort();
    await e.settled;
    await this.unloadEntry(e, "admin");
  }

  /** Load state and counters of every expert, in configuration order. */
  status(): ExpertLoadStatus[] {
    return [...this.entries.values()].map((e) => ({
      name: e.def.name,
      state: e.state,
      pinned: e.pinned,
      bytes: e.state === "loaded" ? e.bytes : 0,
      lastLoadMs: e.lastLoadMs,
      loads: e.loads,
      loadFailures: e.loadFailures,
      active: e.active,
      queued: e.pending,
      lastUsed: e.lastUsed,
      serving: e.state === "loaded" && e.model?.servingStats ? e.model.servingStats() : null,
    }));
  }

  /** Cancels loads, fails waiting requests and unloads every model (waiting for work in flight). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifyCapacity();
    const entries = [...this.entries.values()];
    for (const e of entries) {
      this.clearIdle(e);
      e.loadAbort?.abort();
      for (const w of e.slotQueue.splice(0)) w.fail(new ModelClosedError("MODEL_CLOSED", "the system is closing"));
    }
    await Promise.all(entries.map((e) => e.settled));
    await Promise.all(entries.map((e) => this.unloadEntry(e, "close")));
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new ExpertLoadError(name, `unknown expert "${name}"`);
    return e;
  }

  private assertOpen(): void {
    if (this.closed) throw new ModelClosedError("MODEL_CLOSED", "the system is closed");
  }

  private emitEvent(event: LoaderEvent): void {
    this.emit("event", event);
    this.emit(event.type, event);
  }

  private async ensureLoaded(e: Entry, signal: AbortSignal | undefined): Promise<Model> {
    for (;;) {
      if (signal?.aborted) throw abortError("request");
      this.assertOpen();
      if (e.state === "loaded") return e.model!;
      // A cancelled load that is still settling cannot serve us; wait for it and start afresh.
      if (e.state === "unloading" || (e.state === "loading" && e.loadAbort!.signal.aborted)) {
        await abortable(e.settled, signal, "request");
        continue;
      }
      if (e.state === "unloaded") this.startLoad(e, "request");
      e.loadWaiters++;
      try {
        return await abortable(e.loadPromise!, signal, "request");
      } finally {
        e.loadWaiters--;
        // Nobody waits any more: cancel the load instead of filling memory for no one.
        if (e.loadWaiters === 0 && e.state === "loading" && !e.loadKeep) e.loadAbort!.abort();
      }
    }
  }

  /** Resolves once this request holds a slot (counted in `active`). */
  private takeSlot(e: Entry, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError("request"));
    if (this.closed) return Promise.reject(new ModelClosedError("MODEL_CLOSED", "the system is closed"));
    return takeSlot(e, e.def.parallel, e.slotQueue, signal);
  }

  private startLoad(e: Entry, reason: LoadReason): void {
    const ac = new AbortController();
    const def = e.def;
    e.state = "loading";
    e.loadAbort = ac;
    e.loadKeep = reason !== "request";
    const started = Date.now();
    this.emitEvent({ type: "loading", expert: def.name, reason, time: started });
    const attempt = (async (): Promise<{ model: Model; bytes: number }> => {
      const bytes = (await stat(def.model_path)).size + (def.mmproj_path ? (await stat(def.mmproj_path)).size : 0);
      await this.reserve(e, bytes, ac.signal);
      const model = await this.loadModel(def.model_path, {
        threads: def.n_threads,
        contextSize: def.n_ctx,
        parallel: def.parallel,
        kvCacheType: def.kv_cache_type,
        ...(def.kv_cache_tokens !== undefined ? { kvCacheTokens: def.kv_cache_tokens } : {}),
        chatTemplate: def.chat_template ?? undefined,
        ...(def.mmproj_path ? { mmproj: def.mmproj_path } : {}),
        signal: ac.signal,
      });
      // An engine may finish a load it was asked to cancel; nobody wants the model any more.
      if (ac.signal.aborted) {
        await model.close();
        throw abortError("load");
      }
      return { model, bytes: await heldBytes(model) };
    })();
    e.loadPromise = attempt.then(
      ({ model, bytes }) => {
        e.model = model;
        // The file's estimate reserved the room; from now on the expert counts what it holds.
        e.bytes = bytes;
        e.state = "loaded";
        e.loads++;
        e.lastLoadMs = Date.now() - started;
        e.lastUsed = Date.now();
        this.emitEvent({ type: "loaded", expert: def.name, bytes: e.bytes, loadMs: e.lastLoadMs, time: Date.now() });
        return model;
      },
      (err: unknown) => {
        e.state = "unloaded";
        e.reserved = false;
        e.bytes = 0;
        this.notifyCapacity();
        if (ac.signal.aborted) {
          this.emitEvent({ type: "load_cancelled", expert: def.name, time: Date.now() });
          throw abortError(`load of expert "${def.name}"`);
        }
        e.loadFailures++;
        const message = err instanceof Error ? err.message : String(err);
        this.emitEvent({ type: "load_failed", expert: def.name, error: message, time: Date.now() });
        throw new ExpertLoadError(def.name, `expert "${def.name}" failed to load ${def.model_path}: ${message}`, { cause: err });
      },
    );
    e.settled = e.loadPromise.then(noop, noop);
    // Failures reach every waiting request; a preload nobody awaits must not be an unhandled rejection.
    e.loadPromise.catch(noop);
  }

  /** Makes room for `bytes` more by evicting idle experts (least recently used first), or waits for room. */
  private async reserve(e: Entry, bytes: number, signal: AbortSignal): Promise<void> {
    const budget = this.budgetBytes;
    if (budget !== null && bytes > budget) {
      throw new Error(`model file is ${(bytes / MiB).toFixed(1)} MiB, over the memory budget of ${(budget / MiB).toFixed(1)} MiB`);
    }
    let announced = false;
    for (;;) {
      if (signal.aborted) throw abortError("load");
      this.assertOpen();
      await this.measure(e);
      if (signal.aborted) throw abortError("load");
      const resident = [...this.entries.values()].filter((x) => x !== e && x.reserved);
      let count = resident.length + 1;
      let total = resident.reduce((s, x) => s + x.bytes, 0) + bytes;
      const fits = (): boolean => count <= this.maxLoaded && (budget === null || total <= budget);
      if (fits()) {
        e.reserved = true;
        e.bytes = bytes;
        return;
      }
      const candidates = resident.filter((x) => this.evictable(x)).sort((a, b) => (a.lastUsed ?? 0) - (b.lastUsed ?? 0));
      const victims: Entry[] = [];
      for (const v of candidates) {
        if (fits()) break;
        victims.push(v);
        count--;
        total -= v.bytes;
      }
      if (fits()) {
        await Promise.all(victims.map((v) => this.unloadEntry(v, "evicted")));
        continue;
      }
      if (!announced) {
        announced = true;
        this.emitEvent({ type: "waiting", expert: e.def.name, bytes, time: Date.now() });
      }
      await abortable(new Promise<void>((resolve) => this.capacityWaiters.push(resolve)), signal, "load");
    }
  }

  /** Updates what every other loaded expert holds (weights read in since its load count now). */
  private async measure(except: Entry): Promise<void> {
    const loaded = [...this.entries.values()].filter((x) => x !== except && x.state === "loaded" && x.model);
    await Promise.all(
      loaded.map(async (x) => {
        const model = x.model!;
        const bytes = await heldBytes(model).catch(() => null);  // closed meanwhile: it no longer counts
        if (bytes !== null && x.model === model && x.state === "loaded") x.bytes = bytes;
      }),
    );
  }

  private evictable(e: Entry): boolean {
    return e.state === "loaded" && !e.pinned && e.active === 0 && e.pending === 0;
  }

  private notifyCapacity(): void {
    for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  private unloadEntry(e: Entry, reason: UnloadReason): Promise<void> {
    if (e.state !== "loaded") return e.settled;
    this.clearIdle(e);
    const model = e.model!;
    e.model = undefined;
    e.state = "unloading";
    e.settled = model.close().then(
      () => this.finishUnload(e, reason),
      (err: unknown) => this.finishUnload(e, reason, err instanceof Error ? err.message : String(err)),
    );
    return e.settled;
  }

  private finishUnload(e: Entry, reason: UnloadReason, error?: string): void {
    e.state = "unloaded";
    e.reserved = false;
    e.bytes = 0;
    this.emitEvent({ type: "unloaded", expert: e.def.name, reason, ...(error ? { error } : {}), time: Date.now() });
    this.notifyCapacity();
  }

  /** Called when a request leaves: an idle expert may now be evicted, and starts its idle countdown. */
  private afterRequest(e: Entry): void {
    if (e.active > 0 || e.pending > 0) return;
    this.notifyCapacity();
    if (e.state !== "loaded" || e.pinned || this.idleMs <= 0 || this.closed) return;
    this.clearIdle(e);
    e.idleTimer = setTimeout(() => {
      e.idleTimer = undefined;
      if (this.evictable(e)) void this.unloadEntry(e, "idle");
    }, this.idleMs);
    e.idleTimer.unref();
  }

  private clearIdle(e: Entry): void {
    if (e.idleTimer) clearTimeout(e.idleTimer);
    e.idleTimer = undefined;
  }
}
