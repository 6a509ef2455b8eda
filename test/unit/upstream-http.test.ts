// The remote experts' HTTP/1.1 client (lib/registry/upstream-http.ts) against scripted servers:
// body framings split at every byte, connection reuse and when it must not happen, a kept
// connection the server had closed, garbage, refused and stalled connections, TLS, back-pressure.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { UpstreamPool, type ResponseHead, type UpstreamPoolOptions } from "../../lib/registry/upstream-http.js";

/** A server that answers its n-th request (0-based, over all connections) with `answer(n)`: parts written one by one (END: the server closes the connection), or "hang", or "drop" (close without answering). */
interface Scripted {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

const END = Symbol("end");
type Answer = Array<string | typeof END> | "hang" | "drop";

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function onRequests(socket: net.Socket, each: (request: string) => void): void {
  let buf = "";
  socket.on("data", (d: Buffer) => {
    buf += d.toString("latin1");
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      each(buf.slice(0, end + 4 + length));
      buf = buf.slice(end + 4 + length);
    }
  });
}

async function scripted(answer: (n: number) => Answer, wrap?: (server: net.Server) => net.Server): Promise<Scripted> {
  const sockets = new Set<net.Socket>();
  const state: Scripted = { port: 0, connections: 0, requests: [], close: async () => undefined };
  const handle = (socket: net.Socket): void => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onRequests(socket, (request) => {
      const a = answer(state.requests.length);
      state.requests.push(request);
      if (a === "hang") return;
      if (a === "drop") return void socket.destroy();
      void (async () => {
        for (const part of a) {
          if (socket.destroyed) return;
          if (part === END) return void socket.end();
          socket.write(part);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
    });
  };
  const server = wrap ? wrap(net.createServer()) : net.createServer();
  server.on(server instanceof tls.Server ? "secureConnection" : "connection", handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  servers.push(state);
  return state;
}

interface Result {
  head: ResponseHead | null;
  body: string;
  error: Error | null;
}

/** One POST through the pool, collected up to its end or error. */
function send(pool: UpstreamPool, body = "{}"): Promise<Result> {
  return new Promise((resolve) => {
    const r: Result = { head: null, body: "", error: null };
    pool.request(`POST /v1/chat/completions HTTP/1.1\r\nhost: test\r\ncontent-length: ${body.length}\r\n\r\n${body}`, {
      onHead: (h) => (r.head = h),
      onData: (b) => (r.body += b.toString()),
      onEnd: () => resolve(r),
      onError: (e) => resolve({ ...r, error: e }),
    });
  });
}

const poolFor = (port: number, options: Partial<UpstreamPoolOptions> = {}, scheme = "http"): UpstreamPool => {
  const pool = new UpstreamPool(new URL(`${scheme}://127.0.0.1:${port}/v1/`), { connectTimeoutMs: 1000, ...options });
  servers.push({ close: async () => pool.close() });
  return pool;
};

const CHUNKED = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n7\r\ndata: a\r\n4;ext=1\r\n\n\nb!\r\n0\r\ntrailer: x\r\n\r\n";

/** `text` cut into two parts at `at`. */
const split = (text: string, at: number): string[] => [text.slice(0, at), text.slice(at)];

describe("UpstreamPool", () => {
  it("reads a chunked body split at every byte, over one kept connection", async () => {
    const server = await scripted((n) => split(CHUNKED, n + 1));
    const pool = poolFor(server.port);
    for (let at = 1; at < CHUNKED.length; at++) {
      const r = await send(pool);
      expect(r.error).toBeNull();
      expect(r.head?.status).toBe(200);
      expect(r.head?.headers["content-type"]).toBe("text/event-stream");
      expect(r.body).toBe("data: a\n\nb!");
    }
    expect(server.connections).toBe(1);
    expect(server.requests[0]).toMatch(/^POST \/v1\/chat\/completions HTTP\/1\.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n\{\}$/);
  });

  it("reads content-length and empty bodies, skips informational heads and joins repeated headers", async () => {
    const answers: Answer[] = [
      ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello", " world"],
      ["HTTP/1.1 204 No Content\r\n\r\n"],
      ["HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"],
    ];
    const server = await scripted((n) => answers[n]!);
    const pool = poolFor(server.port);
    const a = await send(pool);
    expect([a.head?.status, a.body, a.head?.headers["x-a"]]).toEqual([500, "hello world", "1, 2"]);
    const b = await send(pool);
    expect([b.head?.status, b.body]).toEqual([204, ""]);
    const c = await send(pool);
    expect([c.head?.status, c.body, c.error]).toEqual([200, "", null]);
    expect(server.connections).toBe(1);
  });

  it("does not reuse a connection after a close-delimited body, `connection: close`, a zero keep-alive hint or bytes past the end", async () => {
    const answers: Answer[] = [
      ["HTTP/1.1 200 OK\r\n\r\nuntil close", END],
      ["HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"],
      ["HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 2\r\n\r\nok"],
      ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA"],
      ["HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok"],
      ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"],
    ];
    const server = await scripted((n) => answers[n]!);
    const pool = poolFor(server.port);
    expect((await send(pool)).body).toBe("until close");
    for (let i = 1; i < answers.length; i++) expect((await send(pool)).body).toBe("ok");
    // Each answer but the last ended its connection.
    expect(server.connections).toBe(answers.length);
  });

  it("sends a request again on a new connection when a kept one was closed by the server, once", async () => {
    const ok = ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"];
    const server = await scripted((n) => (n === 1 || n === 3 || n === 4 ? "drop" : ok));
    const pool = poolFor(server.port);
    expect((await send(pool)).body).toBe("ok");
    // Dropped on the kept connection, answered on a new one.
    expect((await send(pool)).body).toBe("ok");
    expect(server.connections).toBe(2);
    // Dropped on the kept connection and again on the new one: an error, not a third try.
    const r = await send(pool);
    expect(r.error?.message).toMatch(/closed before a response/);
    expect(server.connections).toBe(3);
  });

  it("fails cleanly on garbage, bad framing, an oversized head and a connection cut mid-body", async () => {
    const answers: Answer[] = [
      ["<html>not http</html>\r\n\r\n"],
      ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
      ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokXX"],
      ["HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n"],
      ["HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"],
      ["HTTP/1.1 200 OK\r\n" + "x-big: " + "a".repeat(70 * 1024)],
      ["HTTP/1.1 101 Switching Protocols\r\n\r\n"],
    ];
    const server = await scripted((n) => answers[n]!);
    const pool = poolFor(server.port);
    const errors = [];
    for (let i = 0; i < answers.length; i++) errors.push((await send(pool)).error?.message);
    expect(errors).toEqual([
      expect.stringMatching(/not an HTTP\/1.x response/),
      expect.stringMatching(/bad chunk size line/),
      expect.stringMatching(/did not end with CRLF/),
      expect.stringMatching(/bad content-length/),
      expect.stringMatching(/malformed header line/),
      expect.stringMatching(/response head over 65536 bytes/),
      expect.stringMatching(/switched protocols/),
    ]);
    const cut = await scripted(() => ["HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", END]);
    const r = await send(poolFor(cut.port));
    expect([r.body, r.error?.message]).toEqual(["abc", expect.stringMatching(/closed before the response ended/)]);
  });

  it("reports a refused connection, and a connection that does not open within the limit", async () => {
    const free = await scripted(() => "hang");
    await free.close();
    const refused = await send(poolFor(free.port));
    expect((refused.error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    // TLS to a server that never answers the handshake: the connect limit cuts it.
    const silent = await scripted(() => "hang");
    const t0 = Date.now();
    const stalled = await send(poolFor(silent.port, { connectTimeoutMs: 200 }, "https"));
    expect(stalled.error?.message).toMatch(/connect timed out after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("speaks https, checking the certificate", async (ctx) => {
    let dir: string;
    try {
      dir = mkdtempSync(join(tmpdir(), "capibara-tls-"));
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    } catch {
      ctx.skip("openssl is not installed: no certificate to test https with");
      return;
    }
    const key = readFileSync(join(dir, "key.pem"));
    const cert = readFileSync(join(dir, "cert.pem"));
    rmSync(dir, { recursive: true, force: true });
    const server = await scripted(() => ["HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecure"], () => tls.createServer({ key, cert }));
    const trusted = poolFor(server.port, { tls: { ca: cert } }, "https");
    expect((await send(trusted)).body).toBe("secure");
    expect((await send(trusted)).body).toBe("secure");
    expect(server.connections).toBe(1);
    const untrusted = await send(poolFor(server.port, {}, "https"));
    expect(untrusted.error?.message).toMatch(/self-signed certificate/);
  });

  it("stops reading while paused and goes on when resumed", async () => {
    const server = await scripted(() => ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n", "1\r\nb\r\n", "0\r\n\r\n"]);
    const pool = poolFor(server.port);
    const seen: string[] = [];
    let ended = false;
    const x = pool.request("GET / HTTP/1.1\r\nhost: test\r\n\r\n", {
      onHead: () => undefined,
      onData: (b) => {
        seen.push(b.toString());
        x.pause();
      },
      onEnd: () => (ended = true),
      onError: () => undefined,
    });
    await new Promise((r) => setTimeout(r, 80));
    expect([seen, x.isPaused()]).toEqual([["a"], true]);
    x.resume();
    await new Promise((r) => setTimeout(r, 80));
    expect(seen.length).toBe(2);
    for (let i = 0; i < 10 && !ended; i++) {
      x.resume();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ended).toBe(true);
  });

  it("destroy() ends the exchange: with an error it reports it, without one it stays silent", async () => {
    const server = await scripted(() => "hang");
    const pool = poolFor(server.port);
    const calls: string[] = [];
    const handler = { onHead: () => calls.push("head"), onData: () => calls.push("data"), onEnd: () => calls.push("end"), onError: (e: Error) => calls.push(e.message) };
    pool.request("GET / HTTP/1.1\r\nhost: test\r\n\r\n", handler).destroy(new Error("stopped"));
    const quiet = pool.request("GET / HTTP/1.1\r\nhost: test\r\n\r\n", handler);
    quiet.destroy();
    expect(quiet.done).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual(["stopped"]);
  });
});
