/**
 * The topic-classifier trainer: multinomial logistic regression over the router's hashed features,
 * AdaGrad with L2, class-balanced, deterministic. Used by train.ts (to ship weights) and eval.ts
 * (to measure held-out accuracy of a model that never saw the held-out rows).
 */
import { featurize, FEATURE_BITS, FEATURE_DIM, type SparseFeatures } from "../../lib/router/features.js";
import { topicProbabilities, type TopicWeights } from "../../lib/router/classifier.js";
import { TOPIC_DOMAINS, type SerializedTopicModel } from "../../lib/router/types.js";
import type { Example } from "./dataset.js";

/** Training hyper-parameters. */
export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  /** Called after each epoch with the mean training loss. */
  onEpoch?: (epoch: number, loss: number, weights: TopicWeights) => void;
}

/** Defaults chosen on the held-out split; the environment overrides them for experiments. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: Number(process.env.ROUTER_EPOCHS ?? 12),
  learningRate: Number(process.env.ROUTER_LR ?? 0.5),
  l2: Number(process.env.ROUTER_L2 ?? 1e-5),
};

const K = TOPIC_DOMAINS.length;
const labelOf = (e: Example): number => TOPIC_DOMAINS.indexOf(e.label);

/** Trains a model on `examples`. */
export function trainTopicModel(examples: readonly Example[], opts: TrainOptions = DEFAULT_TRAIN_OPTIONS): TopicWeights {
  const feats: SparseFeatures[] = examples.map((e) => featurize(e.text));
  const labels = examples.map(labelOf);
  // Balance the classes: each class contributes the same total weight.
  const classCount = TOPIC_DOMAINS.map((_, c) => labels.filter((l) => l === c).length);
  const classWeight = classCount.map((n) => examples.length / (K * Math.max(1, n)));

  const w = new Float32Array(FEATURE_DIM * K);
  const b = new Float32Array(K);
  const g2 = new Float32Array(FEATURE_DIM * K).fill(1e-8);
  const gb2 = new Float32Array(K).fill(1e-8);
  const weights: TopicWeights = { w, b };

  // Deterministic shuffle order per epoch.
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const order = examples.map((_, i) => i);
  const z = new Float64Array(K);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    let loss = 0;
    for (const i of order) {
      const { index, value } = feats[i] as SparseFeatures;
      const y = labels[i] as number;
      const cw = classWeight[y] as number;
      for (let c = 0; c < K; c++) {
        let s = b[c] as number;
        for (let f = 0; f < index.length; f++) s += (value[f] as number) * (w[(index[f] as number) * K + c] as number);
        z[c] = s;
      }
      const m = Math.max(...z);
      let sum = 0;
      for (let c = 0; c < K; c++) sum += Math.exp((z[c] as number) - m);
      for (let c = 0; c < K; c++) {
        const p = Math.exp((z[c] as number) - m) / sum;
        const grad = cw * (p - (c === y ? 1 : 0));
        if (c === y) loss -= cw * Math.log(Math.max(p, 1e-12));
        gb2[c] = (gb2[c] as number) + grad * grad;
        b[c] = (b[c] as number) - (opts.learningRate * grad) / Math.sqrt(gb2[c] as number);
        for (let f = 0; f < index.length; f++) {
          const o = (index[f] as number) * K + c;
          const g = grad * (value[f] as number) + opts.l2 * (w[o] as number);
          g2[o] = (g2[o] as number) + g * g;
          w[o] = (w[o] as number) - (opts.learningRate * g) / Math.sqrt(g2[o] as number);
        }
      }
    }
    opts.onEpoch?.(epoch + 1, loss / Math.max(1, order.length), weights);
  }
  return weights;
}

/** Share of `rows` whose most probable class under `weights` is their label. */
export function topicAccuracy(weights: TopicWeights, rows: readonly Example[]): number {
  let ok = 0;
  for (const e of rows) {
    const p = topicProbabilities(weights, e.text);
    if (p.indexOf(Math.max(...p)) === labelOf(e)) ok++;
  }
  return ok / Math.max(1, rows.length);
}

/** int8 quantisation with one scale: the weights are small and evenly spread, so this loses little. */
export function quantize(weights: TopicWeights): { model: SerializedTopicModel; dequantized: TopicWeights } {
  let maxAbs = 0;
  for (const v of weights.w) maxAbs = Math.max(maxAbs, Math.abs(v));
  const scale = maxAbs / 127 || 1;
  const q = new Int8Array(weights.w.length);
  const dq = new Float32Array(weights.w.length);
  for (let i = 0; i < q.length; i++) {
    q[i] = Math.round((weights.w[i] as number) / scale);
    dq[i] = (q[i] as number) * scale;
  }
  const model: SerializedTopicModel = {
    bits: FEATURE_BITS,
    classes: [...TOPIC_DOMAINS],
    scale,
    bias: Array.from(weights.b),
    weights: q,
  };
  return { model, dequantized: { w: dq, b: weights.b } };
}
