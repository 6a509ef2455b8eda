// Image input against llama.cpp's tools/mtmd reference data (../shared/vision, see its README):
// preprocessing, the encoder from float tensors and from image bytes, the prompt layout and the
// greedy continuation of prompts with images. Skips when the reference data is absent.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadModel, type ChatMessage, type ContentPart, type Model } from "../../lib/index.js";
import { layoutPrompt } from "../../lib/engine/vision.js";
import { availableBackends, setKernelBackend } from "../../lib/kernels.js";
import { native, packageRoot } from "../../lib/native.js";

const ROOT = process.env.CAPIBARA_SHARED_DIR ? join(process.env.CAPIBARA_SHARED_DIR, "vision") : join(packageRoot, "..", "shared", "vision");
const HAVE = existsSync(join(ROOT, "manifest.json"));
if (!HAVE) console.warn(`vision.test.ts: skipped, no llama.cpp reference data at ${ROOT} (set CAPIBARA_SHARED_DIR)`);

interface MmprojEntry { id: string; file: string; type: string; image_std: number[] }
interface EncodeEntry { mmproj: string; source: "float" | "bytes"; input?: string; image?: string; output: string; n_tokens: number; n_embd: number }
interface PreEntry { mmproj: string; image: string; output: { file: string; width: number; height: number } }
interface GenEntry {
  id: string;
  mmproj: string;
  images: string[];
  prompt: string;
  chat_content: ({ type: "text"; text: string } | { type: "image" })[];
  prompt_chunks: ({ type: "text"; tokens: number[] } | { type: "image"; n_tokens: number })[];
  n_prompt_positions: number;
  generated: number[];
}
interface Manifest { text_model: string; mmproj: MmprojEntry[]; encode: EncodeEntry[]; preprocess: PreEntry[]; generate: GenEntry[] }

const manifest: Manifest = HAVE ? JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) : { text_model: "", mmproj: [], encode: [], preprocess: [], generate: [] };
const f32 = (rel: string) => {
  const b = readFileSync(join(ROOT, rel));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const bytes = (rel: string) => new Uint8Array(readFileSync(join(ROOT, rel)));
const mmprojOf = (id: string) => manifest.mmproj.find((m) => m.id === id)!;

/** max |a - b| relative to b's range. */
function relToRange(a: Float32Array, b: Float32Array): number {
  let max = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < b.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
    lo = Math.min(lo, b[i]!);
    hi = Math.max(hi, b[i]!);
  }
  return max / (hi - lo);
}

describe.skipIf(!HAVE)("vision against llama.cpp's mtmd", () => {
  const models = new Map<string, Model>();
  beforeAll(async () => {
    for (const m of manifest.mmproj)
      models.set(m.id, await loadModel(join(ROOT, manifest.text_model), { mmproj: join(ROOT, m.file), threads: 2, contextSize: 1024 }));
  });
  afterAll(async () => {
    for (const m of models.values()) await m.close();
  });

  it("reports the projector", () => {
    const v = models.get("s2-f16")!.vision!;
    expect(v).toMatchObject({ projector: "gemma3", imageSize: 224, patchSize: 14, embeddingSize: 96, layers: 3, heads: 3, projectionDim: 64, tokensPerImage: 16 });
    expect(models.get("s1-f32")!.vision!.tokensPerImage).toBe(4);
  });

  it.each(manifest.preprocess.map((p) => [p.mmproj, p.image, p] as const))("preprocesses %s x %s within the u8 tolerance", async (_m, image, p) => {
    const got = await models.get(p.mmproj)!.preprocessImage(bytes(p.image));
    const ref = f32(p.output.file);
    expect([got.width, got.height]).toEqual([p.output.width, p.output.height]);
    expect(got.data.length).toBe(ref.length);
    const std = mmprojOf(p.mmproj).image_std;
    const plane = ref.length / 3;
    let maxSteps = 0, over2 = 0;
    for (let i = 0; i < ref.length; i++) {
      const steps = (Math.abs(got.data[i]! - ref[i]!) * std[Math.floor(i / plane)]! * 255);
      maxSteps = Math.max(maxSteps, steps);
      if (steps > 2.01) over2++;
    }
    if (image.endsWith(".png")) {
      expect(maxSteps).toBeLessThanOrEqual(2.01);
    } else {
      // JPEG decoders round their IDCT differently (libjpeg-turbo here, stb_image in llama.cpp).
      expect(maxSteps).toBeLessThanOrEqual(4.01);
      expect(over2 / ref.length).toBeLessThanOrEqual(0.001);
    }
  });

  it.each(manifest.encode.map((e) => [e.mmproj, e.input ?? e.image, e] as const))("encodes %s x %s like llama.cpp", async (_m, _what, e) => {
    const model = models.get(e.mmproj)!;
    const input = e.source === "float" ? { data: f32(e.input!), width: model.vision!.imageSize, height: model.vision!.imageSize } : bytes(e.image!);
    const got = await model.encodeImage(input);
    const ref = f32(e.output);
    expect(got.length).toBe(e.n_tokens * e.n_embd);
    expect(relToRange(got, ref)).toBeLessThanOrEqual(mmprojOf(e.mmproj).type === "F32" ? 0.01 : 0.03);
  });

  it("encodes like llama.cpp on every kernel backend (flash or GEMM attention)", async () => {
    const best = availableBackends().at(-1)!;
    try {
      for (const backend of availableBackends()) {
        setKernelBackend(backend);
        for (const e of manifest.encode.filter((x) => x.source === "float")) {
          const model = models.get(e.mmproj)!;
          const got = await model.encodeImage({ data: f32(e.input!), width: model.vision!.imageSize, height: model.vision!.imageSize });
          expect(relToRange(got, f32(e.output)), `${backend} ${e.mmproj}`).toBeLessThanOrEqual(mmprojOf(e.mmproj).type === "F32" ? 0.01 : 0.03);
        }
      }
    } finally {
      setKernelBackend(best);
    }
  });

  it.each(manifest.generate.map((g) => [g.id, g] as const))("%s: prompt chunks are llama.cpp's", (_id, g) => {
    const model = models.get(g.mmproj)!;
    const chunks = layoutPrompt(g.prompt, g.images.length, ["<start_of_image>", "<end_of_image>"], (t, first) =>
      model.tokenize(t, { addSpecial: first, parseSpecial: true }),
    );
    expect(chunks.map((c) => ("image" in c ? { type: "image", n_tokens: model.vision!.tokensPerImage } : { type: "text", tokens: c.tokens }))).toEqual(
      g.prompt_chunks.map((c) => (c.type === "image" ? { type: "image", n_tokens: c.n_tokens } : c)),
    );
  });

  it.each(manifest.generate.map((g) => [g.id, g] as const))("%s: greedy tokens equal llama.cpp's", async (_id, g) => {
    const model = models.get(g.mmproj)!;
    let next = 0;
    const content: ContentPart[] = g.chat_content.map((p) => (p.type === "text" ? p : { type: "image", data: bytes(g.images[next++]!) }));
    const messages: ChatMessage[] = [{ role: "user", content }];
    const gen = model.generate(messages, { temperature: 0, maxTokens: g.generated.length, ignoreEos: true });
    const tokens: number[] = [];
    for await (const c of gen) tokens.push(...c.tokens);
    expect(tokens).toEqual(g.generated);
    expect((await gen.stats).promptTokens).toBe(g.n_prompt_positions);
  });

  it("every image prompt continues as llama.cpp's while all of them share the scheduler's steps", async () => {
    const shared = await loadModel(join(ROOT, manifest.text_model), { mmproj: join(ROOT, mmprojOf("s2-f16").file), threads: 2, contextSize: 1024, parallel: 4 });
    try {
      const runs = manifest.generate
        .filter((g) => g.mmproj === "s2-f16")
        .flatMap((g) => [g, g])  // the same prompt twice at once too
        .map(async (g) => {
          let next = 0;
          const content: ContentPart[] = g.chat_content.map((p) => (p.type === "text" ? p : { type: "image", data: bytes(g.images[next++]!) }));
          const gen = shared.generate([{ role: "user", content }], { temperature: 0, maxTokens: g.generated.length, ignoreEos: true });
          const tokens: number[] = [];
          for await (const c of gen) tokens.push(...c.tokens);
          return { tokens, want: g.generated };
        });
      for (const r of await Promise.all(runs)) expect(r.tokens).toEqual(r.want);
    } finally {
      await shared.close();
    }
  });

  it("reuses a resent image's encoding and KV from the prompt cache, never another image's", async () => {
    const model = models.get("s1-f32")!;
    const ask = async (image: string) => {
      const content: ContentPart[] = [{ type: "image", data: bytes(image) }, { type: "text", text: "Describe it." }];
      const gen = model.generate([{ role: "user", content }], { temperature: 0, maxTokens: 4, ignoreEos: true });
      const tokens: number[] = [];
      for await (const c of gen) tokens.push(...c.tokens);
      return { tokens, stats: await gen.stats };
    };
    const encodes = vi.spyOn(native().engine, "encodeImage");
    const first = await ask("images/img-224x224.png");
    const encoded = encodes.mock.calls.length;  // 0 when an earlier test sent this image already
    const again = await ask("images/img-224x224.png");
    expect(again.tokens).toEqual(first.tokens);
    expect(encodes.mock.calls.length).toBe(encoded);  // the resent image is not encoded again
    expect(again.stats.cachedPromptTokens).toBe(first.stats.promptTokens - 1);  // all but the last, which yields the logits
    encodes.mockRestore();
    const other = await ask("images/img-300x200.jpg");
    // Same number of positions, but the cache stops before the image: its KV is another image's.
    expect(other.stats.promptTokens).toBe(first.stats.promptTokens);
    expect(other.stats.cachedPromptTokens).toBeLessThanOrEqual(first.stats.promptTokens - model.vision!.tokensPerImage - 1);
  });

  it("refuses too many images for the context", async () => {
    const small = await loadModel(join(ROOT, manifest.text_model), { mmproj: join(ROOT, mmprojOf("s2-f16").file), threads: 1, contextSize: 40 });
    try {
      const img = bytes("images/img-37x23.png");
      const content: ContentPart[] = [{ type: "text", text: "a" }, { type: "image", data: img }, { type: "image", data: img }, { type: "image", data: img }];
      expect(() => small.generate([{ role: "user", content }])).toThrow(/too many images for the context/);
    } finally {
      await small.close();
    }
  });
});
