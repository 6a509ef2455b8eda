/**
 * The OpenAI-compatible HTTP server (fastify) over a {@link CapibaraSystem}: the endpoints of the
 * Python `multi_model_server.py` (`/health`, `/v1/models`, `/stats`, `/v1/chat/completions`) plus
 * `/v1/completions`, `/v1/embeddings`, `/metrics` and the admin endpoints.
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { ToolCall } from "../engine/types.js";
import type { CapibaraSystem, ChatResponse, ChatStats, Continuation, RouteInfo } from "../system.js";
import { registerAdminRoutes } from "./admin.js";
import { drainRequest } from "./drain.js";
import { registerEmbeddingRoutes } from "./embeddings.js";
import { errorBody, toHttpError, type HttpError } from "./errors.js";
import { fastLaneServer, type GenerationHandler, type GenerationOutcome, type GenerationReply } from "./fast-lane.js";
import { inlineImageUrls } from "./images.js";
import { createMetrics, type ServerMetrics } from "./metrics.js";
import { plainChatBody, plainCompletionBody } from "./plain-body.js";
import { RouteLog } from "./routes.js";
import { toolOptionsOf } from "./tools.js";
import { isWebPath, registerWebRoutes } from "./web.js";
import {
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  chatChunk,
  chatCompletion,
  finishReason,
  messagesOf,
  parseBody,
  responseMeta,
  samplingOf,
  textChunk,
  textCompletion,
  usageChunk,
} from "./openai.js";

/** Options of {@link createServer}; unset ones come from the config's `server` section. */
export interface ServerOptions {
  /** pino logger for requests and events; none when omitted. */
  logger?: FastifyBaseLogger;
  /** Bearer token required on every endpoint but `/health`; `null` disables the check. */
  apiKey?: string | null;
  /** Largest request body, bytes. */
  bodyLimit?: number;
}

/** Header values must be visible ASCII: other characters are percent-encoded. */
function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

function routeHeaders(route: RouteInfo): Record<string, string> {
  return {
    "x-capibara-expert": route.expert,
    "x-capibara-domain": headerSafe(route.domain),
    "x-capibara-route-reason": headerSafe(route.reason),
    ...(route.fallbacks.length > 0 ? { "x-capibara-fallback": route.fallbacks.map((f) => f.expert).join(",") } : {}),
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Where an answer moved to another expert mid-stream, as responses show it (`x_capibara`). */
function continuationField(c: Continuation) {
  return { continued_from: c.from, continued_on: c.expert, error: c.error };
}

/** Resolves when a response can take more data, or is gone. */
function drained(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      raw.off("drain", done);
      raw.off("close", done);
      resolve();
    };
    raw.on("drain", done);
    raw.on("close", done);
  });
}

interface GenerationCall {
  endpoint: string;
  kind: "chat" | "text";
  stream: boolean;
  includeUsage: boolean;
  start: (signal: AbortSignal) => Promise<ChatResponse>;
}

/**
 * Runs one generation request. The first chunk is awaited before anything is sent, so errors of
 * the load or the prompt (context size) still get their proper status; after that a stream reports
 * errors as an SSE `error` event. A client that disconnects aborts the generation, freeing its slot.
 */
async function serveGeneration(reply: GenerationReply, metrics: ServerMetrics, routes: RouteLog, call: GenerationCall): Promise<GenerationOutcome | undefined> {
  const t0 = performance.now();
  const ac = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  const seconds = (): number => (performance.now() - t0) / 1000;
  let expert = "none";
  let status = 200;
  let stats: ChatStats | undefined;
  let res: ChatResponse | undefined;
  // Made before the expert answers: a remote's start ends at its first token, so after it everything is on the path to the client.
  const meta = responseMeta(call.kind, expert);
  try {
    res = await call.start(ac.signal);
    expert = meta.model = res.route.expert;
    const headers = routeHeaders(res.route);
    const it = res[Symbol.asyncIterator]();
    let next = await it.next();
    if (!call.stream) {
      routes.record(call.endpoint, res.route);
      let text = "";
      const toolCalls: ToolCall[] = [];
      for (; !next.done; next = await it.next()) {
        text += next.value.text;
        toolCalls.push(...(next.value.toolCalls ?? []));
      }
      stats = await res.stats;
      const body = call.kind === "chat" ? chatCompletion(meta, text, stats, toolCalls) : textCompletion(meta, text, stats);
      return { headers, body: res.continuations.length > 0 ? { ...body, x_capibara: { continuations: res.continuations.map(continuationField) } } : body };
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...headers });
    // The role chunk and the first token are kept, then leave with the head in one write (one
    // HTTP chunk) as soon as they are made, not on Node's next tick after the wait for the second
    // token has been set up; the route's entry for the dashboard is made after it.
    let first: string | null = "";
    const route = res.route;
    const flush = (): void => {
      if (first === null) return;
      if (first !== "") {
        raw.cork();
        raw.write(first);
        raw.uncork();
      }
      first = null;
      routes.record(call.endpoint, route);
    };
    // A slow reader pauses the generation (through the engine's bounded queue) instead of piling chunks up in memory.
    const send = async (data: unknown): Promise<void> => {
      const event = `data: ${JSON.stringify(data)}\n\n`;
      if (first !== null) first += event;
      else if (!raw.write(event) && !raw.destroyed) await drained(raw);
    };
    const object = call.kind === "chat" ? "chat.completion.chunk" : "text_completion";
    try {
      if (call.kind === "chat") await send(chatChunk(meta, { role: "assistant", content: "" }, null));
      let calls = 0;
      for (; !next.done; flush(), next = await it.next()) {
        const { text, toolCalls, toolCallDeltas, continuation } = next.value;
        // The first chunk another expert generated says so (the text before it was the failed expert's).
        const mark = continuation ? { x_capibara: continuationField(continuation) } : {};
        if (call.kind === "text") await send({ ...textChunk(meta, text, null), ...mark });
        else if (text || continuation) await send({ ...chatChunk(meta, { content: text }, null), ...mark });
        // One delta a chunk: the SDK's stream helpers emit one arguments event per chunk and call.
        for (const d of toolCallDeltas ?? []) await send(chatChunk(meta, { tool_calls: [d] }, null));
        calls += toolCalls?.length ?? 0;
      }
      flush();
      stats = await res.stats;
      const finish = finishReason(stats.stopReason, calls);
      await send(call.kind === "chat" ? chatChunk(meta, {}, finish) : textChunk(meta, "", finish));
      if (call.includeUsage) await send(usageChunk(meta, object, stats));
      raw.end("data: [DONE]\n\n");
    } catch (err) {
      flush();
      const mapped = toHttpError(err);
      status = mapped.status;
      if (ac.signal.aborted) raw.destroy();
      else raw.end(`data: ${JSON.stringify(mapped.body)}\n\n`);
    }
    return undefined;
  } catch (err) {
    status = toHttpError(err).status;
    throw err;
  } finally {
    metrics.observeRequest(call.endpoint, expert, status, seconds(), stats);
    for (const c of res?.continuations ?? []) metrics.observeContinuation(c);
  }
}

/** Maps a failure to its response, logging it as a server fault when it is one (not an unavailable expert). */
function httpErrorOf(err: unknown, log: FastifyBaseLogger | undefined): HttpError {
  const mapped = toHttpError(err);
  if (mapped.status >= 500 && mapped.status !== 503) log?.error({ err }, "request failed");
  return mapped;
}

/** Builds the fastify app (not listening); see {@link startServer}. */
export function createServer(system: CapibaraSystem, options: ServerOptions = {}): FastifyInstance {
  const cfg = system.config.server;
  const apiKey = options.apiKey === undefined ? cfg.api_key : options.apiKey;
  const bodyLimit = options.bodyLimit ?? cfg.body_limit_bytes;
  const metrics = createMetrics(system);
  const routes = new RouteLog();
  const authorized = (url: string, header: string | undefined): boolean => {
    if (!apiKey || url.split("?")[0] === "/health" || isWebPath(url)) return true;
    const h = header ?? "";
    return sameSecret(h.startsWith("Bearer ") ? h.slice(7) : "", apiKey);
  };

  const chat: GenerationHandler = async (raw, reply) => {
    const body = plainChatBody(raw) ?? parseBody(ChatCompletionRequestSchema, raw);
    const tools = toolOptionsOf(body);
    const messages = await inlineImageUrls(messagesOf(body), {
      allowRemote: cfg.allow_remote_images,
      allowLocal: cfg.allow_local_images,
      maxBytes: cfg.max_image_bytes,
      timeoutMs: cfg.image_fetch_timeout_ms,
    });
    return serveGeneration(reply, metrics, routes, {
      endpoint: "chat",
      kind: "chat",
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      start: (signal) => system.chat({ ...samplingOf(body), ...tools, messages, model: body.model, signal, continueFinalMessage: body.continue_final_message === true }),
    });
  };
  const completions: GenerationHandler = async (raw, reply) => {
    const body = plainCompletionBody(raw) ?? parseBody(CompletionRequestSchema, raw);
    return serveGeneration(reply, metrics, routes, {
      endpoint: "completions",
      kind: "text",
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      start: (signal) => system.complete({ ...samplingOf(body), prompt: body.prompt, model: body.model, signal }),
    });
  };
  const generation = new Map([
    ["/v1/chat/completions", chat],
    ["/v1/completions", completions],
  ]);

  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit,
    serverFactory: fastLaneServer({
      handlers: generation,
      bodyLimit,
      authorized: (req) => authorized(req.url ?? "", req.headers.authorization),
      httpError: httpErrorOf,
      ...(options.logger ? { log: options.logger } : {}),
    }),
  });

  app.setErrorHandler(async (err, request, reply) => {
    const { status, body } = httpErrorOf(err, request.log);
    if (status === 413) await drainRequest(request.raw);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(`no route ${request.method} ${request.url}`, "invalid_request_error", "not_found"));
  });
  if (apiKey) {
    app.addHook("onRequest", async (request, reply) => {
      if (!authorized(request.url, request.headers.authorization)) {
        await reply.status(401).send(errorBody("invalid or missing API key (Authorization: Bearer <key>)", "invalid_request_error", "invalid_api_key"));
      }
    });
  }

  app.get("/health", async (_request, reply) => {
    const experts = Object.values(system.stats().experts);
    if (system.isClosed || system.isDraining) return reply.status(503).send({ status: system.isClosed ? "closing" : "draining" });
    return { status: "ok", experts: experts.length, loaded_experts: experts.filter((e) => e.loaded).length };
  });

  const modelEntry = (id: string) => {
    const s = system.stats().experts[id]!;
    const e = system.registry.get(id);
    return { id, object: "model", created: 0, owned_by: "capibara", domain: e.domain, description: e.description, state: s.state, loaded: s.loaded, remote: s.remote };
  };
  const autoEntry = () => ({ id: "auto", object: "model", created: 0, owned_by: "capibara", domain: "auto", description: "routes each request to the best expert", state: "ready", loaded: true, remote: false });
  app.get("/v1/models", async () => ({ object: "list", data: [autoEntry(), ...system.config.experts.map((e) => modelEntry(e.name))] }));
  app.get<{ Params: { model: string } }>("/v1/models/:model", async (request) =>
    request.params.model === "auto" ? autoEntry() : modelEntry(system.registry.get(request.params.model).name),
  );

  // The limits let the web page refuse an image too large to send before sending it.
  const limits = { body_limit_bytes: bodyLimit, max_image_bytes: cfg.max_image_bytes };
  app.get("/stats", async () => ({ ...system.stats(), recent_routes: routes.list(), limits }));
  app.get("/metrics", async (_request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  // Requests the fast lane does not take (and app.inject's) come this way.
  for (const [path, handler] of generation) {
    app.post(path, async (request, reply) => {
      const out = await handler(request.body, { raw: reply.raw, hijack: () => reply.hijack() });
      if (!out) return reply;
      void reply.headers(out.headers);
      return out.body;
    });
  }

  registerEmbeddingRoutes(app, system, metrics);
  registerAdminRoutes(app, system, routes);
  registerWebRoutes(app);
  return app;
}

/** A listening server. */
export interface RunningServer {
  app: FastifyInstance;
  /** `http://host:port` actually bound (port 0 picks a free one). */
  url: string;
  /** Stops accepting requests, aborts generations and unloads every model. */
  close(): Promise<void>;
  /**
   * Graceful shutdown: refuses new generation requests (503; `/health` answers 503 too, so
   * gateways and load balancers stop sending), lets the generations already started finish, for
   * up to `timeoutMs`, then closes as {@link RunningServer.close}.
   */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Starts the server on `host`:`port` (default: the config's `server` section, which binds 127.0.0.1).
 * @example
 * ```ts
 * const system = await createSystem("config.json");
 * const { url } = await startServer(system, { port: 8082 });
 * ```
 */
export async function startServer(system: CapibaraSystem, options: ServerOptions & { host?: string; port?: number } = {}): Promise<RunningServer> {
  const app = createServer(system, options);
  const host = options.host ?? system.config.server.host;
  const port = options.port ?? system.config.server.port;
  await app.listen({ host, port });
  const addr = app.server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    app,
    url: `http://${shownHost}:${bound}`,
    close: async () => {
      // Ending generations first lets streaming responses finish, so fastify's close does not wait on them.
      await system.close();
      await app.close();
    },
    drain: async (timeoutMs) => {
      // Connections stay open meanwhile, so a gateway's probes read the 503 of /health.
      await system.drain(timeoutMs);
      await app.close();
    },
  };
}
