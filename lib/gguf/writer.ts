/**
 * GGUF v3 writer. Metadata and tensor infos are encoded in memory (they are small); tensor data is
 * produced, quantised and written one tensor (and one slice of rows) at a time, so files of
 * hundreds of MB never sit in memory whole. The file is written to a temporary name and renamed when complete.
 * @module
 */
import { open, rename, rm } from "node:fs/promises";
import { InvalidArgumentError } from "../errors.js";
import { quantize, type WeightType } from "../kernels.js";
import {
  GGML_TYPES,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_VALUE_TYPE_IDS,
  ggmlTensorBytes,
  type GgmlTypeName,
  type GgufScalarType,
  type GgufValueType,
} from "./types.js";

/** A scalar metadata value: numbers (bigint allowed for 64-bit integers), booleans, strings. */
export type GgufScalar = number | bigint | boolean | string;

/** A typed array value; `values` of nested arrays are themselves {@link GgufArrayValue}s. */
export type GgufArrayValue =
  | { type: GgufScalarType; values: readonly GgufScalar[] | ArrayLike<number> }
  | { type: "array"; values: readonly GgufArrayValue[] };

/** Tensor data: float32 values to convert to the tensor's type, or bytes already in that type. */
export type GgufTensorData = Float32Array | Uint8Array;

/** A tensor to write. */
export interface GgufTensorSpec {
  /** Element type stored in the file. */
  type: GgmlTypeName;
  /** ggml order: `shape[0]` is the row length (innermost); 1 to 4 dimensions. */
  shape: readonly number[];
  /**
   * The values, or a function producing them when the writer reaches this tensor (so a large file
   * can be generated tensor by tensor). A `Float32Array` is converted to `type` by the native
   * quantisers (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_K, q3_K, q4_K, q5_K, q6_K,
   * iq4_xs; byte-identical to ggml's, as llama-quantize writes them without an importance matrix); a
   * `Uint8Array` must hold exactly the encoded bytes of `type` (any type).
   */
  data: GgufTensorData | (() => GgufTensorData | Promise<GgufTensorData>);
}

/** Options of {@link GgufWriter}. */
export interface GgufWriterOptions {
  /** Tensor data alignment (power of two); written as `general.alignment` when not 32. */
  alignment?: number;
}

const MAX_TENSOR_NAME_BYTES = 63; // llama.cpp's GGML_MAX_NAME (64) includes the NUL

const INT_RANGES: Partial<Record<GgufScalarType, readonly [bigint, bigint]>> = {
  u8: [0n, 0xffn],
  i8: [-0x80n, 0x7fn],
  u16: [0n, 0xffffn],
  i16: [-0x8000n, 0x7fffn],
  u32: [0n, 0xffffffffn],
  i32: [-0x80000000n, 0x7fffffffn],
  u64: [0n, 0xffffffffffffffffn],
  i64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

/** Bytes of each fixed-size scalar type. */
const SCALAR_SIZES: Record<Exclude<GgufScalarType, "string">, number> = {
  u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8,
};

/** Little-endian byte builder for the header (metadata + tensor infos). */
class ByteSink {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  /**
   * Reserves `n` bytes and returns the view to write them through and their offset. Growing
   * replaces the buffer, so writers must use the returned view, never one read before the call.
   */
  private reserve(n: number): { view: DataView; at: number } {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return { view: this.view, at };
  }

  u32(v: number): void {
    this.scalar("u32", v);
  }
  u64(v: bigint | number): void {
    this.scalar("u64", v);
  }
  bytes(b: Uint8Array): void {
    const { at } = this.reserve(b.length);
    this.buf.set(b, at);
  }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment); // new bytes are zero: the buffer only grows
  }
  scalar(type: GgufScalarType, v: GgufScalar): void {
    if (type === "string") return this.string(v as string);
    const { view, at } = this.reserve(SCALAR_SIZES[type]);
    switch (type) {
      case "u8": return view.setUint8(at, Number(v));
      case "i8": return view.setInt8(at, Number(v));
      case "u16": return view.setUint16(at, Number(v), true);
      case "i16": return view.setInt16(at, Number(v), true);
      case "u32": return view.setUint32(at, Number(v), true);
      case "i32": return view.setInt32(at, Number(v), true);
      case "u64": return view.setBigUint64(at, BigInt(v), true);
      case "i64": return view.setBigInt64(at, BigInt(v), true);
      case "f32": return view.setFloat32(at, Number(v), true);
      case "f64": return view.setFloat64(at, Number(v), true);
      case "bool": return view.setUint8(at, v ? 1 : 0);
    }
  }
  contents(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError("INVALID_ARGUMENT", message);
}

/** Throws unless `v` is a valid value of scalar `type`. */
function checkScalar(type: GgufScalarType, v: unknown, where: string): asserts v is GgufScalar {
  const range = INT_RANGES[type];
  if (range) {
    const ok = typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v));
    if (!ok || BigInt(v as bigint | number) < range[0] || BigInt(v as bigint | number) > range[1])
      throw invalid(`${where}: ${String(v)} is not a ${type} integer`);
  } else if (type === "f32" || type === "f64") {
    if (typeof v !== "number") throw invalid(`${where}: expected a number for ${type}`);
  } else if (type === "bool") {
    if (typeof v !== "boolean") throw invalid(`${where}: expected a boolean`);
  } else if (typeof v !== "string") {
    throw invalid(`${where}: expected a string`);
  }
}

function checkArray(a: GgufArrayValue, where: string): void {
  if (!(a.type in GGUF_VALUE_TYPE_IDS)) throw invalid(`${where}: unknown element type '${String(a.type)}'`);
  const values = a.values as ArrayLike<unknown>;
  for (let i = 0; i < values.length; i++) {
    if (a.type === "array") checkArray(values[i] as GgufArrayValue, `${where}[${i}]`);
    else checkScalar(a.type, values[i], `${where}[${i}]`);
  }
}

function encodeArray(sink: ByteSink, a: GgufArrayValue): void {
  sink.u32(GGUF_VALUE_TYPE_IDS[a.type]);
  sink.u64(a.values.length);
  for (let i = 0; i < a.values.length; i++) {
    if (a.type === "array") encodeArray(sink, a.values[i]!);
    else sink.scalar(a.type, a.values[i]!);
  }
}

type Entry = { type: GgufScalarType; value: GgufScalar } | { type: "array"; value: GgufArrayValue };

/** Types the writer encodes from float32 (through the native quantisers in `lib/kernels.ts`). */
const ENCODABLE: ReadonlySet<GgmlTypeName> = new Set<WeightType>([
  "f32",
  "f16",
  "bf16",
  "q8_0",
  "q4_0",
  "q4_1",
  "q5_0",
  "q5_1",
  "iq4_nl",
  "q2_K",
  "q3_K",
  "q4_K",
  "q5_K",
  "q6_K",
  "iq4_xs",
]);

/**
 * Float32 elements per encoded slice: rows are quantised and written about 4 MiB at a time, so a
 * large tensor never needs its encoded copy whole and the event loop gets a turn between slices.
 */
const SLICE_ELEMENTS = 1 << 20;

/** Encodes `src` (rows of `rowLength`) to `type`, a slice of whole rows at a time. */
function* encodeSlices(type: GgmlTypeName, rowLength: number, src: Float32Array): Generator<Uint8Array> {
  const step = Math.max(1, Math.floor(SLICE_ELEMENTS / rowLength)) * rowLength;
  for (let i = 0; i < src.length; i += step) {
    const slice = src.subarray(i, Math.min(src.length, i + step));
    yield type === "f32"
      ? new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength)
      : quantize(type as WeightType, slice);
  }
}

/**
 * Builds a GGUF v3 file: set metadata, add tensors, then {@link GgufWriter.write}.
 *
 * @example
 * ```ts
 * const w = new GgufWriter();
 * w.setString("general.architecture", "llama");
 * w.setU32("llama.context_length", 4096);
 * w.setArray("tokenizer.ggml.tokens", "string", ["<s>", "</s>"]);
 * w.addTensor("token_embd.weight", { type: "f16", shape: [64, 2], data: new Float32Array(128) });
 * await w.write("model.gguf");
 * ```
 */
export class GgufWriter {
  readonly alignment: number;
  private readonly entries = new Map<string, Entry>();
  private readonly tensors = new Map<string, GgufTensorSpec & { bytes: number }>();

  constructor(options: GgufWriterOptions = {}) {
    const a = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    if (!Number.isInteger(a) || a <= 0 || a > 0x80000000 || (a & (a - 1)) !== 0)
      throw invalid(`alignment must be a power of two, got ${a}`);
    this.alignment = a;
    if (a !== GGUF_DEFAULT_ALIGNMENT) this.entries.set("general.alignment", { type: "u32", value: a });
  }

  /** Sets (or replaces) a scalar of any type, checked: integer ranges, number/boolean/string kinds. */
  set(key: string, type: GgufScalarType, value: GgufScalar): this {
    this.checkKey(key);
    checkScalar(type, value, `metadata '${key}'`);
    this.entries.set(key, { type, value });
    return this;
  }

  setU8(key: string, v: number): this { return this.set(key, "u8", v); }
  setI8(key: string, v: number): this { return this.set(key, "i8", v); }
  setU16(key: string, v: number): this { return this.set(key, "u16", v); }
  setI16(key: string, v: number): this { return this.set(key, "i16", v); }
  setU32(key: string, v: number): this { return this.set(key, "u32", v); }
  setI32(key: string, v: number): this { return this.set(key, "i32", v); }
  setU64(key: string, v: number | bigint): this { return this.set(key, "u64", v); }
  setI64(key: string, v: number | bigint): this { return this.set(key, "i64", v); }
  setF32(key: string, v: number): this { return this.set(key, "f32", v); }
  setF64(key: string, v: number): this { return this.set(key, "f64", v); }
  setBool(key: string, v: boolean): this { return this.set(key, "bool", v); }
  setString(key: string, v: string): this { return this.set(key, "string", v); }

  /** Sets an array; `type: "array"` takes nested {@link GgufArrayValue}s. */
  setArray(key: string, type: GgufScalarType, values: readonly GgufScalar[] | ArrayLike<number>): this;
  setArray(key: string, type: "array", values: readonly GgufArrayValue[]): this;
  setArray(key: string, type: GgufValueType, values: readonly GgufScalar[] | readonly GgufArrayValue[] | ArrayLike<number>): this {
    this.checkKey(key);
    const value = { type, values } as GgufArrayValue;
    checkArray(value, `metadata '${key}'`);
    this.entries.set(key, { type: "array", value });
    return this;
  }

  /** Adds a tensor; its data is produced and encoded only during {@link GgufWriter.write}. */
  addTensor(name: string, spec: GgufTensorSpec): this {
    if (this.tensors.has(name)) throw invalid(`tensor '${name}' added twice`);
    if (name.length === 0 || Buffer.byteLength(name) > MAX_TENSOR_NAME_BYTES)
      throw invalid(`tensor name '${name}' must be 1..${MAX_TENSOR_NAME_BYTES} bytes`);
    const traits = GGML_TYPES[spec.type];
    if (!traits) throw invalid(`tensor '${name}': unknown type '${String(spec.type)}'`);
    const { shape } = spec;
    if (shape.length < 1 || shape.length > 4 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1))
      throw invalid(`tensor '${name}': shape [${shape.join(", ")}] must have 1 to 4 positive integer dimensions`);
    if (shape[0]! % traits.blockSize !== 0)
      throw invalid(`tensor '${name}': row length ${shape[0]} is not a multiple of ${spec.type}'s block size ${traits.blockSize}`);
    const bytes = ggmlTensorBytes(spec.type, shape);
    if (!Number.isSafeInteger(bytes)) throw invalid(`tensor '${name}': too large`);
    if (typeof spec.data !== "function") this.checkData(name, spec, spec.data, bytes);
    this.tensors.set(name, { ...spec, shape: [...shape], bytes });
    return this;
  }

  /** Writes the file (to `path + ".partial"`, renamed to `path` once complete). */
  async write(path: string): Promise<void> {
    const tmp = `${path}.partial`;
    const fh = await open(tmp, "w");
    try {
      const writeAll = async (b: Uint8Array) => {
        for (let done = 0; done < b.length; ) done += (await fh.write(b, done, b.length - done)).bytesWritten;
      };
      await writeAll(this.header());
      for (const [name, t] of this.tensors) {
        const data = typeof t.data === "function" ? await t.data() : t.data;
        this.checkData(name, t, data, t.bytes);
        if (data instanceof Uint8Array) await writeAll(data);
        else for (const slice of encodeSlices(t.type, t.shape[0]!, data)) await writeAll(slice);
        const pad = this.padding(t.bytes);
        if (pad) await writeAll(new Uint8Array(pad));
      }
      await fh.close();
      await rename(tmp, path);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Zero bytes that follow `n` bytes of tensor data so the next tensor starts aligned. */
  private padding(n: number): number {
    return (this.alignment - (n % this.alignment)) % this.alignment;
  }

  private checkKey(key: string): void {
    if (typeof key !== "string" || key.length === 0) throw invalid("metadata key must be a non-empty string");
    if (key === "general.alignment") throw invalid("set general.alignment through the GgufWriter alignment option");
  }

  private checkData(name: string, spec: GgufTensorSpec, data: GgufTensorData, bytes: number): void {
    if (data instanceof Float32Array) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw invalid(`tensor '${name}': ${data.length} floats for shape [${spec.shape.join(", ")}] (${n})`);
      if (!ENCODABLE.has(spec.type))
        throw invalid(`tensor '${name}': float32 data cannot be converted to ${spec.type}; pass its encoded bytes as a Uint8Array`);
    } else if (data instanceof Uint8Array) {
      if (data.length !== bytes) throw invalid(`tensor '${name}': ${data.length} bytes, ${spec.type} [${spec.shape.join(", ")}] needs ${bytes}`);
    } else {
      throw invalid(`tensor '${name}': data must be a Float32Array or Uint8Array`);
    }
  }

  /** Header, metadata, tensor infos and padding up to the data section. */
  private header(): Uint8Array {
    const sink = new ByteSink();
    sink.bytes(new Uint8Array([0x47, 0x47, 0x55, 0x46])); // "GGUF"
    sink.u32(3);
    sink.u64(this.tensors.size);
    sink.u64(this.entries.size);
    for (const [key, e] of this.entries) {
      sink.string(key);
      sink.u32(GGUF_VALUE_TYPE_IDS[e.type]);
      if (e.type === "array") encodeArray(sink, e.value);
      else sink.scalar(e.type, e.value);
    }
    let offset = 0;
    for (const [name, t] of this.tensors) {
      sink.string(name);
      sink.u32(t.shape.length);
      for (const d of t.shape) sink.u64(d);
      sink.u32(GGML_TYPES[t.type].id);
      sink.u64(offset);
      offset += t.bytes + this.padding(t.bytes);
    }
    sink.pad(this.alignment);
    return sink.contents();
  }
}
