// Remote experts end to end: two capibara processes on loopback, a models host serving
// `mistral_balanced` and a gateway whose expert `big` is that host (url), with a local fallback
// expert `small`. Both run the real CLI `serve` with the fake engine (deterministic text). `small`'s
// model file has the host's file name, so the fake engine gives both the same answer: an answer
// continued on `small` must then read exactly as the host's uninterrupted one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeReply } from "../helpers/fake-engine.js";
import { fakeModel, freePort, startHost, stopHost, type HostProcess } from "./remote-procs.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-remote-"));
let hostPort: number;
let host: HostProcess | undefined;
let gateway: HostProcess | undefined;
const hostConfig = join(dir, "host.json");

const startModelsHost = () => startHost(["--config", hostConfig, "--port", String(hostPort)], { tokenDelayMs: 10, replyTokens: 1000 });

beforeAll(async () => {
  hostPort = await freePort();
  writeFileSync(hostConfig, JSON.stringify({ experts: [{ name: "mistral_balanced", domain: "technical", model_path: fakeModel(dir, "mistral_balanced"), parallel: 4 }] }));
  const gatewayConfig = join(dir, "gateway.json");
  const gatewayModels = join(dir, "gateway-models");
  mkdirSync(gatewayModels);
  writeFileSync(
    gatewayConfig,
    JSON.stringify({
      experts: [
        { name: "big", domain: "technical", priority: 1, url: `http://127.0.0.1:${hostPort}/v1`, upstream_model: "mistral_balanced", timeout_s: 5, sampling: { max_tokens: 6 } },
        { name: "small", domain: "general", priority: 2, model_path: fakeModel(gatewayModels, "mistral_balanced") },
      ],
    }),
  );
  [host, gateway] = await Promise.all([startModelsHost(), startHost(["--config", gatewayConfig, "--port", "0"], { replyTokens: 1000 })]);
  await until(async () => (await models()).find((m) => m.id === "big")?.state === "remote-up");
}, 120_000);

afterAll(async () => {
  await Promise.all([stopHost(host), stopHost(gateway)]);
  rmSync(dir, { recursive: true, force: true });
});

interface ModelEntry {
  id: string;
  state: string;
  remote: boolean;
}
const models = async (): Promise<ModelEntry[]> => ((await (await fetch(`${gateway!.url}/v1/models`)).json()) as { data: ModelEntry[] }).data;
const stats = async () => (await (await fetch(`${gateway!.url}/stats`)).json()) as { continuations_total: number; experts: Record<string, { state: string; requests: number; completion_tokens: number; prompt_tokens: number; remote: boolean }> };
const user = (content: string) => [{ role: "user" as const, content }];
async function until(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 50));
  }
}
const post = (url: string, path: string, body: object) => fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("remote experts (gateway + models host, two processes)", () => {
  it("lists the remote expert as remote and up; local ones as local", async () => {
    const list = await models();
    expect(list.find((m) => m.id === "big")).toMatchObject({ remote: true, state: "remote-up" });
    expect(list.find((m) => m.id === "small")).toMatchObject({ remote: false, state: "unloaded" });
    const metrics = await (await fetch(`${gateway!.url}/metrics`)).text();
    expect(metrics).toMatch(/capibara_remote_up\{expert="big"\} 1/);
  });

  it("passes messages and sampling through: the answer equals the upstream's own, under the gateway's name; usage is counted", async () => {
    const before = (await stats()).experts.big!;
    // The gateway adds only its expert's own default (max_tokens 6); the seed goes through as is.
    const direct = (await (await post(host!.url, "/v1/chat/completions", { model: "mistral_balanced", messages: user("hello there"), seed: 5, max_tokens: 6 })).json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
      usage: object;
    };
    const res = await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("hello there"), seed: 5 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-capibara-expert")).toBe("big");
    const body = (await res.json()) as typeof direct & { model: string };
    expect(body.model).toBe("big");
    expect(body.choices[0]!.message.content).toBe(direct.choices[0]!.message.content);
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(body.usage).toEqual(direct.usage);
    const other = (await (await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("hello there"), seed: 6 })).json()) as typeof direct;
    expect(other.choices[0]!.message.content).not.toBe(direct.choices[0]!.message.content);
    const after = (await stats()).experts.big!;
    expect(after.requests - before.requests).toBe(2);
    expect(after.completion_tokens - before.completion_tokens).toBe(12);
    expect(after.prompt_tokens - before.prompt_tokens).toBe(4);
  });

  it("streams chunk by chunk (openai client) with the gateway's name on every chunk, and completions too", async () => {
    const client = new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "technical", messages: user("stream please"), stream: true, stream_options: { include_usage: true }, max_tokens: 5, seed: 1 });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.model === "big")).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(5);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 5 });
    const direct = (await (await post(host!.url, "/v1/completions", { model: "mistral_balanced", prompt: "one two", max_tokens: 3 })).json()) as { choices: { text: string }[] };
    const text = await client.completions.create({ model: "big", prompt: "one two", max_tokens: 3 });
    expect(text.model).toBe("big");
    expect(text.choices[0]!.text).toBe(direct.choices[0]!.text);
  });

  it("an upstream 400 (prompt over its context) reaches the client as a 400 OpenAI error", async () => {
    const res = await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("w ".repeat(5000)) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.message).toMatch(/HTTP 400: .*context/);
  });

  it("killing the models host: requests with nothing sent yet are retried on the fallback, streams continue there from where they stopped; a restarted host is used again", async () => {
    const ask = (stream: boolean) => post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("a long one"), stream, max_tokens: 300 });
    const expected = fakeReply("mistral_balanced.gguf", user("a long one"), 300).join(" ");
    // Four streams fill the host's four slots; two more requests wait there, nothing answered yet.
    const streams = await Promise.all([0, 1, 2, 3].map(async () => new SseReader(await ask(true)).read(3)));
    const waiting = [ask(true), ask(false)];
    await until(async () => ((await (await fetch(`${host!.url}/stats`)).json()) as { experts: { mistral_balanced: { queued: number } } }).experts.mistral_balanced.queued === 2);
    await stopHost(host, "SIGKILL");

    for (const s of streams) {
      await s.read();
      expect(s.data.at(-1)).toBe("[DONE]");
      expect(s.chunks().filter((c) => c.error)).toEqual([]);
      // One answer, no text repeated or lost: the host's first words, then small's from where they stopped.
      expect(s.contents.join("")).toBe(expected);
      const marks = s.chunks().filter((c) => c.x_capibara);
      expect(marks).toHaveLength(1);
      expect(marks[0]!.x_capibara).toMatchObject({ continued_from: "big", continued_on: "small", error: expect.stringMatching(/failed mid-stream/) });
      expect(s.chunks().every((c) => c.model === "big")).toBe(true);
    }
    const [retriedStream, retriedPlain] = await Promise.all(waiting);
    for (const r of [retriedStream!, retriedPlain!]) {
      expect(r.status).toBe(200);
      expect(r.headers.get("x-capibara-expert")).toBe("small");
      expect(r.headers.get("x-capibara-fallback")).toBe("big");
    }
    const retried = await new SseReader(retriedStream!).read();
    expect(retried.contents.join("")).toBe(expected);
    expect(retried.chunks().some((c) => c.x_capibara)).toBe(false);
    expect(((await retriedPlain!.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(expected);
    const after = await stats();
    expect(after.experts.big!.state).toBe("remote-down");
    expect(after.continuations_total).toBe(4);
    expect(await (await fetch(`${gateway!.url}/metrics`)).text()).toMatch(/capibara_continuations_total\{from="big",expert="small"\} 4/);

    const next = await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("are you there?") });
    expect(next.status).toBe(200);
    expect(next.headers.get("x-capibara-expert")).toBe("small");
    expect(next.headers.get("x-capibara-fallback")).toBe("big");
    expect(((await next.json()) as { model: string }).model).toBe("small");

    host = await startModelsHost();
    await until(async () => (await models()).find((m) => m.id === "big")?.state === "remote-up", 10_000);
    const back = await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("back?") });
    expect(back.headers.get("x-capibara-expert")).toBe("big");
  }, 60_000);

  it("a models host stopped with SIGTERM finishes its streams while /health answers 503 and new requests fall back, then exits", async () => {
    const stream = await new SseReader(await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("drain me"), stream: true, max_tokens: 100 })).read(3);
    const exited = stopHost(host, "SIGTERM");
    await until(async () => (await fetch(`${host!.url}/health`)).status === 503, 5000);
    const during = await post(gateway!.url, "/v1/chat/completions", { model: "big", messages: user("are you there?") });
    expect(during.headers.get("x-capibara-expert")).toBe("small");
    await stream.read();
    expect(stream.data.at(-1)).toBe("[DONE]");
    expect(stream.chunks().some((c) => c.error || c.x_capibara)).toBe(false);
    expect(stream.contents.join("")).toBe(fakeReply("mistral_balanced.gguf", user("drain me"), 100).join(" "));
    await exited;
  }, 30_000);
});

interface StreamChunk {
  model?: string;
  choices?: { delta?: { content?: string } }[];
  error?: unknown;
  x_capibara?: unknown;
}

/** An event stream read as it comes: the `data:` payloads so far. */
class SseReader {
  readonly data: string[] = [];
  private buffer = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(res: Response) {
    expect(res.status).toBe(200);
    this.reader = res.body!.getReader();
  }

  chunks(): StreamChunk[] {
    return this.data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as StreamChunk);
  }

  get contents(): string[] {
    return this.chunks().flatMap((c) => c.choices?.[0]?.delta?.content || []);
  }

  /** Reads until `contents` pieces have come, or to the end. */
  async read(contents = Infinity): Promise<this> {
    while (this.contents.length < contents) {
      const { value, done } = await this.reader.read();
      if (done) break;
      this.buffer += this.decoder.decode(value, { stream: true });
      const events = this.buffer.split("\n\n");
      this.buffer = events.pop()!;
      for (const e of events) if (e.startsWith("data: ")) this.data.push(e.slice(6));
    }
    return this;
  }
}
