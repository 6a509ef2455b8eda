/**
 * System configuration: schema, parsing and file loading.
 * @module
 */
export * from "./schema.js";
export { parseConfig, loadConfig, type ConfigSource } from "./load.js";
