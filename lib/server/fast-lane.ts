/**
 * The generation endpoints' lane past fastify's request pipeline. A request to a generation
 * endpoint that can be judged from its head alone (POST, JSON, a stated length within the body
 * limit, the API key right) is read and answered here; everything else, and every other endpoint,
 * goes to fastify untouched. On a gateway the pipeline cost 0.1-0.3 ms, by machine, of the 2 ms
 * the first token may spend there (docs/deploying.md); answers are the same either way
 * (test/e2e/fast-lane).
 * @module
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { errorCodes, type FastifyBaseLogger } from "fastify";
import secureJson from "secure-json-parse";
import type { HttpError } from "./errors.js";

/** What a generation handler writes to: fastify's reply, or the lane's stand-in for it. */
export interface GenerationReply {
  raw: ServerResponse;
  /** Called before the handler writes to `raw` itself (a stream); fastify then leaves the response alone. */
  hijack(): void;
}

/** A non-streamed answer, for the caller to send as JSON with status 200. */
export interface GenerationOutcome {
  headers: Record<string, string>;
  body: unknown;
}

/** Runs one generation request on a parsed JSON body; `undefined` when it streamed its answer itself. */
export type GenerationHandler = (body: unknown, reply: GenerationReply) => Promise<GenerationOutcome | undefined>;

/** What the lane shares with the fastify app it sits in front of. */
export interface FastLaneOptions {
  /** Handlers by exact path. */
  handlers: ReadonlyMap<string, GenerationHandler>;
  bodyLimit: number;
  /** Whether the request passes the API key check; others go to fastify, which refuses them. */
  authorized: (req: IncomingMessage) => boolean;
  /** Status and body of a failure, logged as the app's error handler logs it. */
  httpError: (err: unknown, log: FastifyBaseLogger | undefined) => HttpError;
  log?: FastifyBaseLogger;
}

// The JSON media type as clients send it; anything else (another charset, a suffix) is fastify's to judge.
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

function takes(req: IncomingMessage, opts: FastLaneOptions): GenerationHandler | undefined {
  if (req.method !== "POST") return undefined;
  const handler = opts.handlers.get(req.url ?? "");
  if (!handler) return undefined;
  const h = req.headers;
  const length = Number(h["content-length"]);
  if (h["transfer-encoding"] !== undefined || !(length > 0 && length <= opts.bodyLimit)) return undefined;
  if (!JSON_TYPE.test(h["content-type"] ?? "") || !opts.authorized(req)) return undefined;
  return handler;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(Buffer.concat(chunks)));
    // A client gone mid-body gets no answer (after 'end', these resolve nothing).
    req.once("error", () => resolve(undefined));
    req.once("close", () => resolve(undefined));
  });
}

let served = 0;

async function serve(req: IncomingMessage, res: ServerResponse, handler: GenerationHandler, opts: FastLaneOptions): Promise<void> {
  const t0 = performance.now();
  // The lines fastify logs for each request, so a log reads the same whichever way a request went.
  const log = opts.log?.child({ reqId: `lane-${++served}` });
  log?.info({ req: { method: req.method, url: req.url, host: req.headers.host, remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort } }, "incoming request");
  res.once("finish", () => log?.info({ res: { statusCode: res.statusCode }, responseTime: performance.now() - t0 }, "request completed"));
  const raw = await readBody(req);
  if (!raw) return void res.destroy();
  try {
    let body: unknown;
    try {
      body = secureJson.parse(raw, undefined, { protoAction: "error", constructorAction: "error" });
    } catch {
      throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
    }
    const out = await handler(body, { raw: res, hijack() {} });
    if (out) sendJson(res, 200, out.body, out.headers);
  } catch (err) {
    const { status, body } = opts.httpError(err, log);
    if (res.headersSent) res.destroy();
    else sendJson(res, status, body);
  }
}

/**
 * A fastify `serverFactory`: the HTTP server fastify would make, with the same timeouts, whose
 * generation requests take the lane.
 */
export function fastLaneServer(opts: FastLaneOptions): (handler: RequestListener, fastifyOptions: Record<string, unknown>) => http.Server {
  return (fastifyHandler, fastifyOptions) => {
    // The options fastify applies to a server it makes itself (it has filled in their defaults).
    const option = (key: string): number => Number(fastifyOptions[key] ?? 0);
    const server = http.createServer((req, res) => {
      const handler = takes(req, opts);
      if (handler) void serve(req, res, handler, opts);
      else fastifyHandler(req, res);
    });
    server.keepAliveTimeout = option("keepAliveTimeout");
    server.requestTimeout = option("requestTimeout");
    server.setTimeout(option("connectionTimeout"));
    const perSocket = option("maxRequestsPerSocket");
    if (perSocket > 0) server.maxRequestsPerSocket = perSocket;
    return server;
  };
}
