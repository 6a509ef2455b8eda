/**
 * Typed errors. Every error capibara throws is a {@link CapibaraError} with a stable `code`.
 * Native codes mirror `native/common/status.h` (a unit test fails if they drift); the native addon
 * creates instances of these classes through {@link errorFromCode}.
 * @module
 */

/** Codes produced by the native core, in `status.h` order (`OK` is never thrown). */
export const NATIVE_ERROR_CODES = [
  "OK",
  "INVALID_ARGUMENT",
  "IO_ERROR",
  "OOM",
  "GGUF_BAD_MAGIC",
  "GGUF_UNSUPPORTED_VERSION",
  "GGUF_TRUNCATED",
  "GGUF_BAD_METADATA",
  "GGUF_MISSING_KEY",
  "GGUF_TENSOR_OUT_OF_BOUNDS",
  "GGUF_UNSUPPORTED_TYPE",
  "GGUF_MISSING_TENSOR",
  "GGUF_BAD_TENSOR_SHAPE",
  "UNSUPPORTED_ARCH",
  "UNSUPPORTED_QUANT",
  "TOKENIZER_ERROR",
  "CONTEXT_FULL",
  "ABORTED",
  "MODEL_CLOSED",
  "INTERNAL",
  "GRAMMAR_INVALID",
  "GRAMMAR_DEAD_END",
] as const;

/** A code produced by the native core. */
export type NativeErrorCode = Exclude<(typeof NATIVE_ERROR_CODES)[number], "OK">;

/** Codes produced only by the TypeScript layer. */
export type LibErrorCode =
  | "NATIVE_LOAD_FAILED"
  | "CONFIG_INVALID"
  | "ROUTER_BAD_INPUT"
  | "MODEL_NOT_FOUND"
  | "EXPERT_LOAD_FAILED"
  | "QUEUE_FULL"
  | "EXPERT_BUSY"
  | "BAD_REQUEST"
  | "CHAT_TEMPLATE_ERROR"
  | "UPSTREAM_ERROR"
  | "BAD_IMAGE"
  | "IMAGE_TOO_LARGE"
  | "NO_VISION";

/** Every error code capibara uses. */
export type ErrorCode = NativeErrorCode | LibErrorCode;

/** Base class of every error thrown by capibara. */
export class CapibaraError extends Error {
  /** Stable machine-readable code, e.g. `GGUF_TRUNCATED`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A GGUF file is corrupt, truncated, of an unsupported version or misses required data. */
export class GgufFormatError extends CapibaraError {}
/** The model's architecture is not one capibara runs. */
export class UnsupportedArchError extends CapibaraError {}
/** A tensor type (quantisation) capibara cannot run. */
export class UnsupportedQuantError extends CapibaraError {}
/** Tokenizer data is missing or invalid, or text could not be tokenised. */
export class TokenizerError extends CapibaraError {}
/** The prompt plus generation would exceed the context size. */
export class ContextFullError extends CapibaraError {}
/** The operation was cancelled through an AbortSignal. */
export class AbortError extends CapibaraError {}
/** Memory could not be allocated. */
export class OutOfMemoryError extends CapibaraError {}
/** The model (or session) was used after `close()`. */
export class ModelClosedError extends CapibaraError {}
/** An argument was of the wrong type or out of range. */
export class InvalidArgumentError extends CapibaraError {}
/** A file could not be opened or read. */
export class IoError extends CapibaraError {}
/** An internal invariant failed; please report it. */
export class InternalError extends CapibaraError {}
/** The native addon could not be loaded; the message lists each attempt and the fix. */
export class NativeLoadError extends CapibaraError {}
/** A configuration file or object is invalid; the message names the file, key and expectation. */
export class ConfigError extends CapibaraError {}
/**
 * A grammar or JSON schema is invalid or unsupported (`GRAMMAR_INVALID`, the message names the
 * problem), or a constrained generation reached a state no token can continue (`GRAMMAR_DEAD_END`).
 */
export class GrammarError extends CapibaraError {}
/** A chat template failed to parse or render (including its own `raise_exception`). */
export class ChatTemplateError extends CapibaraError {}

/**
 * Image input was refused: not an image in a supported format, truncated or corrupt (`BAD_IMAGE`),
 * over the pixel or byte limit (`IMAGE_TOO_LARGE`), or sent to a model without a vision projector
 * (`NO_VISION`).
 */
export class ImageError extends CapibaraError {}

const NATIVE_CLASSES: Record<NativeErrorCode, new (code: ErrorCode, message: string) => CapibaraError> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  IO_ERROR: IoError,
  OOM: OutOfMemoryError,
  GGUF_BAD_MAGIC: GgufFormatError,
  GGUF_UNSUPPORTED_VERSION: GgufFormatError,
  GGUF_TRUNCATED: GgufFormatError,
  GGUF_BAD_METADATA: GgufFormatError,
  GGUF_MISSING_KEY: GgufFormatError,
  GGUF_TENSOR_OUT_OF_BOUNDS: GgufFormatError,
  GGUF_UNSUPPORTED_TYPE: GgufFormatError,
  GGUF_MISSING_TENSOR: GgufFormatError,
  GGUF_BAD_TENSOR_SHAPE: GgufFormatError,
  UNSUPPORTED_ARCH: UnsupportedArchError,
  UNSUPPORTED_QUANT: UnsupportedQuantError,
  TOKENIZER_ERROR: TokenizerError,
  CONTEXT_FULL: ContextFullError,
  ABORTED: AbortError,
  MODEL_CLOSED: ModelClosedError,
  INTERNAL: InternalError,
  GRAMMAR_INVALID: GrammarError,
  GRAMMAR_DEAD_END: GrammarError,
};

/**
 * Builds the error for a native code; unknown codes become {@link InternalError} so a newer addon
 * never crashes an older TS layer.
 * @internal
 */
export function errorFromCode(code: string, message: string): CapibaraError {
  const cls = (NATIVE_CLASSES as Record<string, (typeof NATIVE_CLASSES)[NativeErrorCode] | undefined>)[code];
  return cls ? new cls(code as NativeErrorCode, message) : new InternalError("INTERNAL", `${code}: ${message}`);
}
