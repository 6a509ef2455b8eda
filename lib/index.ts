/**
 * capibara: an embedded five-expert LLM system for Node.js.
 * @packageDocumentation
 */
export * from "./errors.js";
export * as kernels from "./kernels.js";
export * from "./gguf/index.js";
export * from "./tokenizer/index.js";
