/**
 * The learned topic classifier (general / technical / coding): multinomial logistic regression
 * over hashed n-gram features. Weights are trained by `npm run train:router` from the data in
 * `data/router/train/` and shipped as data: int8 with one scale, gzipped
 * (`data/router/topic-weights.i8.gz`, described by `data/router/topic-model.json`).
 * @module
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { readRouterData } from "./data.js";
import { featurize, FEATURE_DIM } from "./features.js";
import { TOPIC_DOMAINS, type SerializedTopicModel, type TopicDomain } from "./types.js";

/** `data/router/topic-model.json`: the model without its weights, and the weights' SHA-256. */
interface TopicModelHeader extends Omit<SerializedTopicModel, "weights"> {
  /** Number of training examples (informative). */
  examples: number;
  sha256: string;
}

/** Dense float weights of a trained model. */
export interface TopicWeights {
  /** FEATURE_DIM * 3 weights, feature-major (`w[f * 3 + c]`). */
  w: Float32Array;
  /** Per-class bias. */
  b: Float32Array;
}

/** Decodes a serialised model; throws if it does not match this build's feature space or classes. */
export function decodeTopicModel(m: SerializedTopicModel): TopicWeights {
  if (1 << m.bits !== FEATURE_DIM || m.classes.join() !== TOPIC_DOMAINS.join()) {
    throw new Error(`topic model mismatch: bits ${m.bits}, classes ${m.classes.join()}; retrain with npm run train:router`);
  }
  const q = m.weights;
  if (q.length !== FEATURE_DIM * TOPIC_DOMAINS.length) throw new Error(`topic model has ${q.length} weights, expected ${FEATURE_DIM * TOPIC_DOMAINS.length}`);
  const w = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) w[i] = (q[i] as number) * m.scale;
  return { w, b: Float32Array.from(m.bias) };
}

/** Class probabilities of `text` under `weights`, in {@link TOPIC_DOMAINS} order. */
export function topicProbabilities(weights: TopicWeights, text: string): [number, number, number] {
  const { index, value } = featurize(text);
  const { w, b } = weights;
  let z0 = b[0] as number;
  let z1 = b[1] as number;
  let z2 = b[2] as number;
  for (let i = 0; i < index.length; i++) {
    const o = (index[i] as number) * 3;
    const v = value[i] as number;
    z0 += v * (w[o] as number);
    z1 += v * (w[o + 1] as number);
    z2 += v * (w[o + 2] as number);
  }
  const m = Math.max(z0, z1, z2);
  const e0 = Math.exp(z0 - m);
  const e1 = Math.exp(z1 - m);
  const e2 = Math.exp(z2 - m);
  const s = e0 + e1 + e2;
  return [e0 / s, e1 / s, e2 / s];
}

/** SHA-256 (hex) of int8 weights, as recorded in `topic-model.json`. */
export function topicWeightsHash(weights: Int8Array): string {
  return createHash("sha256").update(weights).digest("hex");
}

/**
 * Reads the shipped model from `data/router/`.
 * @throws Error when the weights file does not match the hash its header records.
 */
export function readShippedTopicModel(): SerializedTopicModel {
  const { sha256, examples: _examples, ...header } = JSON.parse(readRouterData("topic-model.json").toString("utf8")) as TopicModelHeader;
  const raw = gunzipSync(readRouterData("topic-weights.i8.gz"));
  const weights = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (topicWeightsHash(weights) !== sha256) throw new Error("data/router/topic-weights.i8.gz does not match topic-model.json; retrain with npm run train:router");
  return { ...header, weights };
}

let shipped: TopicWeights | undefined;

/** The shipped model, read and decoded on first use. */
export function shippedTopicWeights(): TopicWeights {
  shipped ??= decodeTopicModel(readShippedTopicModel());
  return shipped;
}

/** Convenience: the most likely topic of `text` under the shipped model. */
export function classifyTopic(text: string): { domain: TopicDomain; probabilities: Record<TopicDomain, number> } {
  const p = topicProbabilities(shippedTopicWeights(), text);
  let best = 0;
  for (let c = 1; c < 3; c++) if ((p[c] as number) > (p[best] as number)) best = c;
  return {
    domain: TOPIC_DOMAINS[best] as TopicDomain,
    probabilities: { general: p[0], technical: p[1], coding: p[2] },
  };
}
