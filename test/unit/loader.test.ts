import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig, type ConfigInput } from "../../lib/config/index.js";
import { AbortError, CapibaraError } from "../../lib/errors.js";
import { ExpertBusyError, ExpertLoadError, LazyLoader, QueueFullError, type LoaderEvent } from "../../lib/loader/index.js";
import { FakeEngine } from "../helpers/fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-loader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;

function modelFile(name: string, mib = 1): string {
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, "");
  truncateSync(path, mib * MiB); // sparse: the budget counts file sizes, not disk blocks
  return path;
}

const loaders: LazyLoader[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(loaders.splice(0).map((l) => l.close()));
});

function setup(
  names: Array<string | { name: string; mib?: number; pinned?: boolean; parallel?: number }>,
  lazy: ConfigInput["lazy_loading"] = {},
  engine = new FakeEngine(),
) {
  const experts = names.map((n) => {
    const e = typeof n === "string" ? { name: n } : n;
    return { name: e.name, domain: e.name, model_path: modelFile(e.name, e.mib), pinned: e.pinned, parallel: e.parallel };
  });
  const config = parseConfig({ experts, lazy_loading: lazy });
  const loader = new LazyLoader({ experts: config.experts, lazy: config.lazy_loading, loadModel: engine.loadModel });
  const events: LoaderEvent[] = [];
  loader.on("event", (e: LoaderEvent) => events.push(e));
  loaders.push(loader);
  const state = (name: string) => loader.status().find((s) => s.name === name)!.state;
  return { loader, engine, events, state };
}

async function rejection(p: Promise<unknown>): Promise<CapibaraError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CapibaraError);
    return err as CapibaraError;
  }
  throw new Error("expected a rejection");
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe("LazyLoader", () => {
  it("loads on first use; concurrent requests share one load (single flight)", async () => {
    const { loader, engine, events, state } = setup(["a"], {}, new FakeEngine({ loadDelayMs: 30 }));
    expect(state("a")).toBe("unloaded");
    const leases = await Promise.all([1, 2, 3].map(() => loader.acquire("a").then((l) => (l.release(), l))));
    expect(engine.loadCalls).toHaveLength(1);
    expect(new Set(leases.map((l) => l.model)).size).toBe(1);
    expect(state("a")).toBe("loaded");
    expect(events.map((e) => e.type)).toEqual(["loading", "loaded"]);
    const status = loader.status()[0]!;
    expect(status.loads).toBe(1);
    expect(status.bytes).toBe(MiB);
    expect(status.lastLoadMs).toBeGreaterThanOrEqual(25);
  });

  it("evicts the least recently used idle expert at max_loaded_experts", async () => {
    const { loader, events, state } = setup(["a", "b", "c"], { max_loaded_experts: 2 });
    (await loader.acquire("a")).release();
    await tick();
    (await loader.acquire("b")).release();
    await tick();
    (await loader.acquire("a")).release(); // a is now more recent than b
    (await loader.acquire("c")).release();
    expect([state("a"), state("b"), state("c")]).toEqual(["loaded", "unloaded", "loaded"]);
    expect(events).toContainEqual(expect.objectContaining({ type: "unloaded", expert: "b", reason: "evicted" }));
  });

  it("respects the memory budget (file sizes), evicting as many as needed", async () => {
    const { loader, state } = setup(
      [
        { name: "a", mib: 3 },
        { name: "b", mib: 3 },
        { name: "c", mib: 5 },
      ],
      { max_loaded_experts: 5, memory_budget_mb: 8 },
    );
    (await loader.acquire("a")).release();
    (await loader.acquire("b")).release();
    expect([state("a"), state("b")]).toEqual(["loaded", "loaded"]);
    (await loader.acquire("c")).release(); // 3 + 3 + 5 > 8: evicting a alone is enough
    expect([state("a"), state("b"), state("c")]).toEqual(["unloaded", "loaded", "loaded"]);
  });

  it("a loaded expert counts its KV pool toward the budget, not only its file", async () => {
    const engine = new FakeEngine({ kvCacheBytes: 2 * MiB });
    const { loader, state } = setup([{ name: "a", mib: 3 }, { name: "b", mib: 3 }], { max_loaded_experts: 5, memory_budget_mb: 7 }, engine);
    (await loader.acquire("a")).release();
    expect(loader.status().find((s) => s.name === "a")!.bytes).toBe(5 * MiB);
    (await loader.acquire("b")).release(); // 5 resident + 3 for b's file > 7: a is evicted
    expect([state("a"), state("b")]).toEqual(["unloaded", "loaded"]);
  });

  it("a loaded expert counts what it holds now (memoryBytes), measured again when another needs room", async () => {
    const held = new Map<string, number>([["a", 2 * MiB]]);  // repacked, its embedding not read in yet
    const engine = new FakeEngine({ memoryBytes: (path) => held.get(path.endsWith("a.gguf") ? "a" : "b") ?? 3 * MiB });
    const { loader, state } = setup([{ name: "a", mib: 3 }, { name: "b", mib: 3 }, { name: "c", mib: 3 }], { max_loaded_experts: 5, memory_budget_mb: 8 }, engine);
    (await loader.acquire("a")).release();
    expect(loader.status().find((s) => s.name === "a")!.bytes).toBe(2 * MiB);
    (await loader.acquire("b")).release(); // 2 + 3 <= 8
    expect([state("a"), state("b")]).toEqual(["loaded", "loaded"]);
    held.set("a", 4 * MiB); // pages of a read in since its load
    (await loader.acquire("c")).release(); // 4 + 3 + 3 > 8, though a's load-time 2 would have fit
    expect([state("a"), state("b"), state("c")]).toEqual(["unloaded", "loaded", "loaded"]);
    expect(loader.status().find((s) => s.name === "b")!.bytes).toBe(3 * MiB);
  });

  it("a model larger than the whole budget fails clearly without evicting anyone", async () => {
    const { loader, state } = setup([{ name: "a", mib: 2 }, { name: "big", mib: 9 }], { memory_budget_mb: 8 });
    (await loader.acquire("a")).release();
    const err = await rejection(loader.acquire("big"));
    expect(err).toBeInstanceOf(ExpertLoadError);
    expect(err.code).toBe("EXPERT_LOAD_FAILED");
    expect(err.message).toMatch(/over the memory budget of 8\.0 MiB/);
    expect(state("a")).toBe("loaded");
  });

  it("never evicts an expert that is serving; the new load waits until it is idle", async () => {
    const { loader, events, state } = setup(["a", "b"], { max_loaded_experts: 1 });
    const leaseA = await loader.acquire("a");
    let gotB = false;
    const pendingB = loader.acquire("b").then((l) => ((gotB = true), l));
    await tick(20);
    expect(gotB).toBe(false);
    expect(state("a")).toBe("loaded");
    expect(events).toContainEqual(expect.objectContaining({ type: "waiting", expert: "b" }));
    leaseA.release();
    const leaseB = await pendingB;
    expect([state("a"), state("b")]).toEqual(["unloaded", "loaded"]);
    leaseB.release();
  });

  it("never evicts an expert with queued requests", async () => {
    const { loader, state } = setup(["a", "b"], { max_loaded_experts: 1 });
    const first = await loader.acquire("a");
    const queued = loader.acquire("a"); // waits for a's only slot
    const pendingB = loader.acquire("b");
    first.release(); // a is idle of generating work but its queued request takes the slot at once
    const second = await queued;
    await tick(10);
    expect(state("a")).toBe("loaded");
    second.release();
    (await pendingB).release();
    expect(state("b")).toBe("loaded");
  });

  it("bounds each expert's queue: QUEUE_FULL beyond max_queued_requests", async () => {
    const { loader } = setup(["a"], { max_queued_requests: 2 });
    const held = await loader.acquire("a");
    const q1 = loader.acquire("a");
    const q2 = loader.acquire("a");
    const err = await rejection(loader.acquire("a"));
    expect(err).toBeInstanceOf(QueueFullError);
    expect(err.code).toBe("QUEUE_FULL");
    expect(loader.status()[0]).toMatchObject({ active: 1, queued: 2 });
    held.release();
    (await q1).release();
    (await q2).release();
    expect(loader.status()[0]).toMatchObject({ active: 0, queued: 0 });
  });

  it("parallel slots: up to `parallel` requests hold a slot at once, in arrival order after that", async () => {
    const { loader } = setup([{ name: "a", parallel: 2 }]);
    const l1 = await loader.acquire("a");
    const l2 = await loader.acquire("a");
    const order: number[] = [];
    const w3 = loader.acquire("a").then((l) => (order.push(3), l));
    const w4 = loader.acquire("a").then((l) => (order.push(4), l));
    await tick();
    expect(order).toEqual([]);
    l1.release();
    l1.release(); // double release is harmless
    (await w3).release();
    l2.release();
    (await w4).release();
    expect(order).toEqual([3, 4]);
    expect(loader.status()[0]).toMatchObject({ active: 0, queued: 0 });
  });

  it("an aborted queued request frees its place", async () => {
    const { loader } = setup(["a"]);
    const held = await loader.acquire("a");
    const ac = new AbortController();
    const waiting = loader.acquire("a", ac.signal);
    ac.abort();
    expect(await rejection(waiting)).toBeInstanceOf(AbortError);
    expect(loader.status()[0]).toMatchObject({ active: 1, queued: 0 });
    held.release();
    (await loader.acquire("a")).release();
  });

  it("idle unload counts from when the last request ENDS, not from the load", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { loader, state, events } = setup(["a"], { auto_unload_after_s: 10 });
    const lease = await loader.acquire("a");
    await vi.advanceTimersByTimeAsync(30_000); // a long generation: no unload while serving
    expect(state("a")).toBe("loaded");
    lease.release();
    await vi.advanceTimersByTimeAsync(9_000);
    (await loader.acquire("a")).release(); // a new request restarts the countdown
    await vi.advanceTimersByTimeAsync(9_000);
    expect(state("a")).toBe("loaded");
    await vi.advanceTimersByTimeAsync(1_500);
    expect(state("a")).toBe("unloaded");
    expect(events.at(-1)).toMatchObject({ type: "unloaded", expert: "a", reason: "idle" });
  });

  it("pinned experts load at start and are never evicted nor idle-unloaded", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { loader, state } = setup([{ name: "p", pinned: true }, "a", "b"], { max_loaded_experts: 2, auto_unload_after_s: 1, preload: ["a"] });
    const startup = loader.startupExperts(["a"]);
    expect(startup).toEqual(["p", "a"]);
    await Promise.all(startup.map((n) => loader.load(n, "preload")));
    expect([state("p"), state("a")]).toEqual(["loaded", "loaded"]);
    (await loader.acquire("b")).release(); // evicts a (the only unpinned one), never p
    expect([state("p"), state("a"), state("b")]).toEqual(["loaded", "unloaded", "loaded"]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect([state("p"), state("b")]).toEqual(["loaded", "unloaded"]);
  });

  it("a failed load rejects every waiter with EXPERT_LOAD_FAILED and the next request retries", async () => {
    const engine = new FakeEngine({ loadDelayMs: 10 });
    engine.failing.add("a.gguf");
    const { loader, state, events } = setup(["a"], {}, engine);
    const errors = await Promise.all([loader.acquire("a"), loader.acquire("a")].map(rejection));
    for (const err of errors) {
      expect(err).toBeInstanceOf(ExpertLoadError);
      expect(err.code).toBe("EXPERT_LOAD_FAILED");
      expect(err.message).toMatch(/expert "a" failed to load .*a\.gguf: cannot map a\.gguf/);
      expect((err.cause as Error).message).toMatch(/bad file/);
    }
    expect(engine.loadCalls).toHaveLength(1);
    expect(state("a")).toBe("unloaded");
    expect(events.map((e) => e.type)).toEqual(["loading", "load_failed"]);
    engine.failing.clear();
    (await loader.acquire("a")).release();
    expect(engine.loadCalls).toHaveLength(2);
    expect(loader.status()[0]).toMatchObject({ state: "loaded", loads: 1, loadFailures: 1 });
  });

  it("a missing model file is a load failure naming the path", async () => {
    const { loader } = setup(["a"]);
    rmSync(join(dir, "a.gguf"));
    const err = await rejection(loader.acquire("a"));
    expect(err.code).toBe("EXPERT_LOAD_FAILED");
    expect(err.message).toMatch(/a\.gguf: ENOENT/);
  });

  it("a load whose waiting requests all abort is cancelled through its AbortSignal", async () => {
    const engine = new FakeEngine({ loadDelayMs: 200 });
    const { loader, state, events } = setup(["a"], {}, engine);
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const r1 = rejection(loader.acquire("a", ac1.signal));
    const r2 = rejection(loader.acquire("a", ac2.signal));
    await tick(20);
    ac1.abort();
    await tick(5);
    expect(engine.cancelledLoads).toBe(0); // one request still waits
    ac2.abort();
    expect(await r1).toBeInstanceOf(AbortError);
    expect(await r2).toBeInstanceOf(AbortError);
    await tick(20);
    expect(engine.cancelledLoads).toBe(1);
    expect(state("a")).toBe("unloaded");
    expect(events.map((e) => e.type)).toEqual(["loading", "load_cancelled"]);
    (await loader.acquire("a")).release(); // a later request loads afresh
    expect(state("a")).toBe("loaded");
  });

  it("admin load and unload; unloading a busy expert is refused", async () => {
    const { loader, state, engine } = setup(["a"]);
    await loader.load("a");
    expect(state("a")).toBe("loaded");
    const lease = await loader.acquire("a");
    const err = await rejection(loader.unload("a"));
    expect(err).toBeInstanceOf(ExpertBusyError);
    expect(err.code).toBe("EXPERT_BUSY");
    lease.release();
    await loader.unload("a");
    expect(state("a")).toBe("unloaded");
    expect(engine.openModels.size).toBe(0);
  });

  it("close fails queued requests and unloads everything", async () => {
    const { loader, engine } = setup(["a"]);
    const held = await loader.acquire("a");
    const queued = loader.acquire("a");
    const closing = loader.close();
    expect((await rejection(queued)).code).toBe("MODEL_CLOSED");
    held.release();
    await closing;
    expect(engine.openModels.size).toBe(0);
    expect((await rejection(loader.acquire("a"))).code).toBe("MODEL_CLOSED");
  });
});

describe("LazyLoader under random load", () => {
  it("keeps its invariants: never over max_loaded, never closes a model in use, every request ends", async () => {
    let seed = 42;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const engine = new FakeEngine({ loadDelayMs: () => Math.floor(rand() * 4) });
    const { loader, events } = setup(["a", "b", "c", "d", "e"], { max_loaded_experts: 2, max_queued_requests: 1000 }, engine);
    let resident = 0;
    let maxResident = 0;
    loader.on("loaded", () => (maxResident = Math.max(maxResident, ++resident)));
    loader.on("unloaded", () => resident--);
    const outcomes = { served: 0, aborted: 0 };
    const request = async (i: number) => {
      await tick(Math.floor(rand() * 20));
      const ac = new AbortController();
      if (rand() < 0.2) setTimeout(() => ac.abort(), Math.floor(rand() * 10));
      try {
        const lease = await loader.acquire("abcde"[i % 5]!, ac.signal);
        await tick(Math.floor(rand() * 5));
        expect(lease.model.closed).toBe(false);
        lease.release();
        outcomes.served++;
      } catch (err) {
        expect(err).toBeInstanceOf(AbortError);
        outcomes.aborted++;
      }
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => request(i)));
    expect(outcomes.served + outcomes.aborted).toBe(200);
    expect(outcomes.served).toBeGreaterThan(100);
    expect(maxResident).toBeLessThanOrEqual(2);
    expect(engine.openModels.size).toBeLessThanOrEqual(2);
    expect(loader.status().every((s) => s.active === 0 && s.queued === 0)).toBe(true);
    expect(events.some((e) => e.type === "unloaded" && e.reason === "evicted")).toBe(true);
  });
});
