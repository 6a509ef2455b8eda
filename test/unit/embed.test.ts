// model.embed's contract on a random-weight model: shapes, normalisation, determinism, batching
// independence, and typed errors for bad input (llama.cpp agreement is in test/golden/embeddings.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ContextFullError, GgufFormatError, InvalidArgumentError, ModelClosedError } from "../../lib/errors.js";
import { loadModel } from "../../lib/engine/index.js";
import type { Model } from "../../lib/engine/types.js";
import { DIMS, buildModel } from "../fixtures/recipes.js";

describe("model.embed", () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(await buildModel("llama", "f32"), { threads: 2, contextSize: 256 });
  });
  afterAll(() => model?.close());

  test("one unit vector per input; the same input embeds the same alone or among others", async () => {
    const long = [1, ...Array.from({ length: 300 }, (_, i) => 3 + ((i * 37) % (DIMS.nVocab - 3)))];  // several prefill batches
    const [a, b, c] = await model.embed([[1, 5, 9], "hello world", long]);
    for (const v of [a!, b!, c!]) {
      expect(v).toHaveLength(DIMS.nEmbd);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    const [again] = await model.embed([[1, 5, 9]]);
    expect(Array.from(again!)).toEqual(Array.from(a!));
    const [alone] = await model.embed([long]);
    expect(Array.from(alone!)).toEqual(Array.from(c!));
    // A string is tokenised as model.tokenize does (BOS included).
    const [viaIds] = await model.embed([model.tokenize("hello world")]);
    expect(Array.from(viaIds!)).toEqual(Array.from(b!));
  });

  test("cls pooling reads the first token only", async () => {
    const [x] = await model.embed([[1, 5, 9]], { pooling: "cls" });
    const [y] = await model.embed([[1, 200, 300, 400]], { pooling: "cls" });
    expect(Array.from(x!)).toEqual(Array.from(y!));
  });

  test.each([
    ["no inputs", [], {}, InvalidArgumentError, "non-empty array of inputs"],
    ["an empty token list", [[1], []], {}, InvalidArgumentError, "input 1 has no tokens"],
    ["a token outside the vocabulary", [[1, DIMS.nVocab]], {}, InvalidArgumentError, `token id ${DIMS.nVocab} is outside the vocabulary`],
    ["a non-integer token", [[1, 0.5]], {}, InvalidArgumentError, "token id 0.5"],
    ["a wrong input type", [42], {}, InvalidArgumentError, "input 0 must be a string or an array of token ids"],
    ["an unknown pooling", [[1]], { pooling: "max" }, InvalidArgumentError, "pooling must be"],
    ["an input longer than the context", [new Array(DIMS.ctxTrain + 1).fill(1)], {}, ContextFullError, "more than the model's context length"],
  ])("%s is a typed error", async (_name, inputs, options, type, message) => {
    const p = model.embed(inputs as never, options as never);
    await expect(p).rejects.toBeInstanceOf(type);
    await expect(p).rejects.toThrow(message);
  });
});

test("a pooling type the runner does not do is a metadata error naming the key", async () => {
  const m = await loadModel(await buildModel("llama", "f32", { tag: "pool-rank", defect: { u32: { "llama.pooling_type": 4 } } }), { threads: 1, contextSize: 64 });
  try {
    const p = m.embed([[1, 2]]);
    await expect(p).rejects.toBeInstanceOf(GgufFormatError);
    await expect(p).rejects.toThrow("llama.pooling_type");
    // An explicit pooling does not need the declared one.
    expect(await m.embed([[1, 2]], { pooling: "mean" })).toHaveLength(1);
  } finally {
    await m.close();
  }
  await expect(m.embed([[1]])).rejects.toBeInstanceOf(ModelClosedError);
});
