// Token ids and detokenized text must equal llama.cpp's (node-llama-cpp, vocab-only) on the
// committed corpus, for every vocabulary fixture, loading both from the same GGUF file.
import { readFileSync } from "node:fs";
import { getLlama, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Tokenizer } from "../../lib/tokenizer/index.js";
import { VOCABS, vocabGguf } from "../fixtures/tokenizer/vocabs.js";

const corpus = JSON.parse(readFileSync(new URL("../fixtures/tokenizer/corpus.json", import.meta.url), "utf8")) as string[];

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
});

interface Mismatch {
  text: string;
  expected: unknown;
  actual: unknown;
}

describe.each(VOCABS)("%s", (name) => {
  let ours: Tokenizer;
  let ref: LlamaModel;
  beforeAll(async () => {
    const path = await vocabGguf(name);
    ours = await Tokenizer.fromGguf(path);
    ref = await llama.loadModel({ modelPath: path, vocabOnly: true, gpuLayers: 0 });
  });
  afterAll(async () => {
    await ref?.dispose();
  });

  test.each([false, true])("token ids equal llama.cpp's (parseSpecial=%s)", (parseSpecial) => {
    const bad: Mismatch[] = [];
    for (const text of corpus) {
      const expected = Array.from(ref.tokenize(text, parseSpecial));
      const actual = Array.from(ours.tokenize(text, { parseSpecial }));
      if (expected.length !== actual.length || expected.some((t, i) => t !== actual[i])) bad.push({ text, expected, actual });
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(bad.length).toBe(0);
  });

  test.each([false, true])("detokenized text equals llama.cpp's (special=%s)", (special) => {
    const bad: Mismatch[] = [];
    for (const text of corpus) {
      const ids = Array.from(ref.tokenize(text, true));
      const expected = ref.detokenize(ids, special);
      const actual = ours.detokenize(ids, { special });
      if (expected !== actual) bad.push({ text, expected, actual });
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  test("streaming decoder yields whole characters and the concatenated pieces", () => {
    const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
    for (const text of corpus) {
      const ids = ours.tokenize(text, { parseSpecial: true });
      const dec = ours.createDecoder({ special: true });
      let streamed = "";
      for (const id of ids) {
        const chunk = dec.push(id);
        // A chunk never ends inside a surrogate pair or with a replacement for a split character.
        expect(/[\ud800-\udbff]$/.test(chunk)).toBe(false);
        streamed += chunk;
      }
      streamed += dec.flush();
      const pieces = Buffer.concat(Array.from(ids, (id) => ours.piece(id, true)));
      expect(streamed).toBe(utf8.decode(pieces));
    }
  });
});
