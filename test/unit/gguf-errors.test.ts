// Each class of corrupt GGUF file must give its typed error (code + message naming what is wrong),
// never a crash: bad magic, versions, truncation, metadata and tensor-info corruption, data layout.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { GgufFormatError, GgufWriter, IoError, inspectGguf } from "../../lib/index.js";
import { tempDir } from "./gguf-fixture.js";

const dir = tempDir();
let base: Buffer; // valid file, alignment 32
let aligned64: Buffer; // valid file with general.alignment = 64

function build(alignment?: number): GgufWriter {
  const w = new GgufWriter(alignment === undefined ? {} : { alignment });
  w.setString("general.architecture", "llama");
  w.setU32("x.aa", 1).setU32("x.ab", 2);
  w.setString("s.str", "hello");
  w.setArray("arr.big", "u32", [1, 2, 3]);
  w.addTensor("t0", { type: "f32", shape: [8], data: new Float32Array(8).fill(1) });
  w.addTensor("t1", { type: "f32", shape: [8, 2], data: new Float32Array(16).fill(2) });
  return w;
}

beforeAll(async () => {
  await build().write(join(dir, "base.gguf"));
  await build(64).write(join(dir, "a64.gguf"));
  base = readFileSync(join(dir, "base.gguf"));
  aligned64 = readFileSync(join(dir, "a64.gguf"));
});

/** Offset just after a (unique) key or tensor name's bytes. */
function after(buf: Buffer, name: string): number {
  const at = buf.indexOf(Buffer.from(name));
  expect(at).toBeGreaterThan(0);
  expect(buf.indexOf(Buffer.from(name), at + 1)).toBe(-1);
  return at + Buffer.byteLength(name);
}

// Field positions (see native/gguf/reader.h for the layout).
const keyValue = (b: Buffer, key: string) => after(b, key) + 4; // after the u32 value type
const tensorType = (b: Buffer, name: string, dims: number) => after(b, name) + 4 + 8 * dims;
const tensorOffset = (b: Buffer, name: string, dims: number) => tensorType(b, name, dims) + 4;

type Corruption = [label: string, code: string, mutate: () => Buffer, message?: RegExp];

function patched(src: Buffer, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(src);
  edit(b);
  return b;
}

const cases: Corruption[] = [
  ["bad magic", "GGUF_BAD_MAGIC", () => patched(base, (b) => b.write("GGML", 0)), /magic/],
  ["version 1", "GGUF_UNSUPPORTED_VERSION", () => patched(base, (b) => b.writeUInt32LE(1, 4)), /v1 is obsolete/],
  ["version 99", "GGUF_UNSUPPORTED_VERSION", () => patched(base, (b) => b.writeUInt32LE(99, 4)), /version 99/],
  ["big-endian", "GGUF_UNSUPPORTED_VERSION", () => patched(base, (b) => b.writeUInt32BE(3, 4)), /big-endian/],
  ["empty file", "GGUF_TRUNCATED", () => Buffer.alloc(0)],
  ["cut in magic", "GGUF_TRUNCATED", () => base.subarray(0, 2)],
  ["cut in counts", "GGUF_TRUNCATED", () => base.subarray(0, 14), /tensor count/],
  ["cut in a key", "GGUF_TRUNCATED", () => base.subarray(0, after(base, "general.arch")), /metadata/],
  ["cut in a string value", "GGUF_TRUNCATED", () => base.subarray(0, keyValue(base, "s.str") + 10), /'s\.str'/],
  ["cut in an array", "GGUF_TRUNCATED", () => base.subarray(0, keyValue(base, "arr.big") + 18), /'arr\.big'/],
  ["cut in tensor infos", "GGUF_TRUNCATED", () => base.subarray(0, after(base, "t1") + 6), /tensor 't1'/],
  ["cut before the data", "GGUF_TRUNCATED", () => base.subarray(0, after(base, "t1") + 4 + 16 + 4 + 8), /data section/],
  ["cut at the data start", "GGUF_TRUNCATED", () => base.subarray(0, base.length - 96), /'t0'.*truncated/],
  ["cut in the last tensor", "GGUF_TRUNCATED", () => base.subarray(0, base.length - 10), /'t1'.*truncated/],
  ["tensor offset far away", "GGUF_TENSOR_OUT_OF_BOUNDS", () => patched(base, (b) => b.writeBigUInt64LE(1n << 40n, tensorOffset(b, "t1", 2))), /'t1'/],
  ["tensor offset misaligned", "GGUF_TENSOR_OUT_OF_BOUNDS", () => patched(base, (b) => b.writeBigUInt64LE(36n, tensorOffset(b, "t1", 2))), /alignment/],
  ["tensors overlap", "GGUF_TENSOR_OUT_OF_BOUNDS", () => patched(base, (b) => b.writeBigUInt64LE(0n, tensorOffset(b, "t1", 2))), /overlaps/],
  ["unknown tensor type", "GGUF_UNSUPPORTED_TYPE", () => patched(base, (b) => b.writeUInt32LE(99, tensorType(b, "t0", 1))), /'t0'.*99/],
  ["row not a multiple of the block", "GGUF_BAD_TENSOR_SHAPE", () => patched(base, (b) => b.writeUInt32LE(8, tensorType(b, "t0", 1))), /block size/],
  ["too many dimensions", "GGUF_BAD_TENSOR_SHAPE", () => patched(base, (b) => b.writeUInt32LE(5, after(b, "t0"))), /dimensions/],
  ["negative dimension", "GGUF_BAD_TENSOR_SHAPE", () => patched(base, (b) => b.writeBigInt64LE(-8n, after(b, "t0") + 4)), /negative/],
  ["string length past EOF", "GGUF_TRUNCATED", () => patched(base, (b) => b.writeBigUInt64LE(BigInt(b.length), keyValue(b, "s.str"))), /'s\.str'/],
  ["string length absurd", "GGUF_BAD_METADATA", () => patched(base, (b) => b.writeBigUInt64LE(1n << 60n, keyValue(b, "s.str"))), /implausible/],
  ["key length past EOF", "GGUF_TRUNCATED", () => patched(base, (b) => b.writeBigUInt64LE(1000n, after(b, "x.aa") - 12)), /key/],
  ["array count past EOF", "GGUF_TRUNCATED", () => patched(base, (b) => b.writeBigUInt64LE(1_000_000n, keyValue(b, "arr.big") + 4)), /'arr\.big'/],
  ["huge array count", "GGUF_BAD_METADATA", () => patched(base, (b) => b.writeBigUInt64LE(1n << 62n, keyValue(b, "arr.big") + 4)), /implausible/],
  ["huge tensor count", "GGUF_BAD_METADATA", () => patched(base, (b) => b.writeBigUInt64LE(1n << 62n, 8)), /tensor count/],
  ["huge metadata count", "GGUF_BAD_METADATA", () => patched(base, (b) => b.writeBigUInt64LE(1n << 62n, 16)), /metadata count/],
  ["unknown value type", "GGUF_BAD_METADATA", () => patched(base, (b) => b.writeUInt32LE(77, after(b, "x.aa"))), /'x\.aa'.*77/],
  ["unknown array element type", "GGUF_BAD_METADATA", () => patched(base, (b) => b.writeUInt32LE(13, keyValue(b, "arr.big"))), /'arr\.big'/],
  ["duplicate key", "GGUF_BAD_METADATA", () => patched(base, (b) => b.write("x.aa", after(b, "x.ab") - 4)), /twice/],
  ["duplicate tensor", "GGUF_BAD_METADATA", () => patched(base, (b) => b.write("t0", after(b, "t1") - 2)), /twice/],
  ["alignment not a power of two", "GGUF_BAD_METADATA", () => patched(aligned64, (b) => b.writeUInt32LE(48, keyValue(b, "general.alignment"))), /alignment/],
];

describe("corrupt GGUF files give typed errors", () => {
  test.each(cases)("%s → %s", async (label, code, mutate, message) => {
    const p = join(dir, `${label.replace(/\W+/g, "_")}.gguf`);
    writeFileSync(p, mutate());
    const err = await inspectGguf(p).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GgufFormatError);
    expect((err as GgufFormatError).code).toBe(code);
    expect((err as Error).message).toContain(p);
    if (message) expect((err as Error).message).toMatch(message);
  });

  test("the unmodified files are valid", async () => {
    const p = join(dir, "base.gguf");
    await expect(inspectGguf(p)).resolves.toMatchObject({ architecture: "llama" });
    await expect(inspectGguf(join(dir, "a64.gguf"))).resolves.toMatchObject({ alignment: 64 });
  });

  test("unreadable paths give IO_ERROR", async () => {
    await expect(inspectGguf(join(dir, "missing.gguf"))).rejects.toMatchObject({ code: "IO_ERROR" });
    const sub = join(dir, "a-directory.gguf");
    mkdirSync(sub);
    await expect(inspectGguf(sub)).rejects.toBeInstanceOf(IoError);
  });
});
