// End to end: the real fastify server on 127.0.0.1 (port 0), queried with the official `openai`
// client, unmodified. The engine is the fake one (deterministic text).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";
import { FakeEngine, fakeReply, fiveExpertConfig } from "../helpers/fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Harness {
  engine: FakeEngine;
  system: CapibaraSystem;
  server: RunningServer;
  client: OpenAI;
}

async function harness(engine: FakeEngine, overrides: Parameters<typeof fiveExpertConfig>[1] = {}, apiKey = "unused"): Promise<Harness> {
  const system = await createSystem(fiveExpertConfig(join(dir, String(Math.random()).slice(2)), overrides), { loadModel: engine.loadModel });
  const server = await startServer(system, { port: 0 });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
  return { engine, system, server, client };
}

const user = (content: string) => [{ role: "user" as const, content }];
const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("OpenAI-compatible server (openai client)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(new FakeEngine({ replyTokens: 6, tokenDelayMs: 1, kvCacheBytes: 4096 }), { server: { body_limit_bytes: 64 * 1024 } });
  });
  afterAll(async () => h.server.close());

  it("binds loopback and answers /health", async () => {
    expect(h.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${h.server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", experts: 5 });
  });

  it("non-streaming chat: text, usage, model = expert, route headers", async () => {
    const { data, response } = await h.client.chat.completions
      .create({ model: "phi4_fast", messages: user("hello world"), seed: 7, temperature: 0.5, top_p: 0.9 })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("phi4_fast");
    expect(data.choices[0]!.message.content).toBe(fakeReply(join(h.system.config.experts[0]!.model_path!), user("hello world"), 6, 7).join(" "));
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage).toEqual({ prompt_tokens: 2, completion_tokens: 6, total_tokens: 8, prompt_tokens_details: { cached_tokens: 0 } });
    expect(response.headers.get("x-capibara-expert")).toBe("phi4_fast");
    expect(response.headers.get("x-capibara-route-reason")).toBe("requested expert phi4_fast");
  });

  it("streaming chat: role first, content deltas, finish reason, usage, [DONE]", async () => {
    const stream = await h.client.chat.completions.create({
      model: "coding",
      messages: user("hello world"),
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 4,
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text.split(" ")).toHaveLength(4);
    expect(chunks.every((c) => c.model === "qwen_coder" && c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("length");
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6, prompt_tokens_details: { cached_tokens: 0 } });
  });

  it("routes automatically to each domain (model omitted or auto)", async () => {
    const cases: Array<[string, string]> = [
      ["Write a Python function that reverses a linked list", "qwen_coder"],
      ["Explain how TCP congestion control works in networks", "mistral_balanced"],
      ["What should I cook for dinner tonight with my family?", "phi4_fast"],
      ["Bonjour, pouvez-vous m'aider à écrire une lettre à ma grand-mère ?", "aya_multilingual"],
    ];
    for (const [content, expert] of cases) {
      const { data, response } = await h.client.chat.completions.create({ model: "auto", messages: user(content) }).withResponse();
      expect(data.model, content).toBe(expert);
      expect(response.headers.get("x-capibara-route-reason")).toMatch(/^auto: /);
    }
    const image = await h.client.chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] }],
    });
    expect(image.model).toBe("gemma3_multimodal");
    // An image sent to an expert without a vision projector is the client's error.
    const noVision = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "phi4_fast", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] }] }),
    });
    expect(noVision.status).toBe(400);
    expect(((await noVision.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "no_vision",
      message: "expert phi4_fast has no vision projector (mmproj_path)",
    });
    const local = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "file:///etc/hostname" } }] }] }),
    });
    expect(local.status).toBe(400);
    expect(((await local.json()) as { error: { message: string } }).error.message).toMatch(/allow_local_images/);
    // `model` omitted entirely (not possible through the typed client).
    const res = await fetch(`${h.server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: user(cases[0]![0]) }) });
    expect(((await res.json()) as { model: string }).model).toBe("qwen_coder");
  });

  it("/v1/completions, streaming and not", async () => {
    const done = await h.client.completions.create({ model: "phi4_fast", prompt: "once upon a time", max_tokens: 3 });
    expect(done.object).toBe("text_completion");
    expect(done.choices[0]!.text.split(" ")).toHaveLength(3);
    const stream = await h.client.completions.create({ model: "phi4_fast", prompt: "once upon a time", max_tokens: 3, stream: true });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.text ?? "";
    expect(text).toBe(done.choices[0]!.text);
  });

  it("/v1/models lists auto and the five experts with their load state", async () => {
    const models = [];
    for await (const m of h.client.models.list()) models.push(m as typeof m & { state: string; domain: string });
    expect(models.map((m) => m.id)).toEqual(["auto", "phi4_fast", "mistral_balanced", "qwen_coder", "gemma3_multimodal", "aya_multilingual"]);
    expect(models.find((m) => m.id === "phi4_fast")!.state).toBe("loaded");
    expect((await h.client.models.retrieve("qwen_coder")).id).toBe("qwen_coder");
  });

  it("OpenAI errors with the right status for bad requests", async () => {
    const err = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return e as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error("expected an error");
    };
    const unknown = await err(h.client.chat.completions.create({ model: "gpt-4o", messages: user("hi") }));
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown).toMatchObject({ status: 404, code: "model_not_found", param: "model", type: "invalid_request_error" });
    const n = await err(h.client.chat.completions.create({ model: "auto", messages: user("hi"), n: 2 }));
    expect(n).toMatchObject({ status: 400, param: "n" });
    const temp = await err(h.client.chat.completions.create({ model: "auto", messages: user("hi"), temperature: 7 }));
    expect(temp).toMatchObject({ status: 400, param: "temperature" });
    const role = await err(h.client.chat.completions.create({ model: "auto", messages: [{ role: "robot", content: "x" } as never] }));
    expect(role).toMatchObject({ status: 400, param: "messages[0].role" });
    const long = await err(h.client.chat.completions.create({ model: "phi4_fast", messages: user("word ".repeat(600)) }));
    expect(long).toMatchObject({ status: 400, code: "context_length_exceeded" });

    const post = (body: string, type = "application/json") => fetch(`${h.server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": type }, body });
    const badJson = await post("{ not json");
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_json" } });
    const big = await post(JSON.stringify({ messages: user("x".repeat(100 * 1024)) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "body_too_large" } });
    const noRoute = await fetch(`${h.server.url}/v2/nothing`);
    expect(noRoute.status).toBe(404);
    expect(await noRoute.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("/stats and /metrics report experts, tokens, routing and latency", async () => {
    const stats = (await (await fetch(`${h.server.url}/stats`)).json()) as ReturnType<CapibaraSystem["stats"]>;
    expect(stats.experts.phi4_fast).toMatchObject({ loaded: true, parallel: 1, cached_prompt_tokens: 0, batch_size: 0, kv_cache_usage_perc: 0 });
    expect(stats.experts.phi4_fast!.kv_cache_bytes).toBe(4096);
    expect(stats.experts.phi4_fast!.requests).toBeGreaterThan(0);
    expect(stats.experts.phi4_fast!.completion_tokens).toBeGreaterThan(0);
    expect(stats.router.by_domain.coding).toBeGreaterThan(0);
    const metrics = await (await fetch(`${h.server.url}/metrics`)).text();
    expect(metrics).toMatch(/capibara_requests_total\{endpoint="chat",expert="phi4_fast",status="200"\} \d+/);
    expect(metrics).toMatch(/capibara_request_duration_seconds_bucket\{le="0\.05",endpoint="chat",expert="phi4_fast"\}/);
    expect(metrics).toMatch(/capibara_time_to_first_token_seconds_count\{expert="qwen_coder"\} \d+/);
    expect(metrics).toMatch(/capibara_tokens_total\{expert="phi4_fast",kind="completion"\} \d+/);
    expect(metrics).toMatch(/capibara_loaded_experts \d/);
    expect(metrics).toMatch(/capibara_queue_depth\{expert="phi4_fast"\} 0/);
    expect(metrics).toMatch(/capibara_kv_cache_usage_perc\{expert="phi4_fast"\} 0/);
    expect(metrics).toMatch(/capibara_batch_size\{expert="phi4_fast"\} 0/);
    expect(metrics).toMatch(/capibara_kv_cache_bytes\{expert="phi4_fast"\} 4096/);
    expect(metrics).toMatch(/capibara_cached_prompt_tokens_total\{expert="phi4_fast"\} 0/);
    expect(metrics).toMatch(/capibara_requests_total\{endpoint="chat",expert="none",status="404"\} 1/);
  });

  it("admin: load / unload an expert, with progress as server-sent events", async () => {
    await fetch(`${h.server.url}/admin/experts/aya_multilingual/unload`, { method: "POST" }); // earlier tests used it
    const ac = new AbortController();
    const events = await fetch(`${h.server.url}/admin/events`, { signal: ac.signal });
    expect(events.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();
    let seen = "";
    const read = (async () => {
      const dec = new TextDecoder();
      while (!seen.includes("event: unloaded")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += dec.decode(value);
      }
    })();
    expect((await fetch(`${h.server.url}/admin/experts/aya_multilingual/load`, { method: "POST" })).status).toBe(200);
    expect(h.system.stats().experts.aya_multilingual!.loaded).toBe(true);
    expect((await fetch(`${h.server.url}/admin/experts/aya_multilingual/unload`, { method: "POST" })).status).toBe(200);
    await read;
    ac.abort();
    expect(seen).toMatch(/^event: snapshot\n/);
    expect(seen).toMatch(/event: loading\ndata: \{"type":"loading","expert":"aya_multilingual","reason":"admin"/);
    expect(seen).toMatch(/event: loaded\n/);
    expect(seen).toMatch(/event: unloaded\ndata: .*"reason":"admin"/);
    expect((await fetch(`${h.server.url}/admin/experts/nope/load`, { method: "POST" })).status).toBe(404);
  });
});

describe("server under pressure", () => {
  it("a client that aborts a stream aborts the server-side generation and frees the slot", async () => {
    const h = await harness(new FakeEngine({ replyTokens: 500, tokenDelayMs: 5 }));
    try {
      const ac = new AbortController();
      const stream = await h.client.chat.completions.create({ model: "phi4_fast", messages: user("go"), stream: true }, { signal: ac.signal });
      let n = 0;
      // The client ends its iteration quietly on abort; what matters is the server side.
      for await (const _ of stream) if (++n === 3) ac.abort();
      expect(n).toBe(3);
      await until(() => h.engine.abortedGenerations === 1);
      await until(() => h.system.stats().experts.phi4_fast!.active === 0);
      const next = await h.client.chat.completions.create({ model: "phi4_fast", messages: user("again"), max_tokens: 2 });
      expect(next.choices[0]!.message.content!.split(" ")).toHaveLength(2);
    } finally {
      await h.server.close();
    }
  });

  it("a client that disconnects from a non-streaming request aborts its generation too", async () => {
    const h = await harness(new FakeEngine({ replyTokens: 500, tokenDelayMs: 5 }));
    try {
      const ac = new AbortController();
      const req = fetch(`${h.server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "phi4_fast", messages: user("go") }),
        signal: ac.signal,
      });
      await until(() => h.engine.activeGenerations === 1);
      ac.abort();
      await expect(req).rejects.toThrow();
      await until(() => h.engine.abortedGenerations === 1);
      await until(() => h.system.stats().experts.phi4_fast!.active === 0);
      const metrics = await (await fetch(`${h.server.url}/metrics`)).text();
      expect(metrics).toMatch(/capibara_requests_total\{endpoint="chat",expert="phi4_fast",status="499"\} 1/);
    } finally {
      await h.server.close();
    }
  });

  it("a full queue answers 429; an expert that cannot load falls back by priority with a header", async () => {
    const engine = new FakeEngine({ replyTokens: 20, tokenDelayMs: 10 });
    engine.failing.add("mistral_balanced");
    const h = await harness(engine, { lazy_loading: { max_queued_requests: 1 } });
    try {
      const running = h.client.chat.completions.create({ model: "phi4_fast", messages: user("a") });
      await until(() => h.system.stats().experts.phi4_fast!.active === 1);
      const queued = h.client.chat.completions.create({ model: "phi4_fast", messages: user("b") });
      await until(() => h.system.stats().experts.phi4_fast!.queued === 1);
      await expect(h.client.chat.completions.create({ model: "phi4_fast", messages: user("c") })).rejects.toMatchObject({ status: 429, code: "queue_full" });
      await Promise.all([running, queued]);

      const { data, response } = await h.client.chat.completions.create({ model: "technical", messages: user("x"), max_tokens: 1 }).withResponse();
      expect(data.model).toBe("phi4_fast");
      expect(response.headers.get("x-capibara-fallback")).toBe("mistral_balanced");
      expect(response.headers.get("x-capibara-route-reason")).toMatch(/fallback to phi4_fast: mistral_balanced failed to load/);
    } finally {
      await h.server.close();
    }
  });

  it("an API key is required when configured (401), except on /health", async () => {
    const h = await harness(new FakeEngine(), { server: { api_key: "s3cret" } }, "wrong");
    try {
      await expect(h.client.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
      expect((await fetch(`${h.server.url}/health`)).status).toBe(200);
      const ok = new OpenAI({ baseURL: `${h.server.url}/v1`, apiKey: "s3cret", maxRetries: 0 });
      expect((await ok.chat.completions.create({ model: "auto", messages: user("hi") })).choices).toHaveLength(1);
    } finally {
      await h.server.close();
    }
  });
});
