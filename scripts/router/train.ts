/**
 * Retrains the topic classifier from the data in data/router/train/: trains on the training split
 * and reports held-out accuracy (model selection), then trains on every row and writes
 * data/router/topic-model.json and data/router/topic-weights.i8.gz. Deterministic: retraining the
 * same data gives the same weights (test/unit/router-model.test.ts checks their hash).
 *
 * Usage: npm run train:router
 */
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { topicWeightsHash } from "../../lib/router/classifier.js";
import { loadTopicData, REPO_ROOT } from "./dataset.js";
import { quantize, topicAccuracy, trainTopicModel, DEFAULT_TRAIN_OPTIONS } from "./trainer.js";

const data = loadTopicData();
const train = data.filter((e) => e.split === "train");
const test = data.filter((e) => e.split === "test");
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

const selection = trainTopicModel(train, {
  ...DEFAULT_TRAIN_OPTIONS,
  onEpoch: (epoch, loss, weights) => console.log(`epoch ${epoch}: loss ${loss.toFixed(4)}, held-out accuracy ${pct(topicAccuracy(weights, test))}`),
});
console.log(`train ${train.length}, held-out ${test.length}; held-out accuracy after int8: ${pct(topicAccuracy(quantize(selection).dequantized, test))}`);

// The shipped model learns from every row, held-out ones included; eval.ts measures held-out
// accuracy with a model retrained on the training split only.
const { model, dequantized } = quantize(trainTopicModel(data));
console.log(`final model on all ${data.length} rows: training accuracy ${pct(topicAccuracy(dequantized, data))}`);
const { weights, ...header } = model;
writeFileSync(`${REPO_ROOT}data/router/topic-model.json`, `${JSON.stringify({ ...header, examples: data.length, sha256: topicWeightsHash(weights) }, null, 1)}\n`);
writeFileSync(`${REPO_ROOT}data/router/topic-weights.i8.gz`, gzipSync(weights, { level: 9 }));
console.log(`wrote data/router/topic-model.json and data/router/topic-weights.i8.gz (sha256 ${topicWeightsHash(weights)})`);
