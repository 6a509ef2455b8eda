/**
 * Admin endpoints: load progress as server-sent events, and explicit load / unload of an expert.
 * @module
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { LoaderEvent } from "../loader/index.js";
import type { RemoteEvent } from "../registry/remote.js";
import type { CapibaraSystem } from "../system.js";
import type { RouteLog, RoutedEvent } from "./routes.js";
import { BadRequestError } from "./errors.js";

/** Keeps idle SSE connections open through proxies that close silent ones. */
const HEARTBEAT_MS = 15_000;

/**
 * Registers `GET /admin/events`, `POST /admin/experts/:name/load` and `POST /admin/experts/:name/unload`.
 * The events are the loader's, plus `routed` for each request's routing decision.
 */
export function registerAdminRoutes(app: FastifyInstance, system: CapibaraSystem, routes: RouteLog): void {
  // Event streams never end on their own: closing the server ends them, or it would wait forever on an open dashboard.
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const raw of streams) raw.end();
  });
  app.get("/admin/events", (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    streams.add(raw);
    raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (type: string, data: unknown): void => {
      raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // The current state first, so a client needs no separate /stats call to start from.
    send("snapshot", [...system.loader.status(), ...system.remotes.status()]);
    const onEvent = (ev: LoaderEvent | RemoteEvent | RoutedEvent): void => send(ev.type, ev);
    system.loader.on("event", onEvent);
    system.remotes.on("event", onEvent);
    routes.on("routed", onEvent);
    const heartbeat = setInterval(() => raw.write(": heartbeat\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    request.raw.on("close", () => {
      streams.delete(raw);
      clearInterval(heartbeat);
      system.loader.off("event", onEvent);
      routes.off("routed", onEvent);
      system.remotes.off("event", onEvent);
    });
  });

  const local = (name: string) => {
    const expert = system.registry.get(name);
    if (expert.url !== undefined) throw new BadRequestError(`expert "${expert.name}" is remote (${expert.url}): there is nothing to load or unload`);
    return expert;
  };

  app.post<{ Params: { name: string } }>("/admin/experts/:name/load", async (request) => {
    const expert = local(request.params.name);
    await system.loader.load(expert.name, "admin");
    return { expert: expert.name, state: "loaded" };
  });

  app.post<{ Params: { name: string } }>("/admin/experts/:name/unload", async (request) => {
    const expert = local(request.params.name);
    await system.loader.unload(expert.name);
    return { expert: expert.name, state: "unloaded" };
  });
}
