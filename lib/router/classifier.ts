/**
 * The learned topic classifier (general / technical / coding): multinomial logistic regression
 * over hashed n-gram features. Weights are trained by `npm run train:router` and shipped in
 * `weights.generated.ts` as int8 with one scale, so they load from `lib/` and `dist/` alike.
 * @module
 */
import { featurize, FEATURE_DIM } from "./features.js";
import { TOPIC_DOMAINS, type TopicDomain } from "./types.js";
import { TOPIC_MODEL } from "./weights.generated.js";

/** Serialised model, as written by the training script. */
export interface SerializedTopicModel {
  /** Feature bits the weights were trained with (must match `FEATURE_BITS`). */
  bits: number;
  /** Class order of the weight rows. */
  classes: readonly string[];
  /** Dequantisation scale: weight = int8 * scale. */
  scale: number;
  /** Per-class bias. */
  bias: readonly number[];
  /** Base64 of FEATURE_DIM * classes.length int8 weights, feature-major. */
  weights: string;
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
  const q = new Int8Array(Buffer.from(m.weights, "base64").buffer.slice(0));
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

let shipped: TopicWeights | undefined;

/** The shipped model, decoded on first use. */
export function shippedTopicWeights(): TopicWeights {
  shipped ??= decodeTopicModel(TOPIC_MODEL);
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
