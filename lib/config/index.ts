/**
 * System configuration: schema, parsing and file loading.
 * @module
 */
export * from "./schema.js";
export { parseConfig, loadConfig, type ConfigSource } from "./load.js";
export { demoConfig, demoCacheDir, DEMO_EXPERTS, DEMO_VERSION, type DemoArch, type DemoModelBuilder } from "./demo.js";
