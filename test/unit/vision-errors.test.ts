// Vision input that must be refused with a typed error, and loader cases the reference data does
// not cover (ffn names swapped, Q8_0 matrices), on small random mmproj files written here.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomMmproj, type MmprojSpec } from "../../lib/demo/mmproj.js";
import { decodeImage } from "../../lib/engine/image.js";
import { ImageError, loadModel } from "../../lib/index.js";
import { availableBackends, setKernelBackend } from "../../lib/kernels.js";
import { native, packageRoot } from "../../lib/native.js";
import { existsSync } from "node:fs";

const SPEC: MmprojSpec = { imageSize: 56, patchSize: 14, embeddingSize: 64, feedForwardSize: 96, layers: 2, heads: 2, projectionDim: 64, scaleFactor: 2, type: "f32", seed: 7 };
let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "capibara-vision-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(name: string, spec: Partial<MmprojSpec>): Promise<string> {
  const path = join(dir, name);
  await writeRandomMmproj(path, { ...SPEC, ...spec });
  return path;
}

function randomImage(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

async function encode(path: string, image: Float32Array): Promise<Float32Array> {
  const e = native().engine;
  const h = await e.loadVision(path);
  try {
    return await e.encodeImage(h, image, 2);
  } finally {
    e.closeVision(h);
  }
}

describe("mmproj loading", () => {
  it("names a missing tensor, a wrong shape and an unsupported projector", async () => {
    const e = native().engine;
    await expect(e.loadVision(await write("missing.gguf", { omit: ["v.blk.1.attn_k.bias"] }))).rejects.toMatchObject({
      code: "GGUF_MISSING_TENSOR",
      message: expect.stringContaining("v.blk.1.attn_k.bias"),
    });
    await expect(e.loadVision(await write("shape.gguf", { shapes: { "v.position_embd.weight": [64, 15] } }))).rejects.toMatchObject({
      code: "GGUF_BAD_TENSOR_SHAPE",
      message: expect.stringContaining("v.position_embd.weight"),
    });
    await expect(e.loadVision(await write("type.gguf", { projectorType: "mlp" }))).rejects.toMatchObject({
      code: "UNSUPPORTED_ARCH",
      message: expect.stringContaining("'mlp'"),
    });
    await expect(e.loadVision(await write("merge.gguf", { scaleFactor: 3 }))).rejects.toMatchObject({ code: "GGUF_BAD_METADATA" });
  });

  it("tells swapped ffn_up / ffn_down names apart by shape", async () => {
    const image = randomImage(3 * 56 * 56, 3);
    const a = await encode(await write("plain.gguf", {}), image);
    const b = await encode(await write("swapped.gguf", { swapFfnNames: true }), image);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("runs F16 and Q8_0 matrices close to F32", async () => {
    const spec = { embeddingSize: 64, feedForwardSize: 128 };
    const image = randomImage(3 * 56 * 56, 4);
    const ref = await encode(await write("f32.gguf", { ...spec, type: "f32" }), image);
    let lo = Infinity, hi = -Infinity;
    for (const v of ref) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    for (const type of ["f16", "q8_0"] as const) {
      const got = await encode(await write(`${type}.gguf`, { ...spec, type }), image);
      const max = got.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0);
      expect(max / (hi - lo)).toBeLessThan(0.03);
    }
  });

  it("attends the same on every backend, also with head sizes that are not whole packed groups", async () => {
    // Heads of 36 (the 27B projector's are 72): the GEMM attention pads V's head rows to 48; the flash kernel does not.
    const path = await write("hd36.gguf", { embeddingSize: 144, heads: 4, feedForwardSize: 160, type: "f16" });
    const image = randomImage(3 * 56 * 56, 5);
    const outs: Float32Array[] = [];
    try {
      for (const backend of availableBackends()) {
        setKernelBackend(backend);
        outs.push(await encode(path, image));
      }
    } finally {
      setKernelBackend(availableBackends().at(-1)!);
    }
    let lo = Infinity, hi = -Infinity;
    for (const v of outs[0]!) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    for (const o of outs.slice(1)) expect(o.reduce((m, v, i) => Math.max(m, Math.abs(v - outs[0]![i]!)), 0) / (hi - lo)).toBeLessThan(0.005);
  });

  it("rejects an input tensor of the wrong size", async () => {
    const e = native().engine;
    const h = await e.loadVision(await write("size.gguf", {}));
    try {
      expect(() => e.encodeImage(h, new Float32Array(10), 1)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    } finally {
      e.closeVision(h);
    }
  });
});

/** A PNG whose header claims width x height, with a tiny IDAT (never decoded). */
function pngHeader(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    let crc = 0xffffffff;
    for (const b of td) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(4096))), chunk("IEND", Buffer.alloc(0))]),
  );
}

describe("image decoding", () => {
  const raw = Buffer.alloc(40 * 30 * 3, 0).map((_, i) => (i * 37) % 256);
  const make = (fmt: "png" | "jpeg" | "gif" | "webp") => sharp(raw, { raw: { width: 40, height: 30, channels: 3 } })[fmt]().toBuffer();

  it("decodes PNG, JPEG, GIF and WebP to RGB", async () => {
    for (const fmt of ["png", "jpeg", "gif", "webp"] as const) {
      const d = await decodeImage(new Uint8Array(await make(fmt)));
      expect([d.width, d.height, d.rgb.length]).toEqual([40, 30, 3600]);
    }
    const png = await decodeImage(new Uint8Array(await make("png")));
    expect(Buffer.from(png.rgb).equals(raw)).toBe(true);
  });

  it("refuses other bytes, truncated files and decompression bombs", async () => {
    const bad = (code: string, pattern: RegExp) => expect.objectContaining({ code, message: expect.stringMatching(pattern) });
    await expect(decodeImage(new TextEncoder().encode("hello, not an image"))).rejects.toEqual(bad("BAD_IMAGE", /not an image/));
    await expect(decodeImage(new Uint8Array([0x42, 0x4d, 1, 2, 3, 4]))).rejects.toEqual(bad("BAD_IMAGE", /BMP is not supported/));
    for (const fmt of ["png", "jpeg"] as const) {
      const full = await make(fmt);
      await expect(decodeImage(new Uint8Array(full.subarray(0, Math.floor(full.length / 2))))).rejects.toEqual(bad("BAD_IMAGE", /cannot (decode|read)/));
    }
    const bomb = pngHeader(20000, 20000);
    expect(bomb.length).toBeLessThan(8192);
    const err = await decodeImage(bomb).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ code: "IMAGE_TOO_LARGE", message: expect.stringContaining("20000 x 20000") });
  });
});

const SHARED = process.env.CAPIBARA_SHARED_DIR ? join(process.env.CAPIBARA_SHARED_DIR, "vision") : join(packageRoot, "..", "shared", "vision");
const TEXT = join(SHARED, "text-gemma3-s.gguf");

describe.skipIf(!existsSync(TEXT))("vision on a text model", () => {
  it("says a model without a projector has none", async () => {
    const m = await loadModel(TEXT, { threads: 1, contextSize: 128 });
    try {
      expect(m.vision).toBeNull();
      const img = readFileSync(join(SHARED, "images", "img-37x23.png"));
      expect(() => m.generate([{ role: "user", content: [{ type: "image", data: new Uint8Array(img) }] }])).toThrow(
        expect.objectContaining({ code: "NO_VISION", message: expect.stringContaining("has no vision projector") }),
      );
      await expect(m.encodeImage(new Uint8Array(img))).rejects.toMatchObject({ code: "NO_VISION" });
    } finally {
      await m.close();
    }
  });

  it("refuses a projector whose width is not the model's", async () => {
    await expect(loadModel(TEXT, { mmproj: await write("wide.gguf", { projectionDim: 32 }), threads: 1 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/projects to 32 values, but the text model's embedding size is 64/),
    });
  });
});
