// A GGUF sample covering every metadata value type and every tensor type the writer supports,
// with the values each reader should give back. Shared by the gguf unit tests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgufWriter, ggmlTensorBytes, type GgmlTypeName, type GgufScalarType } from "../../lib/gguf/index.js";

/** Seeded bytes (xorshift32), so failures reproduce. */
export function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

export function seededFloats(n: number, seed: number): Float32Array {
  const b = seededBytes(n * 2, seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((b[2 * i]! | (b[2 * i + 1]! << 8)) - 32768) / 4096;
  return out;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "capibara-gguf-"));
}

/** Scalar metadata: key → [type, value written, value read back]. */
export const SCALARS: Record<string, [GgufScalarType, number | bigint | boolean | string, unknown]> = {
  "test.u8": ["u8", 255, 255],
  "test.i8": ["i8", -128, -128],
  "test.u16": ["u16", 65535, 65535],
  "test.i16": ["i16", -32768, -32768],
  "test.u32": ["u32", 4294967295, 4294967295],
  "test.i32": ["i32", -2147483648, -2147483648],
  "test.f32": ["f32", 0.1, Math.fround(0.1)],
  "test.bool": ["bool", true, true],
  "test.string": ["string", "héllo ✓ \u{1F600}", "héllo ✓ \u{1F600}"],
  "test.u64": ["u64", 0xffffffffffffffffn, 0xffffffffffffffffn],
  "test.i64": ["i64", -0x8000000000000000n, -0x8000000000000000n],
  "test.f64": ["f64", Math.PI, Math.PI],
};

/** Tensor types the writer encodes from float32 (native quantisers), and types given as pre-encoded bytes. */
export const FLOAT_SOURCE_TYPES: GgmlTypeName[] = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_K", "q5_K", "q6_K"];
export const BYTE_SOURCE_TYPES: GgmlTypeName[] = ["q8_0", "q4_0", "q4_K", "q5_K", "q6_K", "q2_K", "i32"];

export interface SampleTensor {
  name: string;
  type: GgmlTypeName;
  shape: number[];
  source: "floats" | "bytes";
}

export const SAMPLE_TENSORS: SampleTensor[] = [
  ...FLOAT_SOURCE_TYPES.map((type, i): SampleTensor => ({ name: `floats.${type}`, type, shape: [256, 2 + (i % 2)], source: "floats" })),
  ...BYTE_SOURCE_TYPES.map((type, i): SampleTensor => ({ name: `bytes.${type}`, type, shape: [512, 2, 1 + i], source: "bytes" })),
  { name: "token_embd.weight", type: "f16", shape: [32, 100], source: "floats" },
];

/** Elements of a shape. */
export const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export const VOCAB = Array.from({ length: 100 }, (_, i) => (i < 3 ? ["<unk>", "<s>", "</s>"][i]! : `tok${i}`));

/** The data a sample tensor is written from: float32 values or its encoded bytes. */
export function sampleData(t: SampleTensor, seed: number): Float32Array | Uint8Array {
  return t.source === "floats" ? seededFloats(elements(t.shape), seed) : seededBytes(ggmlTensorBytes(t.type, t.shape), seed);
}

/** Builds the sample writer: every scalar type, arrays of every type, nested arrays, a vocabulary. */
export function sampleWriter(alignment?: number): GgufWriter {
  const w = new GgufWriter(alignment === undefined ? {} : { alignment });
  w.setString("general.architecture", "llama");
  w.setString("general.name", "sample");
  w.setU32("llama.context_length", 2048);
  w.setString("tokenizer.ggml.model", "llama");
  w.setArray("tokenizer.ggml.tokens", "string", VOCAB);
  w.setArray("tokenizer.ggml.scores", "f32", VOCAB.map((_, i) => -i / 2));
  w.setString("tokenizer.chat_template", "{{ messages }}");
  for (const [key, [type, value]] of Object.entries(SCALARS)) w.set(key, type, value);
  w.setArray("arr.u8", "u8", [0, 1, 255]);
  w.setArray("arr.i8", "i8", [-128, 0, 127]);
  w.setArray("arr.u16", "u16", [0, 65535]);
  w.setArray("arr.i16", "i16", [-32768, 32767]);
  w.setArray("arr.u32", "u32", [0, 4294967295]);
  w.setArray("arr.i32", "i32", [-2147483648, 2147483647]);
  w.setArray("arr.f32", "f32", [1.5, -0.25]);
  w.setArray("arr.bool", "bool", [true, false, true]);
  w.setArray("arr.string", "string", ["", "a", "✓"]);
  w.setArray("arr.u64", "u64", [0n, 0xffffffffffffffffn]);
  w.setArray("arr.i64", "i64", [-1n, 0x7fffffffffffffffn]);
  w.setArray("arr.f64", "f64", [Math.E, -0]);
  w.setArray("arr.empty", "u32", []);
  w.setArray("arr.nested", "array", [
    { type: "u8", values: [1, 2] },
    { type: "string", values: ["x"] },
    { type: "array", values: [{ type: "i64", values: [5n] }] },
  ]);
  SAMPLE_TENSORS.forEach((t, i) => w.addTensor(t.name, { type: t.type, shape: t.shape, data: sampleData(t, i + 1) }));
  return w;
}

/** Metadata as the readers should return it (arrays in full). */
export function sampleMetadata(): Record<string, unknown> {
  const m: Record<string, unknown> = {
    "general.architecture": "llama",
    "general.name": "sample",
    "llama.context_length": 2048,
    "tokenizer.ggml.model": "llama",
    "tokenizer.ggml.tokens": VOCAB,
    "tokenizer.ggml.scores": VOCAB.map((_, i) => -i / 2),
    "tokenizer.chat_template": "{{ messages }}",
  };
  for (const [key, [, , read]] of Object.entries(SCALARS)) m[key] = read;
  Object.assign(m, {
    "arr.u8": [0, 1, 255],
    "arr.i8": [-128, 0, 127],
    "arr.u16": [0, 65535],
    "arr.i16": [-32768, 32767],
    "arr.u32": [0, 4294967295],
    "arr.i32": [-2147483648, 2147483647],
    "arr.f32": [1.5, -0.25],
    "arr.bool": [true, false, true],
    "arr.string": ["", "a", "✓"],
    "arr.u64": [0n, 0xffffffffffffffffn],
    "arr.i64": [-1n, 0x7fffffffffffffffn],
    "arr.f64": [Math.E, -0],
    "arr.empty": [],
    "arr.nested": [[1, 2], ["x"], [[5n]]],
  });
  return m;
}
