/**
 * Native tokenizers built from GGUF tokenizer metadata: SentencePiece-style (`llama`: merges by
 * score, byte fallback, `▁` for spaces) and byte-level BPE (`gpt2`: merge ranks and the
 * pre-tokenizer named by `tokenizer.ggml.pre`). Token ids and detokenized text equal llama.cpp's
 * (checked on a 2,100-string multilingual corpus for Qwen2, Llama 3, gpt-4o/Phi-4-mini, Command-R's
 * pre-tokenizer, Gemma 3 and Mistral vocabularies).
 *
 * {@link Tokenizer.detokenize} applies llama.cpp's whole-text rules (leading-space removal for SPM,
 * space clean-up for `llama-bpe`/`gpt2`); {@link StreamDecoder} concatenates token pieces as
 * llama.cpp's streaming does, never splitting a UTF-8 character.
 * @module
 */
import type { ChatTemplate } from "../chat/ChatTemplate.js";
import { InvalidArgumentError } from "../errors.js";
import { native, type NativeDecoderHandle, type NativeTokenizerHandle, type NativeTokenizerInfo } from "../native.js";

/**
 * Tokenizer data as the GGUF `tokenizer.ggml.*` keys hold it (see `native/tokenizer/tokenizer.h`).
 * Unset optional fields take llama.cpp's defaults (SPM: BOS 1, EOS 2, UNK 0, add BOS, space prefix;
 * BPE: no BOS unless the pre-tokenizer asks for one, e.g. `llama-bpe`).
 */
export interface TokenizerData {
  /** `tokenizer.ggml.model`: `"llama"` (SentencePiece-style) or `"gpt2"` (byte-level BPE). */
  model: string;
  /**
   * `tokenizer.ggml.pre` (`gpt2` only): `qwen2`, `llama-bpe`, `gpt-4o`, `command-r`, `gpt2`,
   * `default` and aliases; missing means llama.cpp's `default`.
   */
  pre?: string;
  /** `tokenizer.ggml.tokens`: token texts by id. */
  tokens: readonly string[];
  /** `tokenizer.ggml.scores` (SPM merge priority). */
  scores?: Float32Array;
  /** `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  tokenTypes?: Int32Array;
  /** `tokenizer.ggml.merges`: `"left right"` pairs in rank order (required for `gpt2`). */
  merges?: readonly string[];
  /** `tokenizer.ggml.bos_token_id`. */
  bosId?: number;
  /** `tokenizer.ggml.eos_token_id`. */
  eosId?: number;
  /** `tokenizer.ggml.eot_token_id` (else recognised by text, e.g. `<|im_end|>`). */
  eotId?: number;
  /** `tokenizer.ggml.eom_token_id`. */
  eomId?: number;
  /** `tokenizer.ggml.unknown_token_id`. */
  unkId?: number;
  /** `tokenizer.ggml.seperator_token_id` (sic). */
  sepId?: number;
  /** `tokenizer.ggml.padding_token_id`. */
  padId?: number;
  /** `tokenizer.ggml.add_bos_token`. */
  addBos?: boolean;
  /** `tokenizer.ggml.add_eos_token`. */
  addEos?: boolean;
  /** `tokenizer.ggml.add_space_prefix` (SPM: prefix the text with a space). */
  addSpacePrefix?: boolean;
  /** `general.name` (llama.cpp applies a Phi-3 whitespace rule by name). */
  name?: string;
  /** `tokenizer.chat_template` (Jinja), kept for the chat layer. */
  chatTemplate?: string;
}

/** Options of {@link Tokenizer.tokenize}. */
export interface TokenizeOptions {
  /** Add BOS/EOS as the vocabulary asks (`add_bos_token` / `add_eos_token`). Default `false`. */
  addSpecial?: boolean;
  /**
   * Turn the text of control tokens (e.g. `<|im_start|>`) into those tokens. Default `false`: such
   * text is tokenised as plain text. User-defined tokens are always matched, as in llama.cpp.
   */
  parseSpecial?: boolean;
}

/** Options of {@link Tokenizer.detokenize}. */
export interface DetokenizeOptions {
  /** Render control tokens as their text. Default `false` (they render as nothing). */
  special?: boolean;
  /** Drop a leading BOS and trailing EOS the vocabulary would add. Default `false`. */
  removeSpecial?: boolean;
}

/** Token attribute bits (llama.cpp's `llama_token_attr`). */
export const TokenAttr = {
  unknown: 1 << 0,
  unused: 1 << 1,
  normal: 1 << 2,
  control: 1 << 3,
  userDefined: 1 << 4,
  byte: 1 << 5,
  lstrip: 1 << 7,
  rstrip: 1 << 8,
} as const;

/**
 * Incremental detokenizer for generated tokens: each {@link StreamDecoder.push} returns only whole
 * characters, holding back the bytes of a character split across tokens.
 */
export class StreamDecoder {
  readonly #handle: NativeDecoderHandle;

  /** @internal */
  constructor(handle: NativeDecoderHandle) {
    this.#handle = handle;
  }

  /** Adds one token; returns the text completed by it (possibly `""`). */
  push(token: number): string {
    return native().tokenizer.decoderPush(this.#handle, token);
  }

  /** Returns what is left (an unfinished character becomes U+FFFD) and resets the decoder. */
  flush(): string {
    return native().tokenizer.decoderFlush(this.#handle);
  }
}

/** A tokenizer; construct with {@link Tokenizer.fromGguf} or {@link Tokenizer.fromData}. */
export class Tokenizer {
  readonly #handle: NativeTokenizerHandle;
  readonly #info: NativeTokenizerInfo;

  private constructor(handle: NativeTokenizerHandle) {
    this.#handle = handle;
    this.#info = native().tokenizer.info(handle);
  }

  /**
   * The native handle (for the grammar engine's vocabulary trie).
   * @internal
   */
  get nativeHandle(): NativeTokenizerHandle {
    return this.#handle;
  }

  /**
   * Builds a tokenizer from GGUF-style data (synchronous: a 250k-token vocabulary takes a few
   * hundred milliseconds). Throws {@link TokenizerError} for unsupported or inconsistent data.
   */
  /**
   * Wraps a native tokenizer handle (the engine's, read with the model).
   * @internal
   */
  static fromNative(handle: NativeTokenizerHandle): Tokenizer {
    return new Tokenizer(handle);
  }

  static fromData(data: TokenizerData): Tokenizer {
    return new Tokenizer(native().tokenizer.create(data));
  }

  /**
   * Reads the tokenizer of a GGUF file (its `tokenizer.ggml.*` keys) off the main thread. Rejects
   * with {@link GgufFormatError} for a bad file and {@link TokenizerError} for unsupported data.
   */
  static async fromGguf(path: string): Promise<Tokenizer> {
    if (typeof path !== "string") throw new InvalidArgumentError("INVALID_ARGUMENT", "fromGguf: path must be a string");
    return new Tokenizer(await native().tokenizer.fromGguf(path));
  }

  /** Number of tokens in the vocabulary. */
  get size(): number {
    return this.#info.size;
  }
  /** `"spm"` (SentencePiece-style, GGUF model `llama`) or `"bpe"` (byte-level, model `gpt2`). */
  get kind(): "spm" | "bpe" {
    return this.#info.kind;
  }
  /** BOS token id, or `null`. */
  get bos(): number | null {
    return this.#info.bos;
  }
  /** EOS token id, or `null`. */
  get eos(): number | null {
    return this.#info.eos;
  }
  /** End-of-turn token id (from the file or recognised by its text), or `null`. */
  get eot(): number | null {
    return this.#info.eot;
  }
  /** Whether `tokenize(..., { addSpecial: true })` prepends BOS. */
  get addBos(): boolean {
    return this.#info.addBos;
  }
  /** The file's `tokenizer.chat_template`, or `null` (see {@link ChatTemplate.resolve}). */
  get chatTemplate(): string | null {
    return this.#info.chatTemplate;
  }
  /** Whether `tokenize(..., { addSpecial: true })` appends EOS. */
  get addEos(): boolean {
    return this.#info.addEos;
  }

  /** Text to token ids. */
  tokenize(text: string, options: TokenizeOptions = {}): Int32Array {
    if (typeof text !== "string") throw new InvalidArgumentError("INVALID_ARGUMENT", "tokenize: text must be a string");
    return native().tokenizer.tokenize(this.#handle, text, options.addSpecial ?? false, options.parseSpecial ?? false);
  }

  /** Token ids to text, exactly as llama.cpp's `llama_detokenize` renders them. */
  detokenize(ids: ArrayLike<number>, options: DetokenizeOptions = {}): string {
    const arr = ids instanceof Int32Array ? ids : Int32Array.from(ids);
    return native().tokenizer.detokenize(this.#handle, arr, options.removeSpecial ?? false, options.special ?? false);
  }

  /** Raw bytes of one token (may be part of a UTF-8 character). */
  piece(token: number, special = false): Uint8Array {
    return native().tokenizer.piece(this.#handle, token, special);
  }

  /** The vocabulary text of a token (e.g. `"▁the"`, `"Ġthe"`, `"<|im_end|>"`). */
  tokenText(token: number): string {
    return native().tokenizer.tokenText(this.#handle, token);
  }

  /** Attribute bits of a token (see {@link TokenAttr}). */
  tokenAttributes(token: number): number {
    return native().tokenizer.tokenAttr(this.#handle, token);
  }

  /** Ids of the tokens that end generation, ascending (see {@link Tokenizer.isEndOfGeneration}). */
  get endOfGenerationTokens(): readonly number[] {
    return Array.from(this.#info.eog);
  }

  /** Whether a token ends generation (EOS, EOT and the end tokens llama.cpp recognises). */
  isEndOfGeneration(token: number): boolean {
    return native().tokenizer.isEog(this.#handle, token);
  }

  /** A new streaming decoder; `special` renders control tokens as their text. */
  createDecoder(options: { special?: boolean } = {}): StreamDecoder {
    return new StreamDecoder(native().tokenizer.decoderCreate(this.#handle, options.special ?? false));
  }
}
