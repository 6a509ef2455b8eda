/**
 * Draining a request body the server will not read, before answering it.
 * @module
 */
import type { IncomingMessage } from "node:http";

/** Bytes read and discarded after the body limit at most; a client sending more is cut off. */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
/** Time spent draining at most. */
export const DRAIN_MAX_MS = 10_000;

/**
 * Reads and discards the rest of a request body, up to `maxBytes` or `maxMs`. A response sent
 * while the client is still sending makes Node close the connection with unread data in it, and
 * the client sees EPIPE or a reset instead of the response (a 413 for a 12 MB body did).
 */
export function drainRequest(req: IncomingMessage, maxBytes = DRAIN_MAX_BYTES, maxMs = DRAIN_MAX_MS): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", done);
      req.off("close", done);
      req.off("error", done);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    req.on("data", onData);
    req.once("end", done);
    req.once("close", done);
    req.once("error", done);
    req.resume();
  });
}
