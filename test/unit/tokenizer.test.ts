// The TypeScript Tokenizer API on small hand-made vocabularies: special tokens, BOS/EOS, attributes,
// pieces, streaming and typed errors. (Real vocabularies: tokenizer-llamacpp.test.ts.)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { GgufFormatError, InvalidArgumentError, IoError, TokenizerError } from "../../lib/errors.js";
import { GgufWriter } from "../../lib/gguf/index.js";
import { TokenAttr, Tokenizer, type TokenizerData } from "../../lib/tokenizer/index.js";

const hex = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;

/** <unk> <s> </s> <0x00>..<0xFF>, then pieces (scores favour lower ids), then a user-defined token. */
function spm(pieces: string[], extra: Partial<TokenizerData> = {}): TokenizerData {
  const tokens = ["<unk>", "<s>", "</s>", ...Array.from({ length: 256 }, (_, b) => hex(b)), ...pieces, "<tool>"];
  const types = Int32Array.from(tokens, (t, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : t === "<tool>" ? 4 : 1));
  const scores = Float32Array.from(tokens, (_, i) => (i >= 259 ? -i : 0));
  return { model: "llama", tokens, tokenTypes: types, scores, ...extra };
}

const PIECES = ["▁hello", "hello", "▁", "h", "e", "l", "o", "he", "ll", "llo", "hel"];
const id = (t: Tokenizer, text: string) => {
  for (let i = 0; i < t.size; i++) if (t.tokenText(i) === text) return i;
  throw new Error(`no token ${text}`);
};

describe("Tokenizer", () => {
  test("SPM defaults: BOS added, space prefix, control text only parsed on request", () => {
    const t = Tokenizer.fromData(spm(PIECES));
    expect([t.kind, t.bos, t.eos, t.addBos, t.addEos]).toEqual(["spm", 1, 2, true, false]);
    const hello = id(t, "▁hello");
    expect(Array.from(t.tokenize("hello", { addSpecial: true }))).toEqual([1, hello]);
    expect(Array.from(t.tokenize("hello"))).toEqual([hello]);
    expect(Array.from(t.tokenize("</s>", { parseSpecial: true }))).toEqual([2]);
    expect(Array.from(t.tokenize("</s>"))).not.toContain(2);
    // User-defined tokens are matched even without parseSpecial (llama.cpp behaviour).
    expect(Array.from(t.tokenize("hello<tool>"))).toEqual([hello, id(t, "<tool>")]);
    expect(t.tokenize("")).toHaveLength(0);
  });

  test("add_bos / add_eos / add_space_prefix from the data", () => {
    const t = Tokenizer.fromData(spm(PIECES, { addBos: false, addEos: true, addSpacePrefix: false }));
    expect(Array.from(t.tokenize("hello", { addSpecial: true }))).toEqual([id(t, "hello"), 2]);
    expect(t.detokenize(t.tokenize("hello", { addSpecial: true }), { removeSpecial: true })).toBe("hello");
  });

  test("detokenize: leading space, control tokens, byte fallback", () => {
    const t = Tokenizer.fromData(spm(PIECES));
    const ids = t.tokenize("hello é", { addSpecial: true });
    expect(ids).toContain(3 + 0xc3); // "é" is not a piece: UTF-8 bytes
    expect(t.detokenize(ids)).toBe(" hello é"); // BOS takes the leading-space removal
    // llama.cpp keeps the space when it drops the BOS (remove_special).
    expect(t.detokenize(ids, { removeSpecial: true })).toBe(" hello é");
    expect(t.detokenize(ids.subarray(1))).toBe("hello é");
    expect(t.detokenize(ids, { special: true })).toBe("<s> hello é");
    expect(Array.from(t.piece(3 + 0xc3))).toEqual([0xc3]);
    expect(t.piece(1).length).toBe(0);
    expect(new TextDecoder().decode(t.piece(1, true))).toBe("<s>");
  });

  test("token attributes and end-of-generation", () => {
    const t = Tokenizer.fromData(spm(PIECES));
    expect(t.tokenAttributes(0) & TokenAttr.unknown).toBeTruthy();
    expect(t.tokenAttributes(1) & TokenAttr.control).toBeTruthy();
    expect(t.tokenAttributes(5) & TokenAttr.byte).toBeTruthy();
    expect(t.tokenAttributes(id(t, "<tool>")) & TokenAttr.userDefined).toBeTruthy();
    expect(t.tokenAttributes(id(t, "he")) & TokenAttr.normal).toBeTruthy();
    expect(t.isEndOfGeneration(2)).toBe(true);
    expect(t.isEndOfGeneration(1)).toBe(false);
    const eog = Array.from({ length: t.size }, (_, i) => i).filter((i) => t.isEndOfGeneration(i));
    expect(t.endOfGenerationTokens).toEqual(eog);
  });

  test("stream decoder returns whole characters only", () => {
    const t = Tokenizer.fromData(spm(PIECES));
    const d = t.createDecoder();
    const euro = [0xe2, 0x82, 0xac].map((b) => 3 + b);
    expect(euro.map((i) => d.push(i))).toEqual(["", "", "€"]);
    expect(d.push(id(t, "▁hello"))).toBe(" hello");
    expect(d.push(3 + 0xf0)).toBe("");
    expect(d.flush()).toBe("\ufffd");
    expect(t.createDecoder({ special: true }).push(1)).toBe("<s>");
  });

  test("byte-level BPE from data", () => {
    const t = Tokenizer.fromData({
      model: "gpt2",
      pre: "llama-bpe",
      tokens: ["h", "i", "Ġ", "hi", "Ġh", "Ġhi", "<|eot_id|>"],
      merges: ["h i", "Ġ h", "Ġh i"],
      tokenTypes: Int32Array.from([1, 1, 1, 1, 1, 1, 3]),
      bosId: 6,
    });
    expect(t.kind).toBe("bpe");
    expect(t.addBos).toBe(true); // llama-bpe's default
    expect(Array.from(t.tokenize("hi hi<|eot_id|>", { parseSpecial: true }))).toEqual([3, 5, 6]);
    expect(t.eot).toBe(6);
    expect(t.detokenize([3, 5])).toBe("hi hi");
  });

  test("bad input gets typed errors", async () => {
    expect(() => Tokenizer.fromData({ model: "bert", tokens: ["a"] })).toThrow(TokenizerError);
    expect(() => Tokenizer.fromData({ model: "gpt2", pre: "nope", tokens: ["a"], merges: ["a a"] })).toThrow(/unsupported tokenizer.ggml.pre 'nope'/);
    expect(() => Tokenizer.fromData({ model: "llama", tokens: [] })).toThrow(TokenizerError);
    expect(() => Tokenizer.fromData({ model: "llama", tokens: ["a"], scores: new Float64Array(1) as unknown as Float32Array })).toThrow(InvalidArgumentError);
    const t = Tokenizer.fromData(spm(PIECES));
    expect(() => t.tokenize(42 as unknown as string)).toThrow(InvalidArgumentError);
    expect(() => t.detokenize([1, 1_000_000])).toThrow(InvalidArgumentError);
    expect(() => t.piece(-1)).toThrow(InvalidArgumentError);
    await expect(Tokenizer.fromGguf("/nonexistent/x.gguf")).rejects.toBeInstanceOf(IoError);
    const dir = mkdtempSync(join(tmpdir(), "capibara-tok-"));
    writeFileSync(join(dir, "bad.gguf"), "not a gguf file at all");
    await expect(Tokenizer.fromGguf(join(dir, "bad.gguf"))).rejects.toBeInstanceOf(GgufFormatError);
    const noTok = new GgufWriter().set("general.architecture", "string", "llama");
    await noTok.write(join(dir, "notok.gguf"));
    await expect(Tokenizer.fromGguf(join(dir, "notok.gguf"))).rejects.toMatchObject({ code: "GGUF_MISSING_KEY" });
  });

  test("fromGguf reads the tokenizer keys written by the GGUF writer", async () => {
    const d = spm(PIECES, { addBos: false });
    const w = new GgufWriter();
    w.set("general.architecture", "string", "llama");
    w.set("tokenizer.ggml.model", "string", "llama");
    w.setArray("tokenizer.ggml.tokens", "string", d.tokens);
    w.setArray("tokenizer.ggml.scores", "f32", d.scores!);
    w.setArray("tokenizer.ggml.token_type", "i32", d.tokenTypes!);
    w.set("tokenizer.ggml.add_bos_token", "bool", false);
    const path = join(mkdtempSync(join(tmpdir(), "capibara-tok-")), "v.gguf");
    await w.write(path);
    const t = await Tokenizer.fromGguf(path);
    expect(t.size).toBe(d.tokens.length);
    expect(Array.from(t.tokenize("hello", { addSpecial: true }))).toEqual(Array.from(Tokenizer.fromData(d).tokenize("hello", { addSpecial: true })));
  });
});
