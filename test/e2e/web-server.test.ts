// The server side of the web page, without a browser: the static files and their headers, the
// API key left off them, the `routed` admin events and `recent_routes` in /stats the dashboard reads,
// and a server that closes while a dashboard follows its events.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { registerWebRoutes } from "../../lib/server/web.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";
import { FakeEngine, fiveExpertConfig } from "../helpers/fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-webserver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(apiKey: string | null = null): Promise<{ system: CapibaraSystem; server: RunningServer }> {
  const system = await createSystem(fiveExpertConfig(join(dir, String(Math.random()).slice(2))), { loadModel: new FakeEngine({ replyTokens: 3 }).loadModel });
  return { system, server: await startServer(system, { port: 0, apiKey }) };
}

const chat = (url: string, content: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ messages: [{ role: "user", content }] }) });

/** Reads an SSE response until `done(text so far)`, then cancels it. */
async function readUntil(res: Response, done: (text: string) => boolean): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += value;
  }
  await reader.cancel();
  return text;
}

describe("web page: server side", () => {
  let h: { system: CapibaraSystem; server: RunningServer };
  beforeAll(async () => {
    execFileSync(process.execPath, [join(packageRoot, "lib/web/build.mjs")], { stdio: "inherit" });
    h = await serve("k3y");
  });
  afterAll(async () => h.server.close());

  it("serves the page and its assets without the API key, with a same-origin-only CSP; the API still needs the key", async () => {
    const page = await fetch(`${h.server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self';.*connect-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js">');
    // Nothing outside the page's own origin is referenced.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const [path, type] of [
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/style.css", "text/css; charset=utf-8"],
      ["/favicon.svg", "image/svg+xml"],
      ["/favicon.ico", "image/svg+xml"],
    ]) {
      const res = await fetch(`${h.server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe(type);
      expect((await res.arrayBuffer()).byteLength, path).toBeGreaterThan(100);
    }
    expect((await fetch(`${h.server.url}/stats`)).status).toBe(401);
    expect((await fetch(`${h.server.url}/?x=1`)).status).toBe(200);
  });

  it("announces each routing decision as a `routed` event and lists the last ones in /stats, newest first", async () => {
    const auth = { authorization: "Bearer k3y" };
    const ac = new AbortController();
    const events = await fetch(`${h.server.url}/admin/events`, { headers: auth, signal: ac.signal });
    const seen = readUntil(events, (t) => t.includes("event: routed"));
    const res = await chat(h.server.url, "Write a Python function that reverses a linked list", auth);
    expect(res.status).toBe(200);
    await res.json();
    const reason = res.headers.get("x-capibara-route-reason")!;
    const block = (await seen).split("\n\n").find((b) => b.startsWith("event: routed"))!;
    const ev = JSON.parse(block.split("\ndata: ")[1]!) as Record<string, unknown>;
    expect(ev).toMatchObject({ type: "routed", endpoint: "chat", requested: "auto", expert: res.headers.get("x-capibara-expert"), reason, fallbacks: [] });
    expect(typeof ev.confidence).toBe("number");
    ac.abort();

    for (let i = 0; i < 22; i++) await (await chat(h.server.url, `tell me about topic ${i}`, auth)).json();
    const stats = (await (await fetch(`${h.server.url}/stats`, { headers: auth })).json()) as { recent_routes: Array<{ time: number; reason: string }> };
    expect(stats.recent_routes).toHaveLength(20);
    const times = stats.recent_routes.map((r) => r.time);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("lists the body and image limits in /stats, so the page can refuse an image before sending it", async () => {
    const auth = { authorization: "Bearer k3y" };
    const stats = (await (await fetch(`${h.server.url}/stats`, { headers: auth })).json()) as { limits: unknown };
    const cfg = h.system.config.server;
    expect(stats.limits).toEqual({ body_limit_bytes: cfg.body_limit_bytes, max_image_bytes: cfg.max_image_bytes });
    // The limit the server enforces, not only the configured one.
    const small = await createSystem(fiveExpertConfig(join(dir, "small")), { loadModel: new FakeEngine().loadModel });
    const s = await startServer(small, { port: 0, bodyLimit: 5000 });
    try {
      expect(((await (await fetch(`${s.url}/stats`)).json()) as { limits: { body_limit_bytes: number } }).limits.body_limit_bytes).toBe(5000);
      expect((await chat(s.url, "x".repeat(6000))).status).toBe(413);
    } finally {
      await s.close();
    }
  });

  it("closes while a client follows /admin/events (the stream ends instead of holding the server open)", async () => {
    const s = await serve();
    const events = await fetch(`${s.server.url}/admin/events`);
    const all = readUntil(events, () => false);
    await s.server.close();
    expect(await all).toMatch(/^event: snapshot\n/);
  });

  it("without a built page, / answers 404 saying how to build it", async () => {
    const app = Fastify();
    registerWebRoutes(app, join(dir, "no-such-dir"));
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { message: expect.stringMatching(/web page is not built.*npm run build:web/) } });
    await app.close();
  });
});
