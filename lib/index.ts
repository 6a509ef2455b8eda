/**
 * capibara: an embedded five-expert LLM system for Node.js.
 * @packageDocumentation
 */
export * from "./errors.js";
export * as kernels from "./kernels.js";
export * from "./gguf/index.js";
export * from "./tokenizer/index.js";
export * as router from "./router/index.js";
export { route } from "./router/index.js";
export * from "./chat/index.js";
export type * from "./engine/types.js";
export * from "./config/index.js";
export * from "./registry/index.js";
export * from "./loader/index.js";
export * from "./system.js";
export * from "./server/index.js";
export * from "./engine/index.js";
export * from "./grammar/index.js";
export * as demo from "./demo/index.js";
