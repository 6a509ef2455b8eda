// The shipped topic model is data (data/router/topic-*.{json,i8.gz}) built from data
// (data/router/train/): retraining from the data must give exactly the shipped weights, so the
// weights can never drift from the lexicons, frames and hand-written rows they come from.
import { describe, expect, it } from "vitest";
import { readShippedTopicModel, topicWeightsHash } from "../../lib/router/index.js";
import { loadTopicData } from "../../scripts/router/dataset.js";
import { quantize, trainTopicModel } from "../../scripts/router/trainer.js";

describe("shipped topic model", () => {
  it("is what training on data/router/train gives (same SHA-256)", () => {
    const shipped = readShippedTopicModel();
    const { model } = quantize(trainTopicModel(loadTopicData()));
    expect(model.scale).toBe(shipped.scale);
    expect(model.bias).toEqual(shipped.bias);
    expect(topicWeightsHash(model.weights)).toBe(topicWeightsHash(shipped.weights));
  }, 180_000);

  it("keeps every training row, generated and hand-written, with a label and a language", () => {
    const rows = loadTopicData();
    expect(rows.length).toBeGreaterThan(10_000);
    for (const r of rows) {
      expect(["general", "technical", "coding"]).toContain(r.label);
      expect(["en", "es"]).toContain(r.lang);
      expect(r.text.length).toBeGreaterThan(0);
    }
    // The split holds out whole items: a tenth, give or take.
    const held = rows.filter((r) => r.split === "test").length / rows.length;
    expect(held).toBeGreaterThan(0.05);
    expect(held).toBeLessThan(0.2);
  });
});
