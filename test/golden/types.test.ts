/**
 * Golden suite for the weight types beyond the recipes' own (Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, Q3_K, Q2_K): the llama
 * recipe's F32 model with every matrix converted by capibara's GGUF writer (256-wide rows, so IQ4_XS's
 * super-blocks fit too), against llama.cpp with the golden suite's K-quant tolerance, teacher-forced along
 * llama.cpp's greedy tokens (see README.md). Also: a type capibara has no kernels for is refused at load
 * with a message naming the tensor and the type.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadModel } from "../../lib/index.js";
import type { GgmlTypeName } from "../../lib/gguf/index.js";
import { DIMS, buildModel } from "../fixtures/recipes.js";
import { ourRun } from "./ours.js";
import { referenceRun } from "./reference.js";
import { convertGguf, matricesAs } from "./stories.js";

/** The golden suite's K-quant bound: max |ours - llama.cpp| / max |llama.cpp logit|. */
const TOLERANCE = 6e-2;
const PROMPT = [1, ...Array.from({ length: 99 }, (_, i) => 3 + ((i * 131 + 17) % (DIMS.nVocab - 3)))];
const CACHE = join(process.cwd(), ".cache", "models");

function relErr(ours: Float32Array, ref: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ours[i]! - ref[i]!));
    m = Math.max(m, Math.abs(ref[i]!));
  }
  return d / m;
}

describe("llama recipe in each further weight type matches llama.cpp", () => {
  test.each(["q4_1", "q5_0", "q5_1", "iq4_nl", "iq4_xs", "q3_K", "q2_K"] as GgmlTypeName[])("%s", async (type) => {
    const src = await buildModel("llama", "f32");
    const path = await convertGguf(src, join(CACHE, `llama-${type}-converted-v1.gguf`), matricesAs(type));
    const ref = await referenceRun(path, PROMPT, 4, { contextSize: 256, nVocab: DIMS.nVocab });
    const ours = await ourRun(path, PROMPT, 4, { contextSize: 256, forced: ref.tokens });
    const errs = ref.logits.map((l, i) => relErr(ours.logits[i]!, l));
    console.info(`llama ${type}: relative logit error per step ${errs.map((e) => e.toExponential(1)).join(" ")}`);
    expect(Math.max(...errs)).toBeLessThanOrEqual(TOLERANCE);
  });
});

test("a file with a type capibara has no kernels for (iq2_xxs) is refused, naming the tensor and the type", async () => {
  const src = await buildModel("llama", "f32");
  const bad = "blk.1.ffn_up.weight";
  // Random bytes: the refusal must come before any block is read.
  const path = await convertGguf(src, join(CACHE, "llama-iq2_xxs-ffn-up-v1.gguf"), (t) =>
    t.name === bad ? { type: "iq2_xxs", bytes: new Uint8Array((t.elements / 256) * 66).map((_, i) => (i * 97) & 0xff) } : { type: "f32" },
  );
  await expect(loadModel(path)).rejects.toMatchObject({
    code: "UNSUPPORTED_QUANT",
    message: expect.stringMatching(new RegExp(`'${bad.replace(/\./g, "\\.")}'.*iq2_xxs`)),
  });
});
