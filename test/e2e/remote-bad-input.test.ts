// Bad input around remote experts, in one process: an upstream that answers garbage, hangs, fails
// or reports an error gives the client a clean OpenAI error or a fallback, never a hang; a client
// that leaves cancels the upstream request; and a body over the limit reaches the client as a
// readable 413 even while it is still sending.
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";
import { FakeEngine, fakeReply } from "../helpers/fake-engine.js";
import { fakeModel } from "./remote-procs.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-remote-bad-"));
const BEHAVIOURS = ["not-json", "sse-garbage", "http-500", "hang", "truncated", "stalls", "error-event", "endless"] as const;
/** `rejects` (a 400 to every request) is not an expert of the main system: only the fallback test's own system has it. */
type Behaviour = (typeof BEHAVIOURS)[number] | "rejects";

const sse = (res: http.ServerResponse, content: string) =>
  res.write(`data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);

let upstream: http.Server;
let upstreamUrl: string;
/** Upstream requests of the `endless` behaviour whose connection has closed. */
let endlessClosed = 0;
let system: CapibaraSystem;
let server: RunningServer;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.method === "GET") return void res.writeHead(200, { "content-type": "application/json" }).end('{"object":"list","data":[]}');
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const behaviour = (JSON.parse(body) as { model: Behaviour }).model;
      if (behaviour === "not-json") return void res.writeHead(200, { "content-type": "application/json" }).end("<html>oops</html>");
      if (behaviour === "rejects") return void res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"this server takes no images"}}');
      if (behaviour === "http-500") return void res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"message":"GPU on fire"}}');
      if (behaviour === "hang") return; // accepts the request and never answers
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (behaviour === "sse-garbage") return void res.end("data: {not json at all\n\n");
      sse(res, "first");
      if (behaviour === "truncated") return void setTimeout(() => res.destroy(), 50);
      if (behaviour === "stalls") return; // the first token, then silence with the connection open
      if (behaviour === "error-event") return void res.end(`data: ${JSON.stringify({ error: { message: "model crashed" } })}\n\n`);
      const timer = setInterval(() => sse(res, " more"), 20);
      res.on("close", () => {
        clearInterval(timer);
        endlessClosed++;
      });
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`;
  const engine = new FakeEngine({ replyTokens: 4 });
  system = await createSystem(
    {
      experts: [
        { name: "local", domain: "general", priority: 1, model_path: fakeModel(dir, "local") },
        ...BEHAVIOURS.map((b) => ({ name: b, domain: "technical", priority: 2, url: upstreamUrl, upstream_model: b, timeout_s: 1 })),
      ],
      server: { body_limit_bytes: 1024 * 1024 },
    },
    { loadModel: engine.loadModel },
  );
  await system.ready;
  server = await startServer(system, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const HI = [{ role: "user" as const, content: "hi" }];
const chat = (model: string, stream = false, extra: object = {}) =>
  fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, stream, messages: HI, ...extra }) });
interface Chunk {
  choices?: { delta?: { content?: string } }[];
  error?: { message: string };
  x_capibara?: object;
}
/** The `data:` payloads of a whole event stream. */
const events = async (res: Response): Promise<string[]> => (await res.text()).trim().split("\n\n").map((e) => e.slice("data: ".length));

describe("remote experts: bad upstreams", () => {
  it.each(["not-json", "sse-garbage", "http-500", "hang"] as const)("%s before the first token falls back to the next expert by priority", async (behaviour) => {
    const t0 = Date.now();
    const res = await chat(behaviour);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-capibara-expert")).toBe("local");
    expect(res.headers.get("x-capibara-fallback")).toBe(behaviour);
    expect(((await res.json()) as { model: string }).model).toBe("local");
    expect(Date.now() - t0).toBeLessThan(3000); // within timeout_s (1 s) plus slack
  });

  it("a stream cut after the first token continues on the next expert by priority, from where it stopped, marked where it moved", async () => {
    const res = await chat("truncated", true);
    expect(res.status).toBe(200);
    const data = await events(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
    expect(chunks.filter((c) => c.error)).toEqual([]);
    // The fake engine continues "first" with the words after the first of its own reply.
    const rest = fakeReply("local.gguf", HI, 4).slice(1);
    expect(chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("")).toBe(`first ${rest.join(" ")}`);
    expect(chunks.filter((c) => c.x_capibara).map((c) => c.x_capibara)).toEqual([{ continued_from: "truncated", continued_on: "local", error: expect.stringMatching(/failed mid-stream/) }]);
    // A plain request is continued the same way; the upstream reported its own error, so it is alive and stays up.
    const plain = await chat("error-event");
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({
      model: "error-event",
      choices: [{ message: { content: `first ${rest.join(" ")}` } }],
      x_capibara: { continuations: [{ continued_from: "error-event", continued_on: "local", error: expect.stringMatching(/model crashed/) }] },
    });
    expect(system.stats().experts["error-event"]!.state).toBe("remote-up");
  });

  it("a stream that falls silent after the first token is cut after timeout_s and continues on the next expert", async () => {
    const t0 = Date.now();
    const chunks = (await events(await chat("stalls", true))).slice(0, -1).map((d) => JSON.parse(d) as Chunk);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("")).toBe(`first ${fakeReply("local.gguf", HI, 4).slice(1).join(" ")}`);
    expect(chunks.filter((c) => c.x_capibara).map((c) => c.x_capibara)).toEqual([{ continued_from: "stalls", continued_on: "local", error: expect.stringMatching(/no answer from the remote within 1 s/) }]);
  });

  it("an answer that cannot be continued (a grammar's state is not in its text) ends with a clean error event, or a 502", async () => {
    const json = { response_format: { type: "json_object" } };
    // The cut stream above marked `truncated` down; its next probe (1 s) finds it up.
    for (let i = 0; i < 100 && system.stats().experts.truncated!.state !== "remote-up"; i++) await new Promise((r) => setTimeout(r, 50));
    const data = await events(await chat("truncated", true, json));
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1)!)).toMatchObject({ error: { code: "upstream_error", message: expect.stringMatching(/^remote expert "truncated" failed mid-stream/) } });
    const plain = await chat("error-event", false, json);
    expect(plain.status).toBe(502);
    expect(await plain.json()).toMatchObject({ error: { type: "server_error", code: "upstream_error", message: expect.stringMatching(/model crashed/) } });
  });

  it("a client that disconnects cancels the upstream request", async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "endless", stream: true, messages: [{ role: "user", content: "hi" }] }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    ac.abort();
    const end = Date.now() + 3000;
    while (endlessClosed === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(endlessClosed).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(system.stats().experts.endless).toMatchObject({ active: 0, state: "remote-up" });
  });
});

describe("remote experts: a fallback that rejects the request", () => {
  it("is skipped for the next one; the expert asked for keeps its own 400", async () => {
    const engine = new FakeEngine({ replyTokens: 4 });
    const gw = await createSystem(
      {
        experts: [
          { name: "down", domain: "general", priority: 1, url: "http://127.0.0.1:9/v1", timeout_s: 1 },
          { name: "rejects", domain: "technical", priority: 2, url: upstreamUrl, upstream_model: "rejects", timeout_s: 1 },
          { name: "local", domain: "coding", priority: 3, model_path: fakeModel(dir, "local") },
        ],
      },
      { loadModel: engine.loadModel },
    );
    try {
      await gw.ready;
      const res = await gw.chat({ messages: HI, model: "down" });
      expect(res.route.expert).toBe("local");
      expect(res.route.fallbacks.map((f) => f.expert)).toEqual(["down", "rejects"]);
      expect(res.route.fallbacks[1]!.error).toMatch(/HTTP 400: this server takes no images/);
      expect(await res.text()).toBe(fakeReply("local.gguf", HI, 4).join(" "));
      await expect(gw.chat({ messages: HI, model: "rejects" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/takes no images/) });
    } finally {
      await gw.close();
    }
  });
});

describe("remote experts: admin", () => {
  it("there is nothing to load or unload: the admin endpoints answer 400; the events snapshot lists the remote", async () => {
    for (const action of ["load", "unload"]) {
      const res = await fetch(`${server.url}/admin/experts/endless/${action}`, { method: "POST" });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/is remote .*nothing to load or unload/) } });
    }
    const ac = new AbortController();
    const res = await fetch(`${server.url}/admin/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const snapshot = JSON.parse(text.split("\n").find((l) => l.startsWith("data: "))!.slice(6)) as { name: string; state: string }[];
    expect(snapshot.find((e) => e.name === "endless")).toMatchObject({ state: "remote-up" });
    expect(snapshot.find((e) => e.name === "local")).toMatchObject({ state: expect.stringMatching(/loaded|unloaded/) });
  });
});

describe("body over body_limit_bytes", () => {
  /** Sends `bytes` in 64 KiB writes, pausing now and then as a slow network would. */
  function slowPost(bytes: number): Promise<{ status: number | null; body: string; errors: string[] }> {
    return new Promise((resolve) => {
      const out = { status: null as number | null, body: "", errors: [] as string[] };
      const req = http.request(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", "content-length": bytes } }, (res) => {
        out.status = res.statusCode!;
        res.on("data", (d: Buffer) => (out.body += d.toString()));
      });
      // Any error of the request (EPIPE, ECONNRESET while still sending) counts, even after the response came.
      req.on("error", (err: NodeJS.ErrnoException) => out.errors.push(err.code ?? err.message));
      req.on("close", () => resolve(out));
      const piece = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const write = (): void => {
        while (sent < bytes) {
          sent += piece.length;
          if (!req.write(sent > bytes ? piece.subarray(0, piece.length - (sent - bytes)) : piece)) return void req.once("drain", write);
          if (sent % (1024 * 1024) === 0) return void setTimeout(write, 2);
        }
        req.end();
      };
      write();
    });
  }

  it("a 12 MB body gets a readable 413 OpenAI error, never EPIPE or a reset", async () => {
    for (let i = 0; i < 3; i++) {
      const out = await slowPost(12 * 1024 * 1024);
      expect(out).toMatchObject({ status: 413, errors: [] });
      expect(JSON.parse(out.body)).toMatchObject({ error: { code: "body_too_large" } });
    }
  });
});
