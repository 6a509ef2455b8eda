import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../lib/engine/types.js";
import { AbortError, CapibaraError } from "../../lib/errors.js";
import { createSystem, type CapibaraSystem, type SystemLogger } from "../../lib/system.js";
import { FakeEngine, fakeReply, fiveExpertConfig } from "../helpers/fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-system-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const systems: CapibaraSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.close()));
});

async function make(engine = new FakeEngine(), overrides: Parameters<typeof fiveExpertConfig>[1] = {}, logger?: SystemLogger) {
  const system = await createSystem(fiveExpertConfig(dir, overrides), { loadModel: engine.loadModel, logger });
  systems.push(system);
  return system;
}

const user = (content: string) => [{ role: "user" as const, content }];

async function rejection(p: Promise<unknown>): Promise<CapibaraError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CapibaraError);
    return err as CapibaraError;
  }
  throw new Error("expected a rejection");
}

describe("createSystem", () => {
  it("routes automatically to each domain's expert and reports why", async () => {
    const system = await make();
    const cases: Array<[ChatMessage[], string]> = [
      [user("Write a Python function that reverses a linked list"), "qwen_coder"],
      [user("Explain how TCP congestion control works in networks"), "mistral_balanced"],
      [user("What should I cook for dinner tonight with my family?"), "phi4_fast"],
      [user("Bonjour, pouvez-vous m'aider à écrire une lettre à ma grand-mère ?"), "aya_multilingual"],
      [[{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] }], "gemma3_multimodal"],
    ];
    for (const [messages, expert] of cases) {
      const res = await system.chat({ messages });
      expect(res.route.expert).toBe(expert);
      expect(res.route.requested).toBe("auto");
      expect(res.route.reason).toMatch(/^auto: /);
      expect(res.route.decision?.confidence).toBeGreaterThan(0);
      await res.text();
    }
    expect(system.stats().router).toEqual({
      routed_total: 5,
      by_domain: { coding: 1, technical: 1, general: 1, multilingual_expert: 1, multimodal_expert: 1 },
    });
  });

  it("accepts an expert name or a domain as the model; unknown names are MODEL_NOT_FOUND", async () => {
    const system = await make();
    expect(system.route(user("hi"), "qwen_coder")).toMatchObject({ expert: "qwen_coder", reason: "requested expert qwen_coder", decision: null });
    expect(system.route(user("hi"), "technical")).toMatchObject({ expert: "mistral_balanced", domain: "technical" });
    const err = await rejection(system.chat({ messages: user("hi"), model: "gpt-4" }));
    expect(err.code).toBe("MODEL_NOT_FOUND");
    expect(err.message).toMatch(/available: auto, phi4_fast/);
  });

  it("streams the engine's text with merged sampling options and records stats", async () => {
    const engine = new FakeEngine({ replyTokens: 6 });
    const system = await make(engine);
    const res = await system.chat({ messages: user("hello there"), model: "phi4_fast", seed: 3 });
    const chunks: string[] = [];
    for await (const c of res) chunks.push(c.text);
    const expected = fakeReply(join(dir, "phi4_fast.gguf"), user("hello there"), 6, 3);
    expect(chunks.join("")).toBe(expected.join(" "));
    const stats = await res.stats;
    expect(stats).toMatchObject({ expert: "phi4_fast", promptTokens: 2, generatedTokens: 6, stopReason: "eos" });
    expect(stats.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    const s = system.stats().experts.phi4_fast!;
    expect(s).toMatchObject({ loaded: true, requests: 1, prompt_tokens: 2, completion_tokens: 6, active: 0, queued: 0 });
    expect(s.tokens_per_second).toBeGreaterThan(0);
    expect(s.last_used).toMatch(/^\d{4}-/);
    expect(system.stats().requests_total).toBe(1);
  });

  it("maxTokens and stop reach the engine", async () => {
    const system = await make(new FakeEngine({ replyTokens: 10 }));
    const short = await system.chat({ messages: user("x"), model: "phi4_fast", maxTokens: 3 });
    expect((await short.text()).split(" ")).toHaveLength(3);
    expect((await short.stats).stopReason).toBe("maxTokens");
    const words = fakeReply(join(dir, "phi4_fast.gguf"), user("x"), 10);
    const stopped = await system.chat({ messages: user("x"), model: "phi4_fast", stop: [words[2]!] });
    expect(await stopped.text()).toBe(words.slice(0, 2).join(" "));
  });

  it("a prompt over the context size is CONTEXT_FULL and frees the slot", async () => {
    const system = await make(new FakeEngine({ contextSize: 8 }));
    const err = await rejection(system.chat({ messages: user("one two three four five six seven eight nine"), model: "phi4_fast" }));
    expect(err.code).toBe("CONTEXT_FULL");
    expect(err.message).toMatch(/expert phi4_fast: 9 tokens exceed the context size 8/);
    expect(system.stats().experts.phi4_fast).toMatchObject({ active: 0, failed_requests: 1 });
  });

  it("falls back to the next expert by priority when the routed one cannot load, and reports it", async () => {
    const engine = new FakeEngine();
    engine.failing.add("qwen_coder");
    const warnings: object[] = [];
    const logger: SystemLogger = { info: () => undefined, error: () => undefined, warn: (o) => warnings.push(o) };
    const system = await make(engine, {}, logger);
    const res = await system.chat({ messages: user("Write a Python function that reverses a linked list") });
    expect(res.route.expert).toBe("phi4_fast"); // priority 1 comes first among the others
    expect(res.route.domain).toBe("coding");
    expect(res.route.fallbacks).toEqual([{ expert: "qwen_coder", error: expect.stringMatching(/failed to load/) }]);
    expect(res.route.reason).toMatch(/fallback to phi4_fast: qwen_coder failed to load/);
    await res.text();
    expect(warnings).toHaveLength(1);
    expect(system.stats()).toMatchObject({ fallbacks_total: 1, experts: { qwen_coder: { load_failures: 1 } } });
  });

  it("messages with images fall back only to experts that can see them", async () => {
    const engine = new FakeEngine();
    engine.failing.add("gemma3_multimodal");
    const system = await make(engine);
    const image: ChatMessage[] = [{ role: "user", content: [{ type: "text", text: "What is in this picture?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }];
    const err = await rejection(system.chat({ messages: image, model: "gemma3_multimodal" }));
    // The four others have no vision projector: none is tried, so none answers NO_VISION.
    expect(err.code).toBe("EXPERT_LOAD_FAILED");
    expect(engine.loadCalls.map((p) => p.split("/").at(-1))).toEqual(["gemma3_multimodal.gguf"]);
  });

  it("when no expert can load, the error lists every attempt", async () => {
    const engine = new FakeEngine();
    engine.failing.add(".gguf");
    const system = await make(engine);
    const err = await rejection(system.chat({ messages: user("hi"), model: "phi4_fast" }));
    expect(err.code).toBe("EXPERT_LOAD_FAILED");
    expect(err.message).toMatch(/no expert could be loaded/);
    expect(err.message.match(/failed to load/g)).toHaveLength(5);
  });

  it("aborting mid-generation stops the engine and frees the slot", async () => {
    const engine = new FakeEngine({ tokenDelayMs: 20, replyTokens: 50 });
    const system = await make(engine);
    const ac = new AbortController();
    const res = await system.chat({ messages: user("x"), model: "phi4_fast", signal: ac.signal });
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of res) if (++n === 2) ac.abort();
      })(),
    ).rejects.toBeInstanceOf(AbortError);
    expect(engine.abortedGenerations).toBe(1);
    await expect(res.stats).rejects.toBeInstanceOf(AbortError);
    expect(system.stats().experts.phi4_fast).toMatchObject({ active: 0, failed_requests: 0 });
    // The slot is free again: the next request is served.
    expect(await (await system.chat({ messages: user("y"), model: "phi4_fast", maxTokens: 2 })).text()).not.toBe("");
  });

  it("cancel() before iterating frees the slot", async () => {
    const system = await make();
    const res = await system.chat({ messages: user("x"), model: "phi4_fast" });
    expect(system.stats().experts.phi4_fast!.active).toBe(1);
    res.cancel();
    expect(system.stats().experts.phi4_fast!.active).toBe(0);
  });

  it("complete() takes a raw prompt and routes it", async () => {
    const system = await make();
    const res = await system.complete({ prompt: "def fibonacci(n):\n    # return the n-th Fibonacci number in Python" });
    expect(res.route.expert).toBe("qwen_coder");
    expect(await res.text()).not.toBe("");
  });

  it("preloads the `preload` list, loads from a file path, and close() unloads everything", async () => {
    const engine = new FakeEngine();
    const file = join(dir, "config.json");
    const cfg = fiveExpertConfig(dir, { lazy_loading: { preload: ["mistral_balanced"] } });
    writeFileSync(file, JSON.stringify(cfg));
    const system = await createSystem(file, { loadModel: engine.loadModel });
    await system.ready;
    expect(system.stats().experts.mistral_balanced!.loaded).toBe(true);
    expect(engine.openModels.size).toBe(1);
    await system.close();
    expect(engine.openModels.size).toBe(0);
    expect((await rejection(system.chat({ messages: user("x") }))).code).toBe("MODEL_CLOSED");
  });
});
