/**
 * Embeddings against llama.cpp (node-llama-cpp's embedding context) for the same file and pooling:
 * random-weight models declaring no pooling (llama.cpp then reads the last token), mean, cls and
 * last, the other architectures' recipes, and the real stories260K model with text inputs
 * (tokenizer included).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadModel } from "../../lib/engine/index.js";
import type { Model, Pooling } from "../../lib/engine/types.js";
import { packageRoot } from "../../lib/native.js";
import { DIMS, buildModel } from "../fixtures/recipes.js";
import { referenceEmbeddings } from "./reference.js";

const CONTEXT = 256;
/** BOS, then fixed walks over the vocabulary: 1, 7 and 100 tokens (two of our prefill batches). */
const INPUTS = [1, 7, 100].map((n) => [1, ...Array.from({ length: n - 1 }, (_, i) => 3 + ((i * 131 + n * 17) % (DIMS.nVocab - 3)))]);

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

function norm(v: Float32Array): number {
  return Math.hypot(...v);
}

/** llama.cpp's pooling_type values. */
const DECLARED: Record<string, number | undefined> = { none: undefined, mean: 1, cls: 2, last: 3 };

describe.each(["none", "mean", "cls", "last"])("llama file declaring pooling %s", (declared) => {
  let path: string;
  let model: Model;
  beforeAll(async () => {
    const code = DECLARED[declared];
    path = await buildModel("llama", "f32", code === undefined ? {} : { tag: `pool-${declared}`, defect: { u32: { "llama.pooling_type": code } } });
    model = await loadModel(path, { threads: 2, contextSize: CONTEXT });
  });
  afterAll(() => model?.close());

  test("matches llama.cpp's embeddings (cosine >= 0.999) and is L2-normalised", async () => {
    const ref = await referenceEmbeddings(path, INPUTS, { contextSize: CONTEXT });
    const ours = await model.embed(INPUTS);
    expect(ours).toHaveLength(INPUTS.length);
    const cos = ours.map((v, i) => cosine(v, ref[i]!));
    expect(Math.min(...cos), `cosines: ${cos.map((c) => c.toFixed(6)).join(" ")}`).toBeGreaterThanOrEqual(0.999);
    for (const v of ours) {
      expect(v).toHaveLength(DIMS.nEmbd);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  test("an explicit pooling overrides the declared one", async () => {
    const want: Pooling = declared === "mean" ? "last" : "mean";
    const [over] = await model.embed([INPUTS[2]!], { pooling: want });
    const [plain] = await model.embed([INPUTS[2]!]);
    expect(cosine(over!, plain!)).toBeLessThan(0.99);
  });
});

test.each(["qwen2", "phi3", "gemma3", "command-r", "cohere2"] as const)("%s (no declared pooling) matches llama.cpp", async (arch) => {
  const path = await buildModel(arch, "f32");
  const ref = await referenceEmbeddings(path, INPUTS, { contextSize: CONTEXT });
  const model = await loadModel(path, { threads: 2, contextSize: CONTEXT });
  try {
    const cos = (await model.embed(INPUTS)).map((v, i) => cosine(v, ref[i]!));
    expect(Math.min(...cos), `cosines: ${cos.map((c) => c.toFixed(6)).join(" ")}`).toBeGreaterThanOrEqual(0.999);
  } finally {
    await model.close();
  }
});

test("pooling options agree with the files declaring them", async () => {
  const base = await loadModel(await buildModel("llama", "f32"), { threads: 2, contextSize: CONTEXT });
  try {
    for (const p of ["mean", "cls"] as const) {
      const declaring = await loadModel(await buildModel("llama", "f32", { tag: `pool-${p}`, defect: { u32: { "llama.pooling_type": DECLARED[p]! } } }), { threads: 2, contextSize: CONTEXT });
      try {
        const [a] = await base.embed([INPUTS[2]!], { pooling: p });
        const [b] = await declaring.embed([INPUTS[2]!]);
        expect(cosine(a!, b!)).toBeGreaterThan(0.99999);
      } finally {
        await declaring.close();
      }
    }
  } finally {
    await base.close();
  }
});

const STORIES = join(packageRoot, "..", "shared", "models", "stories260K.gguf");
const present = existsSync(STORIES);
if (!present) console.warn(`embeddings golden: ${STORIES} is absent; skipping the stories260K comparison`);

test.skipIf(!present)("stories260K text embeddings match llama.cpp", async () => {
  const texts = ["Once upon a time there was a little girl.", "The cat sat on the mat", "Lily"];
  const ref = await referenceEmbeddings(STORIES, texts, { contextSize: CONTEXT });
  const model = await loadModel(STORIES, { threads: 2, contextSize: CONTEXT });
  try {
    const ours = await model.embed(texts);
    const cos = ours.map((v, i) => cosine(v, ref[i]!));
    expect(Math.min(...cos), `cosines: ${cos.map((c) => c.toFixed(6)).join(" ")}`).toBeGreaterThanOrEqual(0.999);
    // Different texts give different directions (the comparison is not trivially satisfied).
    expect(cosine(ours[0]!, ours[1]!)).toBeLessThan(0.999);
  } finally {
    await model.close();
  }
});
