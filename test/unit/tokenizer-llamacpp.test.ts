// Token ids and detokenized text must equal llama.cpp's (node-llama-cpp, vocab-only) on the
// committed corpus, for every vocabulary fixture, both loaded from the same GGUF file. llama.cpp's
// results are computed in the setup step and cached under .cache/tokenizer/.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { Tokenizer } from "../../lib/tokenizer/index.js";
import { llamaReference, VOCABS, vocabGguf, type LlamaReference } from "../fixtures/tokenizer/vocabs.js";

const corpus = JSON.parse(readFileSync(new URL("../fixtures/tokenizer/corpus.json", import.meta.url), "utf8")) as string[];

interface Mismatch {
  text: string;
  expected: unknown;
  actual: unknown;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);

describe.each(VOCABS)("%s", (name) => {
  let ours: Tokenizer;
  let ref: LlamaReference;
  beforeAll(async () => {
    const path = await vocabGguf(name);
    ours = await Tokenizer.fromGguf(path);
    ref = await llamaReference(name, path, corpus);
  });

  test("corpus is large and varied", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
  });

  test.each([0, 1])("token ids equal llama.cpp's (parseSpecial=%i)", (parseSpecial) => {
    const bad: Mismatch[] = [];
    corpus.forEach((text, i) => {
      const expected = ref.ids[parseSpecial]![i]!;
      const actual = ours.tokenize(text, { parseSpecial: parseSpecial === 1 });
      if (!same(expected, actual)) bad.push({ text, expected, actual: Array.from(actual) });
    });
    expect(bad.slice(0, 5)).toEqual([]);
    expect(bad.length).toBe(0);
  });

  test.each([0, 1])("detokenized text equals llama.cpp's (special=%i)", (special) => {
    const bad: Mismatch[] = [];
    corpus.forEach((text, i) => {
      const expected = ref.text[special]![i]!;
      const actual = ours.detokenize(ref.ids[1]![i]!, { special: special === 1 });
      if (expected !== actual) bad.push({ text, expected, actual });
    });
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
        // A chunk never ends inside a surrogate pair.
        expect(/[\ud800-\udbff]$/.test(chunk)).toBe(false);
        streamed += chunk;
      }
      streamed += dec.flush();
      const pieces = Buffer.concat(Array.from(ids, (id) => ours.piece(id, true)));
      expect(streamed).toBe(utf8.decode(pieces));
    }
  });
});

// Every code point of planes 0-3 and the tag/variation-selector block (surrogates excluded), each
// between a letter and a digit: any difference between our generated category tables and
// llama.cpp's would change the qwen2 pre-tokenizer's split and so the ids.
describe("Unicode tables", () => {
  const strings: string[] = [];
  const ranges: [number, number][] = [
    [0x80, 0x32400],
    [0xe0000, 0xe01f0],
  ];
  for (const [lo, hi] of ranges)
    for (let base = lo; base < hi; base += 16) {
      let s = "";
      for (let c = base; c < base + 16; c++) if (c < 0xd800 || c > 0xdfff) s += `a${String.fromCodePoint(c)}1 `;
      if (s) strings.push(s);
    }

  test("agree with llama.cpp's on every code point (qwen2 pre-tokenizer)", async () => {
    const path = await vocabGguf("qwen2");
    const ours = await Tokenizer.fromGguf(path);
    const ref = await llamaReference("qwen2", path, strings, "codepoints");
    const bad = strings.filter((s, i) => !same(ref.ids[0]![i]!, ours.tokenize(s)));
    expect(bad.slice(0, 3).map((s) => s.codePointAt(1)!.toString(16))).toEqual([]);
  }, 180_000);
});
