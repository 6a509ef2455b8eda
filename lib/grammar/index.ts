/**
 * Constrained decoding: GBNF grammars (llama.cpp syntax) and JSON Schema, applied by the native
 * grammar engine (`native/grammar/`) at every sampling step.
 * @module
 */
export { jsonSchemaToGbnf, JSON_OBJECT_GBNF } from "./json-schema.js";
