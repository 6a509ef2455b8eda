/**
 * OpenAI-compatible HTTP server over the five-expert system.
 * @module
 */
export { createServer, startServer, type ServerOptions, type RunningServer } from "./app.js";
export { BadRequestError, toHttpError, type OpenAIErrorBody, type HttpError } from "./errors.js";
export type { ServerMetrics } from "./metrics.js";
