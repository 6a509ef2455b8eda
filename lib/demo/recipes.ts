/**
 * Random-weight GGUF recipes for the five supported architectures, each with every quirk the runner
 * must reproduce switched on (GQA, biases, fused tensors, partial rotary, LongRoPE factors, sliding
 * windows, post-norms, parallel residual, logit scale...). Files are small (n_embd 256); the golden
 * tests and the built-in demo are made from them, and users may build their own test models.
 *
 * Weights are seeded N(0, gain^2 / n_in) so activations stay near unit scale whatever the depth;
 * the output head has a larger gain so logits spread over several units and greedy choices are not
 * near-ties that numerical noise could flip.
 * @module
 */
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { GgufWriter } from "../gguf/writer.js";
import type { GgmlTypeName } from "../gguf/types.js";
import { spmVocab } from "./spm-vocab.js";

/** Architectures with a recipe (GGUF `general.architecture` strings). */
export const RECIPE_ARCHS = ["llama", "qwen2", "phi3", "gemma3", "command-r", "cohere2"] as const;
/** An architecture with a recipe. */
export type RecipeArch = (typeof RECIPE_ARCHS)[number];

/** Weight encodings a recipe can be written in; `q4_k_mix` is Q4_K matrices with Q6_K for ffn_down and output. */
export const WEIGHT_TYPES = ["f32", "f16", "q8_0", "q4_0", "q4_k_mix"] as const;
/** A weight encoding of {@link WEIGHT_TYPES}. */
export type WeightType = (typeof WEIGHT_TYPES)[number];

/** Encodes rows of f32 values into a quantised type (provided by the caller, e.g. the native addon). */
export type Quantizer = (type: GgmlTypeName, data: Float32Array) => Uint8Array;

/** Shape of the generated models (shared by all archs; gemma3 has more layers for its SWA pattern; `nVocab` is the synthetic vocabulary's size). */
export const DIMS = { nEmbd: 256, nHead: 4, nHeadKv: 2, nFf: 512, nVocab: 512, nLayer: 2, ctxTrain: 4096 } as const;

/** Deterministic N(0, 1) stream (mulberry32 + Box-Muller). */
export class Rng {
  private s: number;
  private spare: number | undefined;
  /** A stream seeded with `seed` (same seed, same values). */
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u = Math.max(this.uniform(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }
  /** `n` values N(mean, std^2). */
  fill(n: number, mean: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }
}

/** Role of a tensor, which picks its encoding and initial scale. */
export type TensorKind = "matrix" | "vector" | "embedding" | "output" | "down";

/** One tensor of a recipe. */
export interface TensorPlan {
  name: string;
  shape: number[];
  kind: TensorKind;
  /** Mean/std for vectors (norm weights 1 + noise, biases noise, rope factors positive). */
  values?: (rng: Rng, n: number) => Float32Array;
}

/** What a recipe sets beyond the shared keys. */
interface ArchRecipe {
  nLayer: number;
  /** Embedding std when not the default 0.05 (gemma3 multiplies embeddings by sqrt(n_embd)). */
  embedStd?: number;
  headDim: number;
  meta: (w: GgufWriter, a: string) => void;
  tensors: (il: number) => TensorPlan[];
  /** Tensors outside the layers besides the embedding and output norm, for a vocabulary size. */
  globals: (nVocab: number) => TensorPlan[];
}

const { nEmbd: E, nHead: H, nHeadKv: HKV, nFf: F } = DIMS;
const normW = (rng: Rng, n: number) => rng.fill(n, 1, 0.1);
const bias = (rng: Rng, n: number) => rng.fill(n, 0, 0.1);

function qkvSeparate(il: number, hd: number, withBias: boolean): TensorPlan[] {
  const p = `blk.${il}`;
  const out: TensorPlan[] = [
    { name: `${p}.attn_q.weight`, shape: [E, H * hd], kind: "matrix" },
    { name: `${p}.attn_k.weight`, shape: [E, HKV * hd], kind: "matrix" },
    { name: `${p}.attn_v.weight`, shape: [E, HKV * hd], kind: "matrix" },
  ];
  if (withBias)
    out.push(
      { name: `${p}.attn_q.bias`, shape: [H * hd], kind: "vector", values: bias },
      { name: `${p}.attn_k.bias`, shape: [HKV * hd], kind: "vector", values: bias },
      { name: `${p}.attn_v.bias`, shape: [HKV * hd], kind: "vector", values: bias },
    );
  return out;
}

function ffnGateUp(il: number): TensorPlan[] {
  const p = `blk.${il}`;
  return [
    { name: `${p}.ffn_gate.weight`, shape: [E, F], kind: "matrix" },
    { name: `${p}.ffn_up.weight`, shape: [E, F], kind: "matrix" },
    { name: `${p}.ffn_down.weight`, shape: [F, E], kind: "down" },
  ];
}

const norm = (name: string): TensorPlan => ({ name, shape: [E], kind: "vector", values: normW });

/** A llama-style layer: attn_norm, q/k/v (+ biases), attn_output, ffn_norm, gate/up/down. */
function llamaLayer(il: number, withBias: boolean): TensorPlan[] {
  return [
    norm(`blk.${il}.attn_norm.weight`),
    ...qkvSeparate(il, E / H, withBias),
    { name: `blk.${il}.attn_output.weight`, shape: [E, E], kind: "matrix" },
    norm(`blk.${il}.ffn_norm.weight`),
    ...ffnGateUp(il),
  ];
}

const RECIPES: Record<RecipeArch, ArchRecipe> = {
  // mistral-style: GQA, adjacent-pair RoPE, SwiGLU, untied output.
  llama: {
    nLayer: DIMS.nLayer,
    headDim: E / H,
    meta: (w, a) => {
      w.setF32(`${a}.attention.layer_norm_rms_epsilon`, 1e-5);
      w.setF32(`${a}.rope.freq_base`, 1000000);
    },
    tensors: (il) => llamaLayer(il, false),
    globals: (nVocab) => [{ name: "output.weight", shape: [E, nVocab], kind: "output" }],
  },
  // Q/K/V biases, NeoX RoPE, tied output (no output.weight).
  qwen2: {
    nLayer: DIMS.nLayer,
    headDim: E / H,
    meta: (w, a) => {
      w.setF32(`${a}.attention.layer_norm_rms_epsilon`, 1e-6);
      w.setF32(`${a}.rope.freq_base`, 1000000);
    },
    tensors: (il) => llamaLayer(il, true),
    globals: () => [],
  },
  // Fused QKV and gate|up, partial rotary (48 of 64 dims), LongRoPE long/short factors with an
  // attention factor; original context 64 so any test context selects the long factors; tied output.
  phi3: {
    nLayer: DIMS.nLayer,
    headDim: E / H,
    meta: (w, a) => {
      w.setF32(`${a}.attention.layer_norm_rms_epsilon`, 1e-5);
      w.setU32(`${a}.rope.dimension_count`, 48);
      w.setF32(`${a}.rope.scaling.attn_factor`, 1.19);
      w.setU32(`${a}.rope.scaling.original_context_length`, 64);
    },
    tensors: (il) => [
      norm(`blk.${il}.attn_norm.weight`),
      { name: `blk.${il}.attn_qkv.weight`, shape: [E, E + 2 * HKV * (E / H)], kind: "matrix" },
      { name: `blk.${il}.attn_output.weight`, shape: [E, E], kind: "matrix" },
      norm(`blk.${il}.ffn_norm.weight`),
      { name: `blk.${il}.ffn_up.weight`, shape: [E, 2 * F], kind: "matrix" },
      { name: `blk.${il}.ffn_down.weight`, shape: [F, E], kind: "down" },
    ],
    globals: () => [
      { name: "rope_factors_long.weight", shape: [24], kind: "vector", values: (r, n) => positive(r, n, 1, 6) },
      { name: "rope_factors_short.weight", shape: [24], kind: "vector", values: (r, n) => positive(r, n, 1, 1.5) },
    ],
  },
  // Embedding scale, pre+post norms, per-head Q/K norms, GeGLU, NeoX RoPE; 4 layers alternating
  // sliding-window (window 8, base 10000) and global (base 1e6, linear scaling x8) layers.
  gemma3: {
    nLayer: 4,
    embedStd: 0.005,
    headDim: 64,
    meta: (w, a) => {
      w.setF32(`${a}.attention.layer_norm_rms_epsilon`, 1e-6);
      w.setU32(`${a}.attention.key_length`, 64);
      w.setU32(`${a}.attention.value_length`, 64);
      w.setF32(`${a}.rope.freq_base`, 1000000);
      w.setString(`${a}.rope.scaling.type`, "linear");
      w.setF32(`${a}.rope.scaling.factor`, 8);
      w.setU32(`${a}.attention.sliding_window`, 8);
      w.setU32(`${a}.attention.sliding_window_pattern`, 2);
    },
    tensors: (il) => [
      norm(`blk.${il}.attn_norm.weight`),
      ...qkvSeparate(il, 64, false),
      { name: `blk.${il}.attn_q_norm.weight`, shape: [64], kind: "vector", values: normW },
      { name: `blk.${il}.attn_k_norm.weight`, shape: [64], kind: "vector", values: normW },
      { name: `blk.${il}.attn_output.weight`, shape: [H * 64, E], kind: "matrix" },
      norm(`blk.${il}.post_attention_norm.weight`),
      norm(`blk.${il}.ffn_norm.weight`),
      ...ffnGateUp(il),
      norm(`blk.${il}.post_ffw_norm.weight`),
    ],
    globals: () => [],
  },
  // LayerNorm, parallel attention + FFN, logit scale, tied output.
  "command-r": {
    nLayer: DIMS.nLayer,
    headDim: E / H,
    meta: (w, a) => {
      w.setF32(`${a}.attention.layer_norm_epsilon`, 1e-5);
      w.setF32(`${a}.logit_scale`, 0.5);
      w.setF32(`${a}.rope.freq_base`, 10000);
    },
    tensors: (il) => [
      norm(`blk.${il}.attn_norm.weight`),
      ...qkvSeparate(il, E / H, false),
      { name: `blk.${il}.attn_output.weight`, shape: [E, E], kind: "matrix" },
      ...ffnGateUp(il),
    ],
    globals: () => [],
  },
  // command-r's block with 4 layers: three sliding-window layers (window 8) with RoPE, then one
  // global layer without positional encoding (default pattern 4).
  cohere2: {
    nLayer: 4,
    headDim: E / H,
    meta: (w, a) => {
      w.setF32(`${a}.attention.layer_norm_epsilon`, 1e-5);
      w.setF32(`${a}.logit_scale`, 0.5);
      w.setF32(`${a}.rope.freq_base`, 50000);
      w.setU32(`${a}.attention.sliding_window`, 8);
    },
    tensors: (il) => [
      norm(`blk.${il}.attn_norm.weight`),
      ...qkvSeparate(il, E / H, false),
      { name: `blk.${il}.attn_output.weight`, shape: [E, E], kind: "matrix" },
      ...ffnGateUp(il),
    ],
    globals: () => [],
  },
};

function positive(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** Encoded type of a tensor under a weight type (vectors and norms always stay f32, as converters do). */
function tensorType(kind: TensorKind, wt: WeightType): GgmlTypeName {
  if (kind === "vector") return "f32";
  switch (wt) {
    case "f32":
    case "f16":
    case "q8_0":
    case "q4_0":
      return wt;
    case "q4_k_mix":
      return kind === "down" || kind === "output" ? "q6_K" : "q4_K";
  }
}

/** Weight values of a tensor: N(0, gain^2 / n_in); the output head has gain 4, embeddings N(0, 0.05^2) (small, so a tied head does not just repeat the last token). */
function weights(rng: Rng, t: TensorPlan): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.values) return t.values(rng, n);
  if (t.kind === "embedding") return rng.fill(n, 0, 0.05);
  const gain = t.kind === "output" ? 4 : 1;
  return rng.fill(n, 0, gain / Math.sqrt(t.shape[0]!));
}

/** The full tensor list of an arch for a vocabulary size (globals first, as converters write them). */
export function tensorPlans(arch: RecipeArch, nVocab: number = DIMS.nVocab): TensorPlan[] {
  const r = RECIPES[arch];
  const out: TensorPlan[] = [
    { name: "token_embd.weight", shape: [E, nVocab], kind: "embedding", values: r.embedStd === undefined ? undefined : (rng, n) => rng.fill(n, 0, r.embedStd!) },
    norm("output_norm.weight"),
    ...r.globals(nVocab),
  ];
  for (let il = 0; il < r.nLayer; il++) out.push(...r.tensors(il));
  return out;
}

/** A deliberately broken variant of a recipe, for error tests. */
export interface RecipeDefect {
  /** Written as general.architecture instead of the recipe's. */
  archString?: string;
  /** Tensor left out of the file. */
  omit?: string;
  /** Tensor written with this shape instead (f32 only). */
  reshape?: { name: string; shape: number[] };
  /** An extra f32 tensor the architecture does not have. */
  extra?: { name: string; shape: number[] };
  /** Extra u32 metadata (e.g. `llama.expert_count`). */
  u32?: Record<string, number>;
}

/** A vocabulary a model is written with: its tokens (their count sizes the embedding) and the code writing its `tokenizer.*` keys. */
export interface RecipeVocab {
  readonly tokens: readonly string[];
  apply(w: GgufWriter): void;
}

/** Options of {@link buildModel}. */
export interface BuildModelOptions {
  /** Encodes quantised types (e.g. `quantize` of the kernels module); required for q8_0, q4_0, q4_k_mix. */
  quantize?: Quantizer;
  /** Output folder (default `.cache/models` in the working directory). */
  dir?: string;
  /** A deliberate defect, for error tests. */
  defect?: RecipeDefect;
  /** Appended to the file name, to keep variants apart. */
  tag?: string;
  /** Vocabulary (default: a synthetic 512-token SentencePiece one). */
  vocab?: RecipeVocab;
}

/**
 * Path of the model file for (arch, weight type) in `dir`, writing it first if missing.
 * @throws {@link InvalidArgumentError} (`INVALID_ARGUMENT`) when a quantised type has no quantizer.
 */
export async function buildModel(arch: RecipeArch, wt: WeightType, opts: BuildModelOptions = {}): Promise<string> {
  const dir = opts.dir ?? join(process.cwd(), ".cache", "models");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${arch}-${wt}${opts.tag ? `-${opts.tag}` : ""}-v3.gguf`);
  if (existsSync(path)) return path;
  const r = RECIPES[arch];
  const defect = opts.defect ?? {};
  const w = new GgufWriter();
  w.setString("general.architecture", defect.archString ?? arch);
  // Not named after the arch: llama.cpp special-cases vocabularies of models named "phi3".
  w.setString("general.name", "capibara-test-model");
  w.setU32(`${arch}.context_length`, DIMS.ctxTrain);
  w.setU32(`${arch}.embedding_length`, E);
  w.setU32(`${arch}.block_count`, r.nLayer);
  w.setU32(`${arch}.feed_forward_length`, F);
  w.setU32(`${arch}.attention.head_count`, H);
  w.setU32(`${arch}.attention.head_count_kv`, HKV);
  r.meta(w, arch);
  for (const [k, v] of Object.entries(defect.u32 ?? {})) w.setU32(k, v);
  const vocab = opts.vocab ?? spmVocab(DIMS.nVocab);
  vocab.apply(w);
  // One stream per tensor (seeded by its index) so a recipe change to one tensor leaves the others.
  tensorPlans(arch, vocab.tokens.length).forEach((plan, i) => {
    if (plan.name === defect.omit) return;
    const t = defect.reshape?.name === plan.name ? { ...plan, shape: defect.reshape.shape } : plan;
    const type = tensorType(t.kind, wt);
    const values = weights(new Rng(0x5eed + 7919 * i), t);
    let data: Float32Array | Uint8Array = values;
    if (type !== "f32" && type !== "f16") {
      if (!opts.quantize) throw new InvalidArgumentError("INVALID_ARGUMENT", `buildModel(${arch}, ${wt}) needs a quantizer for ${type}`);
      data = opts.quantize(type, values);
    }
    w.addTensor(t.name, { type, shape: t.shape, data });
  });
  if (defect.extra) {
    const n = defect.extra.shape.reduce((a, b) => a * b, 1);
    w.addTensor(defect.extra.name, { type: "f32", shape: defect.extra.shape, data: new Float32Array(n) });
  }
  await w.write(path);
  return path;
}
