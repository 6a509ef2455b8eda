/**
 * GGUF v3 writer. Metadata and tensor infos are encoded in memory (they are small); tensor data is
 * produced, converted and written one tensor at a time, so files of hundreds of MB never sit in
 * memory whole. The file is written to a temporary name and renamed when complete.
 * @module
 */
import { open, rename, rm } from "node:fs/promises";
import { InvalidArgumentError } from "../errors.js";
import { encode16, f32ToBf16Bits, f32ToF16Bits } from "./halfFloat.js";
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
   * can be generated tensor by tensor). A `Float32Array` is converted to `type` (f32, f16, bf16);
   * a `Uint8Array` must hold exactly the encoded bytes of `type`.
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

/** Little-endian byte builder for the header (metadata + tensor infos). */
class ByteSink {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  // Callers take the offset before reading `this.view`/`this.buf`: growing replaces both, and
  // `this.view.setX(this.reserve(n), ...)` would evaluate the old view first.
  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  u64(v: bigint | number): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.reserve(n); // new bytes are zero: the buffer is zero-filled and only grows
  }
  scalar(type: GgufScalarType, v: GgufScalar): void {
    if (type !== "string") {
      // Grow first (8 bytes covers every fixed-size type) so `at()` below never replaces the view.
      this.reserve(8);
      this.length -= 8;
    }
    const at = (n: number) => this.reserve(n);
    switch (type) {
      case "u8": return this.view.setUint8(at(1), Number(v));
      case "i8": return this.view.setInt8(at(1), Number(v));
      case "u16": return this.view.setUint16(at(2), Number(v), true);
      case "i16": return this.view.setInt16(at(2), Number(v), true);
      case "u32": return this.view.setUint32(at(4), Number(v), true);
      case "i32": return this.view.setInt32(at(4), Number(v), true);
      case "u64": return this.view.setBigUint64(at(8), BigInt(v), true);
      case "i64": return this.view.setBigInt64(at(8), BigInt(v), true);
      case "f32": return this.view.setFloat32(at(4), Number(v), true);
      case "f64": return this.view.setFloat64(at(8), Number(v), true);
      case "bool": return this.view.setUint8(at(1), v ? 1 : 0);
      case "string": return this.string(v as string);
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

/** Encoders from float32 for the types the writer converts itself. */
const FLOAT_ENCODERS: Partial<Record<GgmlTypeName, (src: Float32Array) => Uint8Array>> = {
  f32: (src) => new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
  f16: (src) => encode16(src, f32ToF16Bits),
  bf16: (src) => encode16(src, f32ToBf16Bits),
};

function encodeFloats(type: GgmlTypeName, src: Float32Array): Uint8Array {
  return FLOAT_ENCODERS[type]!(src);
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

  /** Sets a scalar of any type (checked: integer ranges, number/boolean/string kinds). */
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
        await writeAll(data instanceof Float32Array ? encodeFloats(t.type, data) : data);
        const pad = (this.alignment - (t.bytes % this.alignment)) % this.alignment;
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

  private checkKey(key: string): void {
    if (typeof key !== "string" || key.length === 0) throw invalid("metadata key must be a non-empty string");
    if (key === "general.alignment") throw invalid("set general.alignment through the GgufWriter alignment option");
  }

  private checkData(name: string, spec: GgufTensorSpec, data: GgufTensorData, bytes: number): void {
    if (data instanceof Float32Array) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw invalid(`tensor '${name}': ${data.length} floats for shape [${spec.shape.join(", ")}] (${n})`);
      if (!FLOAT_ENCODERS[spec.type])
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
      offset += t.bytes + ((this.alignment - (t.bytes % this.alignment)) % this.alignment);
    }
    sink.pad(this.alignment);
    return sink.contents();
  }
}
