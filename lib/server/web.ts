/**
 * The web page at `/` (chat playground and live dashboard): static files built from `lib/web` into
 * `dist/web` by `npm run build:web` (part of `prepare`), read once and served from memory.
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { packageRoot } from "../native.js";
import { errorBody } from "./errors.js";

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "/favicon.svg": { file: "favicon.svg", type: "image/svg+xml" },
  "/favicon.ico": { file: "favicon.svg", type: "image/svg+xml" },
};

/** The page may reach only its own server: no CDN, no inline script, nothing external. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Where the built page lives. */
export const WEB_DIR = join(packageRoot, "dist", "web");

/** Whether a request path is one of the page's files (served without the API key: they hold no data). */
export function isWebPath(url: string): boolean {
  return Object.hasOwn(FILES, url.split("?")[0]!);
}

/** Registers `GET /` and the page's assets; without a built page, `/` answers 404 saying how to build it. */
export function registerWebRoutes(app: FastifyInstance, dir = WEB_DIR): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    let body: Buffer | null = null;
    try {
      body = readFileSync(join(dir, file));
    } catch {
      // Left null: a checkout that has not run `npm run build:web` still serves the API.
    }
    app.get(path, async (_request, reply) => {
      if (!body) return reply.status(404).send(errorBody(`the web page is not built (${file} missing in ${dir}): run npm run build:web`, "invalid_request_error", "not_found"));
      return reply
        .header("content-type", type)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", CSP)
        .header("referrer-policy", "no-referrer")
        .send(body);
    });
  }
}
