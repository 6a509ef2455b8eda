/**
 * Reads a GGUF file's header with the native reader (off the event loop) and summarises it:
 * architecture, parameter count, quantisation mix, context length, tokenizer.
 * @module
 */
import { native } from "../native.js";
import type { GgmlTypeName, GgufValueType } from "./types.js";

/** Stands in for an array longer than 64 elements when `includeArrays` is not set. */
export interface GgufArraySummary {
  elementType: GgufValueType;
  length: number;
}

/**
 * A metadata value: integers up to 32 bits and floats as numbers, 64-bit integers as bigint,
 * arrays as JS arrays (or {@link GgufArraySummary}).
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[] | GgufArraySummary;

/** One tensor's description. */
export interface GgufTensorInfo {
  name: string;
  type: GgmlTypeName;
  /** ggml type id as stored in the file. */
  typeId: number;
  /** ggml order: `shape[0]` is the row length. */
  shape: number[];
  /** Offset of the data, relative to {@link GgufInspection.dataOffset}. */
  offset: number;
  bytes: number;
  elements: number;
}

/** Tensors of one type: how many, their bytes and their elements (parameters). */
export interface GgufQuantMixEntry {
  type: GgmlTypeName;
  tensors: number;
  bytes: number;
  elements: number;
}

/** What {@link inspectGguf} returns. */
export interface GgufInspection {
  path: string;
  /** GGUF version (2 or 3). */
  version: number;
  alignment: number;
  /** Absolute file offset of the tensor data section. */
  dataOffset: number;
  fileSize: number;
  metadata: Record<string, GgufValue>;
  /** Value type of each key: `"u32"`, `"string"`, `"array<string>"`, ... */
  metadataTypes: Record<string, string>;
  tensors: GgufTensorInfo[];
  /** `general.architecture`, or null when absent. */
  architecture: string | null;
  /** `general.name`, or null when absent. */
  name: string | null;
  /** Sum of the tensors' element counts. */
  parameterCount: number;
  /** `<architecture>.context_length`, or null when absent. */
  contextLength: number | null;
  tokenizer: {
    /** `tokenizer.ggml.model` ("gpt2", "llama", ...), or null. */
    model: string | null;
    /** Length of `tokenizer.ggml.tokens`, or null. */
    vocabSize: number | null;
  };
  /** Whether `tokenizer.chat_template` is present. */
  hasChatTemplate: boolean;
  /** Tensor types by total bytes, largest first. */
  quantMix: GgufQuantMixEntry[];
}

/** Options of {@link inspectGguf}. */
export interface InspectGgufOptions {
  /** Return every array in full (a vocabulary can hold 256k strings); default false summarises arrays over 64 elements. */
  includeArrays?: boolean;
}

/** True when `v` is the summary of a long array. */
export function isGgufArraySummary(v: GgufValue | undefined): v is GgufArraySummary {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringOrNull(v: GgufValue | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function arrayLength(v: GgufValue | undefined): number | null {
  if (Array.isArray(v)) return v.length;
  return isGgufArraySummary(v) ? v.length : null;
}

function quantMix(tensors: readonly GgufTensorInfo[]): GgufQuantMixEntry[] {
  const byType = new Map<GgmlTypeName, GgufQuantMixEntry>();
  for (const t of tensors) {
    const e = byType.get(t.type) ?? { type: t.type, tensors: 0, bytes: 0, elements: 0 };
    e.tensors++;
    e.bytes += t.bytes;
    e.elements += t.elements;
    byType.set(t.type, e);
  }
  return [...byType.values()].sort((a, b) => b.bytes - a.bytes);
}

/**
 * Parses and validates a GGUF file's header on the libuv pool (the file is memory-mapped; tensor
 * data is checked for bounds but not read).
 * @throws GgufFormatError with a code such as `GGUF_BAD_MAGIC`, `GGUF_TRUNCATED`,
 *   `GGUF_TENSOR_OUT_OF_BOUNDS`; IoError when the file cannot be opened.
 */
export async function inspectGguf(path: string, options: InspectGgufOptions = {}): Promise<GgufInspection> {
  const raw = await native().gguf.inspect(path, options.includeArrays ?? false);
  const metadata = raw.metadata as Record<string, GgufValue>;
  const tensors = raw.tensors as GgufTensorInfo[];
  const architecture = stringOrNull(metadata["general.architecture"]);
  const ctx = architecture === null ? undefined : metadata[`${architecture}.context_length`];
  return {
    path,
    version: raw.version,
    alignment: raw.alignment,
    dataOffset: raw.dataOffset,
    fileSize: raw.fileSize,
    metadata,
    metadataTypes: raw.metadataTypes,
    tensors,
    architecture,
    name: stringOrNull(metadata["general.name"]),
    parameterCount: tensors.reduce((n, t) => n + t.elements, 0),
    contextLength: typeof ctx === "number" ? ctx : typeof ctx === "bigint" ? Number(ctx) : null,
    tokenizer: {
      model: stringOrNull(metadata["tokenizer.ggml.model"]),
      vocabSize: arrayLength(metadata["tokenizer.ggml.tokens"]),
    },
    hasChatTemplate: typeof metadata["tokenizer.chat_template"] === "string",
    quantMix: quantMix(tensors),
  };
}
