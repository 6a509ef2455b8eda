/**
 * Model shapes of the LLM benchmark and the tensor types each quantisation gives them, following
 * llama.cpp's `llama_tensor_get_type` for the file types benchmarked (Q8_0, Q4_0, Q4_K_M, F16).
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
export type BenchQuant = "q8_0" | "q4_0" | "q4_K_M" | "f16";
export const BENCH_QUANTS: readonly BenchQuant[] = ["q8_0", "q4_0", "q4_K_M", "f16"];

/** llama.cpp `llama_ftype` ids written as `general.file_type`. */
export const FILE_TYPE_IDS: Readonly<Record<BenchQuant, number>> = { f16: 1, q4_0: 2, q8_0: 7, q4_K_M: 15 };

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

/**
 * Type of a 2-D weight under a file type, as llama.cpp's quantiser picks it:
 * - the output matrix (or the token embedding when it doubles as output) is Q6_K for every
 *   quantised type below Q8_0;
 * - Q4_K_M: Q4_K by default, Q6_K for `attn_v` and `ffn_down` in the layers {@link useMoreBits}
 *   selects.
 */
export function weightType(quant: BenchQuant, kind: string, layer: number, nLayer: number, isOutput: boolean): GgmlTypeName {
  if (quant === "f16") return "f16";
  if (quant === "q8_0") return "q8_0";
  if (isOutput) return "q6_K";
  if (quant === "q4_0") return "q4_0";
  if ((kind === "attn_v" || kind === "ffn_down") && useMoreBits(layer, nLayer)) return "q6_K";
  return "q4_K";
}

/** Every tensor of a shape under a file type, in llama.cpp's naming. */
export function planTensors(s: ModelShape, quant: BenchQuant): TensorPlan[] {
  const kv = (s.nEmbd / s.nHead) * s.nHeadKv;
  const mat = (name: string, kind: string, layer: number, rowLen: number, rows: number, isOutput = false): TensorPlan => ({
    name,
    type: weightType(quant, kind, layer, s.nLayer, isOutput),
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
