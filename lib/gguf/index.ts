/**
 * GGUF files: a streaming writer and (through the native reader) inspection.
 * @module
 */
export * from "./types.js";
export { GgufWriter } from "./writer.js";
export type { GgufArrayValue, GgufScalar, GgufTensorData, GgufTensorSpec, GgufWriterOptions } from "./writer.js";
export { inspectGguf, isGgufArraySummary } from "./inspect.js";
export type { GgufArraySummary, GgufInspection, GgufQuantMixEntry, GgufTensorInfo, GgufValue, InspectGgufOptions } from "./inspect.js";
