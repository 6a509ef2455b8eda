// End to end with the real engine: five random-weight GGUF models (one per architecture, from the
// test recipes) behind the real server, queried with the official `openai` client. The text is
// noise; what is checked is the system around it: routing, lazy loading with eviction, streaming,
// usage, abort.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_EXPERTS } from "../../lib/config/index.js";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";
import { buildModel } from "../fixtures/recipes.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = (content: string) => [{ role: "user" as const, content }];

describe("server with the real engine (random-weight models)", () => {
  let system: CapibaraSystem;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    // The shared fixture cache (.cache/models) keeps the files between suites.
    const experts = [];
    for (const e of DEMO_EXPERTS) {
      experts.push({ name: e.name, domain: e.domain, priority: e.priority, model_path: await buildModel(e.arch, "f16"), n_ctx: 256, n_threads: 2, sampling: { temperature: 0, max_tokens: 6 } });
    }
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ experts, lazy_loading: { max_loaded_experts: 2, auto_unload_after_s: 60 } }));
    system = await createSystem(file);
    server = await startServer(system, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => server?.close());

  it("routes to each domain's architecture and answers; at most two models stay resident", async () => {
    const cases: Array<[string, string]> = [
      ["Write a Python function that reverses a linked list", "qwen_coder"],
      ["Explain how TCP congestion control works in networks", "mistral_balanced"],
      ["What should I cook for dinner tonight with my family?", "phi4_fast"],
      ["Bonjour, pouvez-vous m'aider à écrire une lettre à ma grand-mère ?", "aya_expanse_multilingual"],
    ];
    for (const [content, expert] of cases) {
      const res = await client.chat.completions.create({ model: "auto", messages: user(content) });
      expect(res.model, content).toBe(expert);
      expect(typeof res.choices[0]!.message.content).toBe("string");
      expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
      expect(res.usage!.completion_tokens).toBeGreaterThan(0);
      expect(res.usage!.completion_tokens).toBeLessThanOrEqual(6);
      const loaded = Object.values(system.stats().experts).filter((e) => e.loaded).length;
      expect(loaded).toBeLessThanOrEqual(2);
    }
    const stats = system.stats();
    expect(stats.experts["qwen_coder"]!.load_time_ms).toBeGreaterThan(0);
    expect(stats.experts["qwen_coder"]!.state).toBe("unloaded"); // evicted by the later ones
  });

  it("streams with usage, greedy output is reproducible", async () => {
    const run = async () => {
      const stream = await client.chat.completions.create({
        model: "phi4_fast",
        messages: user("hello"),
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 5,
        temperature: 0,
      });
      let text = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? "";
        usage = c.usage ?? usage;
      }
      return { text, usage };
    };
    const a = await run();
    const b = await run();
    expect(a.usage!.completion_tokens).toBeGreaterThan(0);
    expect(a.usage!.completion_tokens).toBeLessThanOrEqual(5);
    expect(b.text).toBe(a.text);
  });

  it("a client abort frees the expert for the next request", async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "mistral_balanced", messages: user("go on"), stream: true, max_tokens: 200, temperature: 0.8 },
      { signal: ac.signal },
    );
    for await (const _ of stream) {
      ac.abort();
    }
    const next = await client.chat.completions.create({ model: "mistral_balanced", messages: user("again"), max_tokens: 2 });
    expect(next.usage!.completion_tokens).toBeGreaterThan(0);
    expect(system.stats().experts["mistral_balanced"]!.active).toBe(0);
  });
});
