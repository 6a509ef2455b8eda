/**
 * A small but valid SentencePiece-style ("llama" tokenizer model) vocabulary for generated test
 * models: <unk>, <s>, </s>, the 256 byte-fallback tokens <0x00>..<0xFF>, "▁" and the letters, then
 * every prefix of "▁word" for common words (so SentencePiece's pairwise merges can build whole
 * words), up to the requested size. llama.cpp accepts it (it needs the <0x0A> newline byte token)
 * and any other text tokenizes through byte fallback.
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import type { GgufWriter } from "../gguf/writer.js";

const WORDS = (
  "the of and to in is was for on that with as by at from it his an be this are which or had not " +
  "but were her have one all their there been has when who will more no if out so said what up its " +
  "about into than them can only other new some could time these two may then do first any my now " +
  "such like our over man me even most made after also did many before must through back years where " +
  "much your way well down should because each just those people how too little state good very make " +
  "world still own see men work long get here between both life being under never day same another " +
  "know while last might us great old year off come since against go came right used take three"
).split(" ");
const PIECES = ["ing", "ed", "er", "es", "ly", "s", "a", "e", "i", "o", "u", "t", "n", "r", "l", "d", "h", "c", "m", "p", ",", ".", "!", "?", "'", "-"];

/** Token type ids of llama.cpp's vocabulary (tokenizer.ggml.token_type). */
const TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

/** A synthetic SentencePiece vocabulary. */
export interface SpmVocab {
  /** Token texts by id. */
  tokens: string[];
  /** SentencePiece scores. */
  scores: number[];
  /** Token types. */
  types: number[];
  /** Writes tokenizer.ggml.* keys. */
  apply(w: GgufWriter): void;
}

/** A vocabulary of exactly `size` tokens (size >= 259 + a few pieces). */
export function spmVocab(size: number): SpmVocab {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TYPE.unknown, TYPE.control, TYPE.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TYPE.byte);
  }
  const seen = new Set(tokens);
  const letters = "abcdefghijklmnopqrstuvwxyz".split("");
  const prefixes = WORDS.flatMap((w) => Array.from({ length: w.length }, (_, i) => `▁${w.slice(0, i + 1)}`));
  const candidates = ["▁", ...letters, ...PIECES, ...prefixes];
  for (const c of candidates) {
    if (tokens.length >= size) break;
    if (seen.has(c)) continue;
    seen.add(c);
    tokens.push(c);
    types.push(TYPE.normal);
  }
  if (tokens.length < size) throw new InvalidArgumentError("INVALID_ARGUMENT", `spmVocab: at most ${tokens.length} tokens available, ${size} requested`);
  // Higher score = merged first; longer pieces win, like a trained SentencePiece model.
  const scores = tokens.map((t, i) => (types[i] === TYPE.normal ? -i / size + t.length : 0));
  return {
    tokens,
    scores,
    types,
    apply(w) {
      w.setString("tokenizer.ggml.model", "llama");
      w.setString("tokenizer.ggml.pre", "default");
      w.setArray("tokenizer.ggml.tokens", "string", tokens);
      w.setArray("tokenizer.ggml.scores", "f32", scores);
      w.setArray("tokenizer.ggml.token_type", "i32", types);
      w.setU32("tokenizer.ggml.unknown_token_id", 0);
      w.setU32("tokenizer.ggml.bos_token_id", 1);
      w.setU32("tokenizer.ggml.eos_token_id", 2);
      w.setBool("tokenizer.ggml.add_bos_token", true);
      w.setBool("tokenizer.ggml.add_eos_token", false);
    },
  };
}
