// The generation endpoints answer the same through the fast lane (a real socket) as through
// fastify (app.inject, which never reaches the HTTP server): bodies, statuses, headers, streams,
// errors and log lines. The log's request ids say which way each request went.
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem } from "../../lib/system.js";
import { FakeEngine, fiveExpertConfig } from "../helpers/fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-lane-"));
const KEY = "lane-key";
const LIMIT = 16 * 1024;
let server: RunningServer;
const logs: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const system = await createSystem(fiveExpertConfig(dir, { server: { body_limit_bytes: LIMIT } }), { loadModel: new FakeEngine({ replyTokens: 5 }).loadModel });
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  server = await startServer(system, { port: 0, apiKey: KEY, logger });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
  reqId: unknown;
}

const SHOWN = ["content-type", "cache-control", "x-capibara-expert", "x-capibara-domain", "x-capibara-route-reason", "x-capibara-fallback"];

/** The parts of a response that do not change from one request to the next (ids and clocks do). */
function answer(status: number, headers: (name: string) => string | undefined, text: string): Omit<Answer, "reqId"> {
  const stable = (v: unknown): unknown => (v && typeof v === "object" && !Array.isArray(v) ? { ...v, id: "-", created: 0 } : v);
  const sse = headers("content-type")?.startsWith("text/event-stream");
  const body = sse
    ? text.split("\n\n").filter(Boolean).map((e) => (e === "data: [DONE]" ? e : stable(JSON.parse(e.replace(/^data: /, "")))))
    : stable(JSON.parse(text));
  return { status, headers: Object.fromEntries(SHOWN.map((h) => [h, headers(h)])), body };
}

const lastReqId = (): unknown => logs.filter((l) => l.msg === "request completed").at(-1)?.reqId;

async function overSocket(url: string, payload: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(server.url + url, { method: "POST", headers, body: payload });
  const a = answer(res.status, (h) => res.headers.get(h) ?? undefined, await res.text());
  await new Promise((r) => setTimeout(r, 20));
  return { ...a, reqId: lastReqId() };
}

async function throughFastify(url: string, payload: string, headers: Record<string, string>): Promise<Answer> {
  const res = await server.app.inject({ method: "POST", url, headers, payload });
  const a = answer(res.statusCode, (h) => (res.headers[h] === undefined ? undefined : String(res.headers[h])), res.payload);
  return { ...a, reqId: lastReqId() };
}

const json = { "content-type": "application/json", authorization: `Bearer ${KEY}` };
const chat = (extra: object) => JSON.stringify({ messages: [{ role: "user", content: "write a python function that sorts a list" }], seed: 3, ...extra });

describe("fast lane", () => {
  const taken: Array<[string, string, string, Record<string, string>]> = [
    ["auto-routed chat", "/v1/chat/completions", chat({}), json],
    ["streamed chat with usage", "/v1/chat/completions", chat({ model: "phi4_fast", stream: true, stream_options: { include_usage: true } }), json],
    ["completion", "/v1/completions", JSON.stringify({ model: "mistral_balanced", prompt: "once upon", max_tokens: 4 }), json],
    ["streamed completion", "/v1/completions", JSON.stringify({ model: "mistral_balanced", prompt: "once upon", stream: true }), { ...json, "content-type": "Application/JSON; charset=UTF-8" }],
    ["malformed JSON", "/v1/chat/completions", '{"messages": [', json],
    ["a __proto__ key", "/v1/chat/completions", '{"__proto__": {"model": "x"}, "messages": []}', json],
    ["a field of the wrong type", "/v1/chat/completions", chat({ temperature: "hot" }), json],
    ["an unknown model", "/v1/chat/completions", chat({ model: "nope" }), json],
  ];
  it.each(taken)("%s: same answer both ways, the socket's through the lane", async (_name, url, payload, headers) => {
    const lane = await overSocket(url, payload, headers);
    const fastify = await throughFastify(url, payload, headers);
    expect(lane.reqId).toMatch(/^lane-/);
    expect(fastify.reqId).not.toMatch(/^lane-/);
    expect({ ...lane, reqId: 0 }).toEqual({ ...fastify, reqId: 0 });
  });

  const declined: Array<[string, string, Record<string, string>, number]> = [
    ["a wrong API key", chat({}), { ...json, authorization: "Bearer wrong" }, 401],
    // fastify reads text/plain as a string, which is not a request object.
    ["another media type", chat({}), { ...json, "content-type": "text/plain" }, 400],
    ["a body over the limit", chat({ pad: "x".repeat(LIMIT) }), json, 413],
    ["an empty body", "", json, 400],
  ];
  it.each(declined)("%s: left to fastify, same answer both ways", async (_name, payload, headers, status) => {
    const lane = await overSocket("/v1/chat/completions", payload, headers);
    const fastify = await throughFastify("/v1/chat/completions", payload, headers);
    expect(lane.status).toBe(status);
    expect(lane.reqId).not.toMatch(/^lane-/);
    expect({ ...lane, reqId: 0 }).toEqual({ ...fastify, reqId: 0 });
  });

  it("a chunked body (no stated length) goes to fastify, and is answered", async () => {
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(chat({ model: "qwen_coder" }))), c.close()) });
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: json, body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-capibara-expert")).toBe("qwen_coder");
    await new Promise((r) => setTimeout(r, 20));
    expect(lastReqId()).not.toMatch(/^lane-/);
  });

  it("a query string or another method goes to fastify too", async () => {
    expect((await overSocket("/v1/chat/completions?x=1", chat({}), json)).reqId).not.toMatch(/^lane-/);
    const res = await fetch(`${server.url}/v1/chat/completions`, { headers: json });
    expect(res.status).toBe(404);
  });

  /** Sends `parts` of one raw HTTP request, `gapMs` apart, and returns what came back. */
  const raw = (parts: string[], gapMs: number, cut = false): Promise<string> =>
    new Promise((resolve, reject) => {
      const sock = connect(Number(new URL(server.url).port), "127.0.0.1");
      let got = "";
      sock.on("data", (d: Buffer) => (got += d.toString()));
      sock.on("error", reject);
      sock.on("close", () => resolve(got));
      void (async () => {
        for (const p of parts) {
          sock.write(p);
          await new Promise((r) => setTimeout(r, gapMs));
        }
        if (cut) sock.destroy();
      })();
    });
  const head = (length: number) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${KEY}\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`;

  it("a body that arrives in pieces is read whole; a client gone mid-body is dropped, and the next request served", async () => {
    const body = chat({ model: "phi4_fast" });
    const answerText = await raw([head(Buffer.byteLength(body)), body.slice(0, 10), body.slice(10)], 30);
    expect(answerText).toMatch(/^HTTP\/1\.1 200 /);
    expect(answerText).toContain('"object":"chat.completion"');
    expect(await raw([head(500), body.slice(0, 20)], 30, true)).toBe("");
    expect((await overSocket("/v1/chat/completions", chat({}), json)).status).toBe(200);
  });

  it("the server keeps fastify's timeouts", () => {
    expect(server.app.server.keepAliveTimeout).toBe(72_000);
    expect(server.app.server.requestTimeout).toBe(0);
  });
});
