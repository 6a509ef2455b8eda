// GGUF writer → readers round trip: our native reader (inspectGguf) and node-llama-cpp's parser
// must read back every metadata type and every tensor's bytes exactly as written.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { beforeAll, describe, expect, test } from "vitest";
import { GgufWriter, InvalidArgumentError, ggmlTensorBytes, inspectGguf, type GgufInspection } from "../../lib/index.js";
import { dequantize, quantize, type WeightType } from "../../lib/kernels.js";
import { nmse } from "./kernel-util.js";
import { SAMPLE_TENSORS, VOCAB, elements, seededFloats, sampleData, sampleMetadata, sampleWriter, tempDir, type SampleTensor } from "./gguf-fixture.js";

const dir = tempDir();
const path = join(dir, "sample.gguf");
let info: GgufInspection;

beforeAll(async () => {
  await sampleWriter().write(path);
  info = await inspectGguf(path, { includeArrays: true });
});

/** node-llama-cpp nests metadata by dotted key; flatten it back to "a.b.c" keys. */
function flatten(obj: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** What the writer must store: the bytes given, or the native quantiser's encoding of the floats. */
function expectedBytes(t: SampleTensor, i: number): Uint8Array {
  const data = sampleData(t, i + 1);
  if (data instanceof Uint8Array) return data;
  return t.type === "f32" ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : quantize(t.type as WeightType, data);
}

/** Round-trip error bound per type, for float-sourced tensors read back and dequantised. */
const MAX_NMSE: Partial<Record<string, number>> = { f32: 0, f16: 1e-6, bf16: 1e-4, q8_0: 1e-4, q6_K: 1e-3, q5_K: 5e-3, q4_K: 1e-2, q4_0: 2e-2 };

describe("GGUF round trip", () => {
  test("native reader returns every metadata value and type as written", () => {
    expect(info.version).toBe(3);
    expect(info.alignment).toBe(32);
    expect(info.metadata).toEqual(sampleMetadata());
    expect(Object.keys(info.metadata)[0]).toBe("general.architecture"); // file order kept
    expect(info.metadataTypes["test.u64"]).toBe("u64");
    expect(info.metadataTypes["arr.nested"]).toBe("array<array>");
    expect(info.metadataTypes["tokenizer.ggml.tokens"]).toBe("array<string>");
  });

  test("native reader returns tensor infos, and the data bytes sit where it says", () => {
    const file = readFileSync(path);
    expect(info.fileSize).toBe(file.length);
    expect(info.dataOffset % 32).toBe(0);
    expect(info.tensors.map((t) => [t.name, t.type, t.shape])).toEqual(SAMPLE_TENSORS.map((t) => [t.name, t.type, t.shape]));
    SAMPLE_TENSORS.forEach((t, i) => {
      const got = info.tensors[i]!;
      expect(got.offset % 32).toBe(0);
      expect(got.bytes).toBe(ggmlTensorBytes(t.type, t.shape));
      const start = info.dataOffset + got.offset;
      const stored = new Uint8Array(file.subarray(start, start + got.bytes));
      expect(stored).toEqual(expectedBytes(t, i));
      if (t.source === "floats") {
        const back = dequantize(t.type as WeightType, stored, elements(t.shape));
        expect(nmse(sampleData(t, i + 1) as Float32Array, back), `${t.name}`).toBeLessThanOrEqual(MAX_NMSE[t.type]!);
      }
    });
  });

  test("node-llama-cpp reads the same metadata and tensor infos", async () => {
    const ref = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    expect(ref.version).toBe(3);
    const refMeta = flatten(ref.metadata as unknown as Record<string, unknown>);
    expect(refMeta).toEqual(sampleMetadata());
    const refTensors = ref.fullTensorInfo!.map((t) => ({
      name: t.name,
      shape: t.dimensions.map(Number),
      typeId: t.ggmlType,
      offset: Number(t.offset),
    }));
    expect(info.tensors.map(({ name, shape, typeId, offset }) => ({ name, shape, typeId, offset }))).toEqual(refTensors);
    expect((ref.tensorInfoSize ?? 0) + ref.metadataSize).toBeLessThanOrEqual(info.dataOffset);
  });

  test("inspectGguf summarises the model", async () => {
    const s = await inspectGguf(path);
    expect(s.architecture).toBe("llama");
    expect(s.name).toBe("sample");
    expect(s.contextLength).toBe(2048);
    expect(s.tokenizer).toEqual({ model: "llama", vocabSize: VOCAB.length });
    expect(s.hasChatTemplate).toBe(true);
    expect(s.parameterCount).toBe(SAMPLE_TENSORS.reduce((n, t) => n + elements(t.shape), 0));
    // Arrays over 64 elements are summarised unless includeArrays is set.
    expect(s.metadata["tokenizer.ggml.tokens"]).toEqual({ elementType: "string", length: VOCAB.length });
    expect(s.metadata["arr.u8"]).toEqual([0, 1, 255]);
    const f16 = s.quantMix.find((q) => q.type === "f16")!;
    expect(f16.tensors).toBe(2);
    expect(f16.bytes).toBe(SAMPLE_TENSORS.filter((t) => t.type === "f16").reduce((n, t) => n + 2 * elements(t.shape), 0));
    expect(s.quantMix.reduce((n, q) => n + q.bytes, 0)).toBe(s.tensors.reduce((n, t) => n + t.bytes, 0));
    expect(s.quantMix.map((q) => q.bytes)).toEqual([...s.quantMix.map((q) => q.bytes)].sort((a, b) => b - a));
  });

  test("custom alignment is written as general.alignment and honoured", async () => {
    const p = join(dir, "align64.gguf");
    await sampleWriter(64).write(p);
    const s = await inspectGguf(p);
    expect(s.alignment).toBe(64);
    expect(s.metadata["general.alignment"]).toBe(64);
    expect(s.dataOffset % 64).toBe(0);
    for (const t of s.tensors) expect(t.offset % 64).toBe(0);
    const ref = await readGgufFileInfo(p, { logWarnings: false });
    expect(ref.fullTensorInfo!.map((t) => Number(t.offset))).toEqual(s.tensors.map((t) => t.offset));
  });

  test("tensor data may be produced lazily, one tensor at a time", async () => {
    const p = join(dir, "lazy.gguf");
    const produced: string[] = [];
    const w = new GgufWriter();
    for (const name of ["a", "b"])
      w.addTensor(name, {
        type: "f32",
        shape: [4],
        data: async () => {
          produced.push(name);
          return new Float32Array([1, 2, 3, name === "a" ? 4 : 5]);
        },
      });
    expect(produced).toEqual([]);
    await w.write(p);
    expect(produced).toEqual(["a", "b"]);
    const s = await inspectGguf(p);
    const b = s.tensors[1]!;
    const bytes = Uint8Array.from(readFileSync(p).subarray(s.dataOffset + b.offset, s.dataOffset + b.offset + 16));
    expect(new Float32Array(bytes.buffer)).toEqual(new Float32Array([1, 2, 3, 5]));
  });

  test("a header over the writer's initial 4 KiB buffer and a tensor over one encoding slice", async () => {
    const p = join(dir, "big.gguf");
    const vocab = Array.from({ length: 5000 }, (_, i) => `token-${i}`);
    const big = seededFloats(2048 * 600, 7); // > 2^20 elements: encoded in two slices of rows
    await new GgufWriter()
      .setArray("tokenizer.ggml.tokens", "string", vocab)
      .setU32("after.vocab", 7)
      .addTensor("big", { type: "q8_0", shape: [2048, 600], data: big })
      .write(p);
    const s = await inspectGguf(p, { includeArrays: true });
    expect(s.metadata["tokenizer.ggml.tokens"]).toEqual(vocab);
    expect(s.metadata["after.vocab"]).toBe(7);
    const t = s.tensors[0]!;
    const stored = new Uint8Array(readFileSync(p).subarray(s.dataOffset + t.offset, s.dataOffset + t.offset + t.bytes));
    expect(stored).toEqual(quantize("q8_0", big));
    const ref = await readGgufFileInfo(p, { logWarnings: false });
    expect(flatten(ref.metadata as unknown as Record<string, unknown>)["tokenizer.ggml.tokens"]).toEqual(vocab);
  });

  test("a file without tensors is valid", async () => {
    const p = join(dir, "vocab-only.gguf");
    await new GgufWriter().setString("general.architecture", "llama").write(p);
    const s = await inspectGguf(p);
    expect(s.tensors).toEqual([]);
    expect(s.parameterCount).toBe(0);
    expect(statSync(p).size).toBe(s.fileSize);
  });
});

describe("GGUF writer validation", () => {
  const bad = (f: () => unknown) => expect(f).toThrow(InvalidArgumentError);
  test("rejects out-of-range and mistyped values", () => {
    const w = new GgufWriter();
    bad(() => w.setU8("k", 256));
    bad(() => w.setI8("k", -129));
    bad(() => w.setU32("k", 1.5));
    bad(() => w.setU64("k", -1n));
    bad(() => w.setI64("k", 2n ** 63n));
    bad(() => w.set("k", "string", 3));
    bad(() => w.setArray("k", "u16", [1, 70000]));
    bad(() => w.setArray("k", "array", [{ type: "bool", values: [1] } as never]));
    bad(() => w.setU32("", 1));
    bad(() => w.setU32("general.alignment", 64));
    bad(() => new GgufWriter({ alignment: 48 }));
  });

  test("rejects bad tensors", () => {
    const w = new GgufWriter().addTensor("t", { type: "f32", shape: [2], data: new Float32Array(2) });
    bad(() => w.addTensor("t", { type: "f32", shape: [2], data: new Float32Array(2) }));
    bad(() => w.addTensor("x".repeat(64), { type: "f32", shape: [2], data: new Float32Array(2) }));
    bad(() => w.addTensor("u", { type: "f32", shape: [3], data: new Float32Array(2) }));
    bad(() => w.addTensor("u", { type: "f32", shape: [1, 1, 1, 1, 1], data: new Float32Array(1) }));
    bad(() => w.addTensor("u", { type: "q8_0", shape: [33], data: new Uint8Array(34) }));
    bad(() => w.addTensor("u", { type: "q8_0", shape: [32], data: new Uint8Array(33) }));
    bad(() => w.addTensor("u", { type: "i32", shape: [4], data: new Float32Array(4) })); // no float encoder for i32
  });

  test("a lazy tensor producing the wrong size fails the write and leaves no file", async () => {
    const p = join(dir, "broken.gguf");
    const w = new GgufWriter().addTensor("t", { type: "f32", shape: [4], data: () => new Float32Array(3) });
    await expect(w.write(p)).rejects.toThrow(InvalidArgumentError);
    expect(() => statSync(p)).toThrow();
    expect(() => statSync(`${p}.partial`)).toThrow();
  });
});
