/**
 * Golden suite: capibara's runner against llama.cpp (node-llama-cpp) on random-weight models of
 * every architecture and weight type. See test/golden/README.md for what is compared and why the
 * tolerances are what they are.
 */
import { describe, expect, test } from "vitest";
import { quantize, type TensorType } from "../../lib/kernels.js";
import { DIMS, buildModel, type RecipeArch, type WeightType } from "../fixtures/recipes.js";
import { ourRun } from "./ours.js";
import { referenceRun, type ReferenceRun } from "./reference.js";

/** Architectures covered so far (one commit each). */
const ARCHS: RecipeArch[] = ["llama", "qwen2", "phi3", "gemma3", "command-r", "cohere2"];

/** Max |ours - llama.cpp| over the vocabulary, relative to max |llama.cpp logit|, per weight type. */
const TOLERANCE: Record<WeightType, number> = { f32: 2e-3, f16: 3e-3, q8_0: 4e-2, q4_0: 4e-2, q4_k_mix: 6e-2 };
/** Greedy steps compared token for token (F32/F16); quantised types compare logits along 4 steps. */
const STEPS: Record<WeightType, number> = { f32: 32, f16: 32, q8_0: 4, q4_0: 4, q4_k_mix: 4 };
const CONTEXT = 256;
/** 100 prompt tokens (two prefill batches of our 64): BOS, then a fixed walk over the vocabulary. */
const PROMPT = [1, ...Array.from({ length: 99 }, (_, i) => 3 + ((i * 131 + 17) % (DIMS.nVocab - 3)))];

const quantizer = (type: string, data: Float32Array) => quantize(type as TensorType, data);

function relErr(ours: Float32Array, ref: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ours[i]! - ref[i]!));
    m = Math.max(m, Math.abs(ref[i]!));
  }
  return d / m;
}

/** Gap between the two largest logits (how close greedy decoding is to a tie). */
function margin(l: Float32Array): string {
  let a = -Infinity;
  let b = -Infinity;
  for (const v of l) {
    if (v > a) [a, b] = [v, a];
    else if (v > b) b = v;
  }
  return (a - b).toFixed(3);
}

describe.each(ARCHS)("%s matches llama.cpp", (arch) => {
  test.each(["f32", "f16", "q8_0", "q4_0", "q4_k_mix"] as const)("%s", async (wt) => {
    const path = await buildModel(arch, wt, { quantize: quantizer });
    const ref: ReferenceRun = await referenceRun(path, PROMPT, STEPS[wt], { contextSize: CONTEXT, nVocab: DIMS.nVocab });
    const ours = await ourRun(path, PROMPT, STEPS[wt], { contextSize: CONTEXT, forced: ref.tokens });
    // Logits after the prompt (batched prefill) and after each decoded token.
    const errs = ref.logits.map((l, i) => relErr(ours.logits[i]!, l));
    expect(Math.max(...errs), `relative logit error per step: ${errs.map((e) => e.toExponential(1)).join(" ")}`).toBeLessThanOrEqual(TOLERANCE[wt]);
    // Our argmax after every prefix equals llama.cpp's greedy choice, so free-running greedy decoding
    // gives the same continuation.
    if (wt === "f32" || wt === "f16") expect(ours.tokens, `margins: ${ref.logits.map(margin).join(" ")}`).toEqual(ref.tokens);
  });
});

test("phi3 with a context below the original one still follows llama.cpp's LongRoPE choice", async () => {
  // llama.cpp pads the per-sequence context to 256 cells before comparing it with the original
  // context (64 in this file), so even a 32-token context uses the long factors.
  const path = await buildModel("phi3", "f32");
  const prompt = PROMPT.slice(0, 20);
  const ref = await referenceRun(path, prompt, 4, { contextSize: 32, nVocab: DIMS.nVocab });
  const ours = await ourRun(path, prompt, 4, { contextSize: 32, forced: ref.tokens });
  const errs = ref.logits.map((l, i) => relErr(ours.logits[i]!, l));
  expect(Math.max(...errs)).toBeLessThanOrEqual(TOLERANCE.f32);
});
