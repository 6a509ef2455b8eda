/**
 * Tokenizers (native, from GGUF tokenizer metadata).
 * @module
 */
export { StreamDecoder, TokenAttr, Tokenizer } from "./Tokenizer.js";
export type { DetokenizeOptions, TokenizeOptions, TokenizerData } from "./Tokenizer.js";
