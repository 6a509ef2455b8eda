/**
 * Model shapes of the LLM benchmark and the tensor types each quantisation gives them, following
 * llama.cpp's `llama_tensor_get_type` for the file types benchmarked (dense llama-family models, no
 * importance matrix, row lengths multiples of 256 so no tensor takes the fallback types).
 * @module
 */
import { InvalidArgumentError } from "../../lib/errors.js";
import { ggmlTensorBytes, type GgmlTypeName } from "../../lib/gguf/index.js";

/** A decoder-only transformer shape (llama-family tensor layout). */
export interface ModelShape {
  /** Key used on the command line and in the cache file names. */
  id: string;
  /** Human name for reports. */
  label: string;
  arch: "llama" | "qwen2";
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  nVocab: number;
  nCtx: number;
  ropeFreqBase: number;
  normEps: number;
  /** Q, K and V projections carry biases (qwen2). */
  qkvBias: boolean;
  /** No `output.weight`: the token embedding doubles as the output matrix. */
  tiedOutput: boolean;
  /** Tokenizer fixture whose vocabulary the file carries. */
  vocab: "mistral" | "qwen2";
}

/** File types benchmarked (llama.cpp `general.file_type` names). */
export type BenchQuant = "q8_0" | "q4_0" | "q4_K_M" | "f16" | "q4_1" | "q5_0" | "q5_1" | "iq4_nl" | "iq4_xs" | "q2_K" | "q3_K_M";
export const BENCH_QUANTS: readonly BenchQuant[] = ["q8_0", "q4_0", "q4_K_M", "f16", "q4_1", "q5_0", "q5_1", "iq4_nl", "iq4_xs", "q2_K", "q3_K_M"];

/** llama.cpp `llama_ftype` ids written as `general.file_type`. */
export const FILE_TYPE_IDS: Readonly<Record<BenchQuant, number>> = {
  f16: 1,
  q4_0: 2,
  q4_1: 3,
  q8_0: 7,
  q5_0: 8,
  q5_1: 9,
  q2_K: 10,
  q3_K_M: 12,
  q4_K_M: 15,
  iq4_nl: 25,
  iq4_xs: 30,
};

/** The type a file type gives a tensor that no rule below singles out (llama.cpp's `default_type`). */
const DEFAULT_TYPE: Readonly<Record<BenchQuant, GgmlTypeName>> = {
  f16: "f16",
  q8_0: "q8_0",
  q4_0: "q4_0",
  q4_1: "q4_1",
  q5_0: "q5_0",
  q5_1: "q5_1",
  iq4_nl: "iq4_nl",
  iq4_xs: "iq4_xs",
  q2_K: "q2_K",
  q3_K_M: "q3_K",
  q4_K_M: "q4_K",
};

export const SHAPES: readonly ModelShape[] = [
  {
    id: "tinyllama",
    label: "TinyLlama 1.1B",
    arch: "llama",
    nEmbd: 2048,
    nLayer: 22,
    nHead: 32,
    nHeadKv: 4,
    nFf: 5632,
    nVocab: 32000,
    nCtx: 2048,
    ropeFreqBase: 10000,
    normEps: 1e-5,
    qkvBias: false,
    tiedOutput: false,
    vocab: "mistral",
  },
  {
    id: "qwen2.5-1.5b",
    label: "Qwen2.5 1.5B",
    arch: "qwen2",
    nEmbd: 1536,
    nLayer: 28,
    nHead: 12,
    nHeadKv: 2,
    nFf: 8960,
    nVocab: 151936,
    nCtx: 32768,
    ropeFreqBase: 1000000,
    normEps: 1e-6,
    qkvBias: true,
    // Qwen2.5-1.5B ties its embeddings (tie_word_embeddings); the GGUF then has no output.weight.
    tiedOutput: true,
    vocab: "qwen2",
  },
  {
    // ~15 M parameters like llama2.c's stories15M, with K-quant-friendly widths (multiples of 256).
    id: "small",
    label: "Small llama 15M",
    arch: "llama",
    nEmbd: 256,
    nLayer: 8,
    nHead: 4,
    nHeadKv: 4,
    nFf: 768,
    nVocab: 32000,
    nCtx: 2048,
    ropeFreqBase: 10000,
    normEps: 1e-5,
    qkvBias: false,
    tiedOutput: true,
    vocab: "mistral",
  },
];

/** Quantisations benchmarked per model by default (F16 only for the 1.1 B, as the issue asks). */
export const DEFAULT_QUANTS: Readonly<Record<string, readonly BenchQuant[]>> = {
  tinyllama: ["q8_0", "q4_0", "q4_K_M", "f16"],
  "qwen2.5-1.5b": ["q8_0", "q4_0", "q4_K_M"],
  small: ["q8_0", "q4_0", "q4_K_M"],
};

/** Looks a shape up by id. */
export function shapeById(id: string): ModelShape {
  const s = SHAPES.find((x) => x.id === id);
  if (!s) throw new InvalidArgumentError("INVALID_ARGUMENT", `unknown model '${id}' (known: ${SHAPES.map((x) => x.id).join(", ")})`);
  return s;
}

/** Parses a quantisation name. */
export function parseQuant(q: string): BenchQuant {
  if (!(BENCH_QUANTS as readonly string[]).includes(q))
    throw new InvalidArgumentError("INVALID_ARGUMENT", `unknown quantisation '${q}' (known: ${BENCH_QUANTS.join(", ")})`);
  return q as BenchQuant;
}

/** What a tensor holds, which decides how its values are generated. */
export type TensorRole = "weight" | "norm" | "bias";

/** One tensor of a model file. */
export interface TensorPlan {
  name: string;
  type: GgmlTypeName;
  /** ggml order: `[rowLength, rows]` for matrices, `[n]` for vectors. */
  shape: number[];
  role: TensorRole;
}

/**
 * llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third layer in
 * between, get more bits in the `_M` K-quant mixes.
 */
export function useMoreBits(layer: number, nLayer: number): boolean {
  // Integer divisions, as in the C++ original.
  const eighth = Math.floor(nLayer / 8);
  return layer < eighth || layer >= Math.floor((7 * nLayer) / 8) || (layer - eighth) % 3 === 2;
}

/** Where a 2-D weight sits, which is all llama.cpp's type rules look at. */
export interface WeightSlot {
  /** Tensor kind: `attn_v`, `ffn_down`, ... (`token_embd`, `output`). */
  kind: string;
  /** Layer index (-1 outside the blocks). */
  layer: number;
  nLayer: number;
  /** Query heads per KV head (llama.cpp's `n_gqa`). */
  nGqa: number;
  /** The output matrix, or the token embedding when it doubles as the output. */
  isOutput: boolean;
}

/**
 * Type of a 2-D weight under a file type, as llama.cpp's quantiser picks it (`llama_tensor_get_type`):
 * - the output matrix (or the token embedding when it doubles as output) is Q6_K for every
 *   quantised type below Q8_0; an untied token embedding keeps the default type;
 * - Q4_K_M: Q6_K for `attn_v` and `ffn_down` in the layers {@link useMoreBits} selects;
 * - Q3_K_M: `attn_v` Q5_K in the first two layers and Q4_K after, `ffn_down` Q5_K in the first
 *   sixteenth of the layers and Q4_K after, `attn_output` Q4_K;
 * - Q2_K: `attn_v` Q4_K (Q3_K below 4 query heads per KV head), `ffn_down` and `attn_output` Q3_K;
 * - IQ4_NL / IQ4_XS: `attn_v` Q5_K from 4 query heads per KV head, `ffn_down` Q5_K in the first
 *   eighth of the layers (no importance matrix);
 * - Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, F16: the default type everywhere else.
 */
export function weightType(quant: BenchQuant, w: WeightSlot): GgmlTypeName {
  if (quant === "f16" || quant === "q8_0") return DEFAULT_TYPE[quant];
  if (w.isOutput) return "q6_K";
  // Integer divisions, as in the C++ original.
  const sixteenth = Math.floor(w.nLayer / 16);
  const eighth = Math.floor(w.nLayer / 8);
  const iq4 = quant === "iq4_nl" || quant === "iq4_xs";
  if (w.kind === "attn_v") {
    if (quant === "q2_K") return w.nGqa >= 4 ? "q4_K" : "q3_K";
    if (quant === "q3_K_M") return w.layer < 2 ? "q5_K" : "q4_K";
    if (iq4 && w.nGqa >= 4) return "q5_K";
    if (quant === "q4_K_M" && useMoreBits(w.layer, w.nLayer)) return "q6_K";
  } else if (w.kind === "ffn_down") {
    if (quant === "q2_K") return "q3_K";
    if (quant === "q3_K_M") return w.layer < sixteenth ? "q5_K" : "q4_K";
    if (quant === "q4_K_M" && useMoreBits(w.layer, w.nLayer)) return "q6_K";
    if (iq4 && w.layer < eighth) return "q5_K";
  } else if (w.kind === "attn_output") {
    if (quant === "q2_K") return "q3_K";
    if (quant === "q3_K_M") return "q4_K";
  }
  return DEFAULT_TYPE[quant];
}

/** Every tensor of a shape under a file type, in llama.cpp's naming. */
export function planTensors(s: ModelShape, quant: BenchQuant): TensorPlan[] {
  const kv = (s.nEmbd / s.nHead) * s.nHeadKv;
  const mat = (name: string, kind: string, layer: number, rowLen: number, rows: number, isOutput = false): TensorPlan => ({
    name,
    type: weightType(quant, { kind, layer, nLayer: s.nLayer, nGqa: s.nHead / s.nHeadKv, isOutput }),
    shape: [rowLen, rows],
    role: "weight",
  });
  const vec = (name: string, n: number, role: TensorRole): TensorPlan => ({ name, type: "f32", shape: [n], role });
  const out: TensorPlan[] = [
    mat("token_embd.weight", "token_embd", -1, s.nEmbd, s.nVocab, s.tiedOutput),
    vec("output_norm.weight", s.nEmbd, "norm"),
  ];
  if (!s.tiedOutput) out.push(mat("output.weight", "output", -1, s.nEmbd, s.nVocab, true));
  for (let i = 0; i < s.nLayer; i++) {
    const p = `blk.${i}.`;
    out.push(vec(`${p}attn_norm.weight`, s.nEmbd, "norm"));
    out.push(mat(`${p}attn_q.weight`, "attn_q", i, s.nEmbd, s.nEmbd));
    out.push(mat(`${p}attn_k.weight`, "attn_k", i, s.nEmbd, kv));
    out.push(mat(`${p}attn_v.weight`, "attn_v", i, s.nEmbd, kv));
    if (s.qkvBias) {
      out.push(vec(`${p}attn_q.bias`, s.nEmbd, "bias"));
      out.push(vec(`${p}attn_k.bias`, kv, "bias"));
      out.push(vec(`${p}attn_v.bias`, kv, "bias"));
    }
    out.push(mat(`${p}attn_output.weight`, "attn_output", i, s.nEmbd, s.nEmbd));
    out.push(vec(`${p}ffn_norm.weight`, s.nEmbd, "norm"));
    out.push(mat(`${p}ffn_gate.weight`, "ffn_gate", i, s.nEmbd, s.nFf));
    out.push(mat(`${p}ffn_up.weight`, "ffn_up", i, s.nEmbd, s.nFf));
    out.push(mat(`${p}ffn_down.weight`, "ffn_down", i, s.nFf, s.nEmbd));
  }
  return out;
}

/** Parameter count (every tensor element). */
export function parameterCount(s: ModelShape): number {
  return planTensors(s, "f16").reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

/** Bytes of a tensor as stored. */
export function tensorBytes(t: TensorPlan): number {
  return ggmlTensorBytes(t.type, t.shape);
}

/**
 * Weight bytes one decoded token reads: every matrix once, except the token embedding, of which
 * only one row is read — unless it is also the output matrix. KV-cache reads are left out (small at
 * the context lengths benchmarked), so this is the bound's denominator for short contexts.
 */
/** Bytes of the F16 K and V caches (both engines' default) for `nCtx` positions. */
export function kvCacheBytes(s: ModelShape, nCtx: number): number {
  return 2 * 2 * nCtx * s.nLayer * s.nHeadKv * (s.nEmbd / s.nHead);
}

export function decodeBytesPerToken(s: ModelShape, quant: BenchQuant): number {
  let bytes = 0;
  for (const t of planTensors(s, quant)) {
    if (t.name === "token_embd.weight" && !s.tiedOutput) bytes += tensorBytes(t) / t.shape[1]!;
    else bytes += tensorBytes(t);
  }
  return bytes;
}
