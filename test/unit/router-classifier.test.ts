import { describe, expect, it } from "vitest";
import { classifyTopic, decodeTopicModel, readShippedTopicModel, Router, type SerializedTopicModel } from "../../lib/router/index.js";
import { featurize, FEATURE_BITS, FEATURE_DIM } from "../../lib/router/features.js";

describe("topic classifier", () => {
  it("ships weights that match this build's feature space", () => {
    const model = readShippedTopicModel();
    expect(model.bits).toBe(FEATURE_BITS);
    expect(model.classes).toEqual(["general", "technical", "coding"]);
    expect(model.weights.length).toBe(FEATURE_DIM * 3);
  });

  it("refuses weights trained for another feature space or of the wrong size", () => {
    const model = readShippedTopicModel();
    const stale: SerializedTopicModel = { ...model, bits: FEATURE_BITS - 1 };
    expect(() => decodeTopicModel(stale)).toThrow(/retrain/);
    expect(() => decodeTopicModel({ ...model, weights: model.weights.subarray(1) })).toThrow(/weights/);
  });

  it("extracts L2-normalised, deterministic features within the hashed space", () => {
    const a = featurize("Write a `regex` for dates: ```\nx = re.compile(r'\\d+')\n```");
    const b = featurize("Write a `regex` for dates: ```\nx = re.compile(r'\\d+')\n```");
    expect(Array.from(a.index)).toEqual(Array.from(b.index));
    let norm = 0;
    for (const v of a.value) norm += v * v;
    expect(norm).toBeCloseTo(1, 5);
    for (const i of a.index) expect(i >= 0 && i < FEATURE_DIM).toBe(true);
    expect(featurize("").index.length).toBe(0);
  });

  it("gives probabilities that sum to 1 and separate the three topics", () => {
    const code = classifyTopic("Write a Kotlin function that parses a date string.");
    const tech = classifyTopic("How does a switching power supply regulate its output voltage?");
    const gen = classifyTopic("What should I bring to a picnic on the beach?");
    for (const r of [code, tech, gen]) {
      const sum = r.probabilities.general + r.probabilities.technical + r.probabilities.coding;
      expect(sum).toBeCloseTo(1, 6);
    }
    expect([code.domain, tech.domain, gen.domain]).toEqual(["coding", "technical", "general"]);
  });

  it("lets a router run with other weights (e.g. a retrained model)", () => {
    const zero = { w: new Float32Array(FEATURE_DIM * 3), b: new Float32Array([0, 0, 0]) };
    const d = new Router({}, zero).route([{ role: "user", content: "How does TCP work?" }]);
    // Uniform probabilities: nothing beats general, the fallback.
    expect(d.domain).toBe("general");
    expect(d.scores.technical).toBeCloseTo(0.333, 3);
  });
});
