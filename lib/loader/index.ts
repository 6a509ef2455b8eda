/**
 * Lazy loading of expert models: single-flight loads, LRU eviction, idle unload, per-expert queues.
 * @module
 */
export * from "./LazyLoader.js";
export { ExpertLoadError, QueueFullError, ExpertBusyError } from "./errors.js";
