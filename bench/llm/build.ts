/**
 * Random-weight GGUF files of real model shapes, built once and cached under `.cache/bench/`.
 * Values come from a small pool of quantised rows per (type, row length), tiled at a different
 * offset for every tensor, then made distinct row by row (../distinct.ts): quantising a billion
 * elements (Q4_K runs at a few M elements/s) would take hours, while the benchmark only needs
 * realistic sizes, types and magnitudes, and no two pages alike.
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "../../lib/errors.js";
import { GgufWriter, type GgmlTypeName } from "../../lib/gguf/index.js";
import { quantize, type TensorType } from "../../lib/kernels.js";
import type { TokenizerData } from "../../lib/tokenizer/index.js";
import { loadVocab } from "../../test/fixtures/tokenizer/vocabs.js";
import { distinctRows } from "../distinct.js";
import { FILE_TYPE_IDS, planTensors, type BenchQuant, type ModelShape, type TensorPlan } from "./shapes.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where built models are cached (gitignored). */
export const BENCH_CACHE_DIR = join(root, ".cache/bench");
/** Bumped whenever the generated content changes, so stale caches are not reused. */
const FORMAT_VERSION = 2;
/** Distinct rows per (type, row length) pool. */
const POOL_ROWS = 64;
/** GGUF token type of padding entries (unused). */
const TOKEN_TYPE_UNUSED = 5;

/** Path of the cached file of a shape and quantisation. */
export function modelPath(shape: ModelShape, quant: BenchQuant): string {
  return join(BENCH_CACHE_DIR, `${shape.id}-${quant}.v${FORMAT_VERSION}.gguf`);
}

/** Seeded uniform floats in [-amp, amp] (xorshift32). */
function uniformFloats(n: number, amp: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 0x100000000 - 0.5) * 2 * amp;
  }
  return out;
}

/** Quantised row pools, keyed by `type:rowLength`. */
class RowPools {
  private readonly pools = new Map<string, Uint8Array>();

  /** `POOL_ROWS` rows of `rowLen` uniform values of unit output variance, encoded as `type`. */
  pool(type: GgmlTypeName, rowLen: number): Uint8Array {
    const key = `${type}:${rowLen}`;
    let p = this.pools.get(key);
    if (!p) {
      const amp = Math.sqrt(3 / rowLen);
      p = quantize(type as TensorType, uniformFloats(POOL_ROWS * rowLen, amp, rowLen * 31 + type.length));
      this.pools.set(key, p);
    }
    return p;
  }

  /** A matrix of `rows` rows tiled from the pool, starting at pool row `offset`. */
  matrix(type: GgmlTypeName, rowLen: number, rows: number, offset: number): Uint8Array {
    const pool = this.pool(type, rowLen);
    const rowBytes = pool.length / POOL_ROWS;
    const out = new Uint8Array(rows * rowBytes);
    for (let r = 0; r < rows; ) {
      const start = (r + offset) % POOL_ROWS;
      const n = Math.min(POOL_ROWS - start, rows - r);
      out.set(pool.subarray(start * rowBytes, (start + n) * rowBytes), r * rowBytes);
      r += n;
    }
    return distinctRows(type, out, offset * 2654435761 + rowLen);
  }
}

/** Data of a tensor: norms are 1, biases small, weights from the pools. */
function tensorData(t: TensorPlan, index: number, pools: RowPools): Float32Array | Uint8Array {
  const n = t.shape[0]!;
  if (t.role === "norm") return new Float32Array(n).fill(1);
  if (t.role === "bias") return uniformFloats(n, 0.02, index + 1);
  return pools.matrix(t.type, n, t.shape[1]!, (index * 7919) % POOL_ROWS);
}

/** The vocabulary of a shape, padded with unused entries up to `nVocab` (as convert_hf_to_gguf does). */
async function shapeVocab(shape: ModelShape): Promise<TokenizerData> {
  const v = await loadVocab(shape.vocab);
  if (v.tokens.length > shape.nVocab)
    throw new InvalidArgumentError("INVALID_ARGUMENT", `${shape.vocab} vocabulary has ${v.tokens.length} tokens, more than ${shape.id}'s ${shape.nVocab}`);
  if (v.tokens.length === shape.nVocab) return v;
  const tokens = [...v.tokens];
  const types = new Int32Array(shape.nVocab).fill(TOKEN_TYPE_UNUSED);
  if (v.tokenTypes) types.set(v.tokenTypes);
  for (let i = v.tokens.length; i < shape.nVocab; i++) tokens.push(`[PAD${i}]`);
  const scores = v.scores ? new Float32Array(shape.nVocab) : undefined;
  if (scores && v.scores) scores.set(v.scores);
  return { ...v, tokens, tokenTypes: types, ...(scores ? { scores } : {}) };
}

/** Writes the `tokenizer.ggml.*` keys of a vocabulary. */
function setTokenizer(w: GgufWriter, d: TokenizerData): void {
  w.setString("tokenizer.ggml.model", d.model);
  if (d.pre) w.setString("tokenizer.ggml.pre", d.pre);
  w.setArray("tokenizer.ggml.tokens", "string", d.tokens);
  if (d.scores) w.setArray("tokenizer.ggml.scores", "f32", d.scores);
  if (d.tokenTypes) w.setArray("tokenizer.ggml.token_type", "i32", d.tokenTypes);
  if (d.merges) w.setArray("tokenizer.ggml.merges", "string", d.merges);
  const ids = { bosId: "bos", eosId: "eos", unkId: "unknown", padId: "padding" } as const;
  for (const [k, key] of Object.entries(ids)) {
    const id = d[k as keyof typeof ids];
    if (typeof id === "number") w.setU32(`tokenizer.ggml.${key}_token_id`, id);
  }
  if (d.addBos !== undefined) w.setBool("tokenizer.ggml.add_bos_token", d.addBos);
  if (d.addEos !== undefined) w.setBool("tokenizer.ggml.add_eos_token", d.addEos);
  if (d.addSpacePrefix !== undefined) w.setBool("tokenizer.ggml.add_space_prefix", d.addSpacePrefix);
}

/** Writes a model file (no caching; see {@link ensureModel}). */
export async function writeModel(shape: ModelShape, quant: BenchQuant, path: string): Promise<void> {
  const w = new GgufWriter();
  const a = shape.arch;
  w.setString("general.architecture", a);
  w.setString("general.name", `${shape.label} (random weights)`);
  w.setU32("general.file_type", FILE_TYPE_IDS[quant]);
  w.setU32(`${a}.context_length`, shape.nCtx);
  w.setU32(`${a}.embedding_length`, shape.nEmbd);
  w.setU32(`${a}.block_count`, shape.nLayer);
  w.setU32(`${a}.feed_forward_length`, shape.nFf);
  w.setU32(`${a}.attention.head_count`, shape.nHead);
  w.setU32(`${a}.attention.head_count_kv`, shape.nHeadKv);
  w.setF32(`${a}.attention.layer_norm_rms_epsilon`, shape.normEps);
  w.setF32(`${a}.rope.freq_base`, shape.ropeFreqBase);
  w.setU32(`${a}.rope.dimension_count`, shape.nEmbd / shape.nHead);
  w.setU32(`${a}.vocab_size`, shape.nVocab);
  setTokenizer(w, await shapeVocab(shape));
  const pools = new RowPools();
  planTensors(shape, quant).forEach((t, i) => {
    w.addTensor(t.name, { type: t.type, shape: t.shape, data: () => tensorData(t, i, pools) });
  });
  mkdirSync(dirname(path), { recursive: true });
  await w.write(path);
}

/** Path of the model file, built first when it is not cached. */
export async function ensureModel(shape: ModelShape, quant: BenchQuant, log: (msg: string) => void = () => undefined): Promise<string> {
  const path = modelPath(shape, quant);
  if (existsSync(path)) return path;
  const t0 = performance.now();
  log(`building ${path} ...`);
  await writeModel(shape, quant, path);
  log(`built ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return path;
}
