/**
 * The HTTP/1.1 client of remote experts' generation requests: a keep-alive pool of sockets per
 * remote, each request written in one call, and the response's head and body framing (chunked,
 * `content-length`, or until close) read straight from the socket's data events.
 *
 * Why not `node:http`: on the path to a remote's first token, Node's client (request object,
 * agent, parser, `IncomingMessage` stream) cost about 0.5 ms more than this from sending to the
 * first body byte, measured on a 2-core VM with a process on each end (bench/README, "Server: a
 * gateway's overhead"). undici's `dispatch` saved under 0.1 ms of it. Health probes, off that
 * path, keep using `node:http`.
 * @module
 */
import net from "node:net";
import tls from "node:tls";

/** Status and headers of a response; header names are lower-case, repeated ones joined with ", ". */
export interface ResponseHead {
  status: number;
  headers: Readonly<Record<string, string>>;
}

/** Receives one response. Nothing is called after `onEnd` or `onError`, nor after the caller's `destroy()`. */
export interface ResponseHandler {
  /** The final head (1xx heads are skipped); the body's bytes follow in `onData`, possibly in the same turn. */
  onHead(head: ResponseHead): void;
  onData(bytes: Buffer): void;
  onEnd(): void;
  /** The connection failed, or the response broke HTTP/1.1 framing. */
  onError(err: Error): void;
}

/** Settings of an {@link UpstreamPool}. */
export interface UpstreamPoolOptions {
  /** Limit on opening a connection (TCP, and TLS for https). */
  connectTimeoutMs: number;
  /** How long an idle connection is kept when the server gives no `keep-alive: timeout` (default 4 s: servers such as uvicorn close theirs at 5 s). */
  idleMs?: number;
  /** Extra TLS settings for https (a private CA, say). */
  tls?: tls.ConnectionOptions;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
/** The longest an idle connection is kept, whatever the server allows. */
const MAX_IDLE_MS = 60_000;

/** The upstream broke HTTP/1.1 (not an HTTP response, bad framing); `code` reads as Node's parser errors do. */
class ProtocolError extends Error {
  readonly code = "HPE_INVALID";
}

/** The connection ended early; ECONNRESET, as Node names a peer that went away. */
function connectionClosed(what: string): Error {
  return Object.assign(new Error(`the connection closed ${what}`), { code: "ECONNRESET" });
}

function parseHead(text: string): ResponseHead & { minor: number } {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
  if (!m) throw new ProtocolError(`not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
  // No prototype: a header named __proto__ stays a header.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(m[2]), headers, minor: Number(m[1]) };
}

/** How long the server lets an idle connection live, from `keep-alive: timeout=N`, less a second's margin; null without the hint. */
function idleHint(headers: Readonly<Record<string, string>>): number | null {
  const m = /(?:^|,)\s*timeout=(\d+)/i.exec(headers["keep-alive"] ?? "");
  return m ? Number(m[1]) * 1000 - 1000 : null;
}

/** What ends an idle connection: anything the server sends or does to it, and the idle limit. */
const IDLE_EVENTS = ["data", "end", "error", "close", "timeout"] as const;

const DISCARD: ResponseHandler = { onHead() {}, onData() {}, onEnd() {}, onError() {} };

type State = "head" | "size" | "chunk" | "crlf" | "trailer" | "length" | "close" | "done";

/** One request and its response on a pooled connection. */
export class UpstreamExchange {
  private socket!: net.Socket;
  private reused = false;
  private retried = false;
  /** Response bytes received; a reused connection that fails before any is retried on a new one (the server had closed it idle). */
  private received = 0;
  private state: State = "head";
  private pending: Buffer | null = null;
  private remaining = 0;
  private reusable = false;
  private idleMs: number;
  private finished = false;
  private drainTimer?: NodeJS.Timeout;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly request: string,
    private h: ResponseHandler,
  ) {
    this.idleMs = pool.idleMs;
    const idle = pool.take();
    this.attach(idle ?? pool.connect(), idle !== null);
  }

  /** Stops reading (back-pressure reaches the upstream through TCP). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  isPaused(): boolean {
    return this.socket.isPaused();
  }

  /** Whether the response has ended (or failed, or was destroyed). */
  get done(): boolean {
    return this.finished;
  }

  /** Cuts the connection; `err`, when given, goes to the handler's `onError`. */
  destroy(err?: Error): void {
    if (this.finished) return;
    const h = this.h;
    this.finish(false);
    if (err) h.onError(err);
  }

  /** The caller wants no more of the body: it is read and dropped for up to `ms`, so the connection can be reused, then cut. */
  discardRest(ms: number): void {
    if (this.finished) return;
    this.h = DISCARD;
    this.resume();
    this.drainTimer = setTimeout(() => this.destroy(), ms);
    this.drainTimer.unref();
  }

  private attach(socket: net.Socket, reused: boolean): void {
    this.socket = socket;
    this.reused = reused;
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
    socket.write(this.request);
  }

  private detach(): void {
    const s = this.socket;
    s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("error", this.onError);
    s.off("close", this.onClose);
  }

  /** Ends the exchange; the connection goes back to the pool only after a whole response with nothing after it. */
  private finish(keep: boolean): void {
    this.finished = true;
    clearTimeout(this.drainTimer);
    this.detach();
    this.h = DISCARD;
    if (keep && this.reusable && this.idleMs > 0) {
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this.socket, Math.min(this.idleMs, MAX_IDLE_MS));
    } else this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.finished) return;
    if (this.reused && !this.retried && this.received === 0) {
      // A kept connection the server had closed: the request never reached it, so it is sent again on a new one.
      this.retried = true;
      this.detach();
      this.socket.destroy();
      this.attach(this.pool.connect(), false);
      return;
    }
    const h = this.h;
    this.finish(false);
    h.onError(err);
  }

  private readonly onData = (bytes: Buffer): void => {
    this.received += bytes.length;
    try {
      this.parse(bytes);
    } catch (err) {
      this.fail(err as Error);
    }
  };

  private readonly onEnd = (): void => {
    if (this.state === "close") {
      const h = this.h;
      this.finish(false);
      h.onEnd();
    } else this.fail(this.closedEarly());
  };

  private readonly onError = (err: Error): void => this.fail(err);

  private readonly onClose = (): void => this.fail(this.closedEarly());

  private closedEarly(): Error {
    return connectionClosed(this.received === 0 ? "before a response" : "before the response ended");
  }

  /** Holds `buf[pos..]` for the next read when a line or head is incomplete, within `limit` bytes. */
  private hold(buf: Buffer, pos: number, limit: number, what: string): void {
    if (buf.length - pos > limit) throw new ProtocolError(`${what} over ${limit} bytes`);
    this.pending = buf.subarray(pos);
  }

  private parse(bytes: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    this.pending = null;
    let pos = 0;
    while (pos < buf.length && !this.finished && this.state !== "done") {
      switch (this.state) {
        case "head": {
          const end = buf.indexOf("\r\n\r\n", pos, "latin1");
          if (end < 0) return this.hold(buf, pos, MAX_HEAD_BYTES, "response head");
          const head = parseHead(buf.toString("latin1", pos, end));
          pos = end + 4;
          if (head.status === 101) throw new ProtocolError("the upstream switched protocols (101), which was not asked for");
          // An informational head (100, 103): the real one follows.
          if (head.status >= 200) this.begin(head);
          break;
        }
        case "size": {
          const eol = buf.indexOf("\r\n", pos, "latin1");
          if (eol < 0) return this.hold(buf, pos, MAX_LINE_BYTES, "chunk size line");
          const line = buf.toString("latin1", pos, eol);
          const hex = line.split(";", 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new ProtocolError(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(hex, 16);
          this.state = this.remaining === 0 ? "trailer" : "chunk";
          pos = eol + 2;
          break;
        }
        case "chunk":
        case "length": {
          const n = Math.min(this.remaining, buf.length - pos);
          const slice = buf.subarray(pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = this.state === "chunk" ? "crlf" : "done";
          this.h.onData(slice);
          break;
        }
        case "crlf": {
          if (buf.length - pos < 2) return this.hold(buf, pos, 2, "chunk end");
          if (buf[pos] !== 13 || buf[pos + 1] !== 10) throw new ProtocolError("a chunk did not end with CRLF");
          this.state = "size";
          pos += 2;
          break;
        }
        case "trailer": {
          const eol = buf.indexOf("\r\n", pos, "latin1");
          if (eol < 0) return this.hold(buf, pos, MAX_LINE_BYTES, "trailer line");
          if (eol === pos) this.state = "done";
          pos = eol + 2;
          break;
        }
        case "close":
          this.h.onData(pos === 0 ? buf : buf.subarray(pos));
          pos = buf.length;
          break;
      }
    }
    if (this.state === "done" && !this.finished) {
      // Bytes after the response: the connection's framing cannot be trusted for another.
      if (pos < buf.length) this.reusable = false;
      const h = this.h;
      this.finish(true);
      h.onEnd();
    }
  }

  /** Works out the body's framing from the head, then hands the head over. */
  private begin(head: ResponseHead & { minor: number }): void {
    const te = head.headers["transfer-encoding"];
    const cl = head.headers["content-length"];
    if (head.status === 204 || head.status === 304) this.state = "done";
    else if (te !== undefined) this.state = /(?:^|,)\s*chunked\s*$/i.test(te) ? "size" : "close";
    else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new ProtocolError(`bad content-length: ${JSON.stringify(cl.slice(0, 40))}`);
      this.remaining = Number(cl);
      this.state = this.remaining === 0 ? "done" : "length";
    } else this.state = "close";
    this.reusable = head.minor === 1 && this.state !== "close" && !/(?:^|,)\s*close\s*(?:,|$)/i.test(head.headers.connection ?? "");
    const hint = idleHint(head.headers);
    if (hint !== null) this.idleMs = Math.min(this.idleMs, hint);
    this.h.onHead({ status: head.status, headers: head.headers });
  }
}

/** Kept-alive connections to one remote's origin; requests take the most recently used idle one, or open another. */
export class UpstreamPool {
  readonly idleMs: number;
  /** Idle connections, each with the listener that drops it when it closes or sends anything. */
  private readonly idle: Array<{ socket: net.Socket; drop: () => void }> = [];
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  private closed = false;

  constructor(
    origin: URL,
    private readonly options: UpstreamPoolOptions,
  ) {
    this.secure = origin.protocol === "https:";
    // An IPv6 literal comes bracketed in a URL.
    this.host = origin.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = Number(origin.port) || (this.secure ? 443 : 80);
    this.idleMs = options.idleMs ?? 4000;
  }

  /** Sends `request` (head and body, written as they are) and reads the response into `handler`. */
  request(request: string, handler: ResponseHandler): UpstreamExchange {
    return new UpstreamExchange(this, request, handler);
  }

  /** An idle connection, taken out of the pool, or null. */
  take(): net.Socket | null {
    for (let e = this.idle.pop(); e !== undefined; e = this.idle.pop()) {
      const s = e.socket;
      for (const ev of IDLE_EVENTS) s.off(ev, e.drop);
      s.setTimeout(0);
      if (s.destroyed || !s.writable) {
        s.destroy();
        continue;
      }
      s.ref();
      return s;
    }
    return null;
  }

  /** A new connection, cut when it does not open within the connect limit. */
  connect(): net.Socket {
    const ms = this.options.connectTimeoutMs;
    const socket = this.secure
      ? tls.connect({ host: this.host, port: this.port, servername: net.isIP(this.host) ? undefined : this.host, ALPNProtocols: ["http/1.1"], ...this.options.tls })
      : net.connect({ host: this.host, port: this.port, noDelay: true });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect timed out after ${ms} ms`), { code: "ETIMEDOUT" })), ms);
    const clear = (): void => clearTimeout(timer);
    socket.once(this.secure ? "secureConnect" : "connect", clear);
    socket.once("close", clear);
    if (this.secure) socket.setNoDelay(true);
    return socket;
  }

  /** Keeps a connection whose response ended cleanly for `ms`; anything it sends or suffers meanwhile closes it. */
  release(socket: net.Socket, ms: number): void {
    if (this.closed) return void socket.destroy();
    const entry = {
      socket,
      drop: (): void => {
        socket.destroy();
        const i = this.idle.indexOf(entry);
        if (i >= 0) this.idle.splice(i, 1);
      },
    };
    for (const ev of IDLE_EVENTS) socket.on(ev, entry.drop);
    socket.setTimeout(ms);
    socket.unref();
    this.idle.push(entry);
  }

  /** Closes the idle connections; busy ones end with their exchanges. */
  close(): void {
    this.closed = true;
    for (const e of this.idle.splice(0)) e.socket.destroy();
  }
}
