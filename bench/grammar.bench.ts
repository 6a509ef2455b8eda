/**
 * Grammar engine cost: `npm run bench:grammar` (`-- --json` for JSON lines, `-- --no-decode` to skip
 * the model part).
 *
 * 1. Mask cost per token, one core: every valid instance of the schema set
 *    (test/fixtures/grammar/schemas.ts) is tokenized with the 151k qwen2 vocabulary and the 262k
 *    gemma3 one, then walked token by token with a fresh matcher per document (cold per-generation
 *    caches, as a new generation has; the vocabulary's shared loop indexes are built in a first,
 *    unmeasured round, as a serving model builds them once). Per token, in thread CPU time measured
 *    natively (the machine may be shared): the full allowed-token mask + accept (what a rejected
 *    sample costs), and the decode-loop path when the sample is allowed (check + accept +
 *    forced-text lookup).
 * 2. Decode with a schema vs without on the TinyLlama 1.1B shape (random Q4_0 weights, 32k SPM
 *    vocabulary): tokens/s from the generation stats and CPU time per token, paired rounds in
 *    alternating order, median ratios. Random weights mean the sample is rejected at most steps,
 *    so the full mask is computed almost every token.
 */
import { loadDemoVocab } from "../lib/demo/index.js";
import { loadModel } from "../lib/engine/index.js";
import { GrammarCache, GrammarMatcher } from "../lib/grammar/compiled.js";
import { jsonSchemaToGbnf } from "../lib/grammar/json-schema.js";
import { Tokenizer } from "../lib/tokenizer/index.js";
import { SCHEMAS, compact } from "../test/fixtures/grammar/schemas.js";
import { loadVocab } from "../test/fixtures/tokenizer/vocabs.js";
import { machineInfo } from "./lib.js";
import { ensureModel } from "./llm/build.js";
import { shapeById } from "./llm/shapes.js";

const json = process.argv.includes("--json");
const decode = !process.argv.includes("--no-decode");
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const out = (o: Record<string, unknown>, line: string) => console.log(json ? JSON.stringify(o) : line);
const us = (ns: number) => ns / 1000;

function summary(ns: number[]) {
  const s = [...ns].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, meanUs: us(s.reduce((a, b) => a + b, 0) / s.length), p50Us: us(q(0.5)), p99Us: us(q(0.99)), maxUs: us(s[s.length - 1]!) };
}

async function maskCost(label: string, tok: Tokenizer) {
  const cache = new GrammarCache(tok);
  const full: number[] = [], hook: number[] = [];
  for (let r = -1; r < REPEATS; r++)
    for (const c of SCHEMAS) {
      if (r < 0) {  // warm-up round: vocabulary-level indexes only
        const g = await cache.get(jsonSchemaToGbnf(c.schema));
        for (const v of c.valid) new GrammarMatcher(g, tok.size).timedWalk(Int32Array.from(tok.tokenize(compact(v), { addSpecial: false, parseSpecial: false })), true);
        continue;
      }
      const g = await cache.get(jsonSchemaToGbnf(c.schema));
      for (const v of c.valid) {
        const tokens = Int32Array.from(tok.tokenize(compact(v), { addSpecial: false, parseSpecial: false }));
        full.push(...new GrammarMatcher(g, tok.size).timedWalk(tokens, true));
        hook.push(...new GrammarMatcher(g, tok.size).timedWalk(tokens, false));
      }
    }
  const f = summary(full), h = summary(hook);
  out({ bench: "grammar-mask", vocab: label, vocabSize: tok.size, schemas: SCHEMAS.length, path: "full mask", ...f },
    `${label.padEnd(22)} full mask + accept   tokens ${f.n}  mean ${f.meanUs.toFixed(1)} µs  p50 ${f.p50Us.toFixed(1)} µs  p99 ${f.p99Us.toFixed(1)} µs  max ${f.maxUs.toFixed(0)} µs`);
  out({ bench: "grammar-mask", vocab: label, vocabSize: tok.size, schemas: SCHEMAS.length, path: "sample allowed", ...h },
    `${label.padEnd(22)} check + accept       tokens ${h.n}  mean ${h.meanUs.toFixed(1)} µs  p50 ${h.p50Us.toFixed(1)} µs  p99 ${h.p99Us.toFixed(1)} µs  max ${h.maxUs.toFixed(0)} µs`);
}

async function decodeRatio() {
  const path = await ensureModel(shapeById("tinyllama"), "q4_0", (m) => console.error(m));
  const model = await loadModel(path, { threads: 2, contextSize: 512 });
  const schema = { type: "array", items: { type: "object", properties: { name: { type: "string" }, score: { type: "integer" } }, required: ["name", "score"], additionalProperties: false } };
  // Paired rounds, order alternating, so load drifting on a shared machine hits both sides alike;
  // also process CPU time per token, which other processes' load does not inflate.
  const wall: number[] = [], cpu: number[] = [], plainRates: number[] = [], schemaRates: number[] = [];
  const run = async (mode: "plain" | "schema") => {
    const c0 = process.cpuUsage();
    const gen = model.generate("Scores:", { maxTokens: 48, temperature: 0, ignoreEos: true, ...(mode === "schema" ? { jsonSchema: schema } : {}) });
    for await (const _ of gen) void _;
    const st = await gen.stats;
    const c = process.cpuUsage(c0);
    return { rate: st.decodeTokensPerSecond, cpuPerToken: (c.user + c.system) / st.generatedTokens };
  };
  await run("plain");  // warm-up
  await run("schema");
  for (let r = 0; r < ROUNDS; r++) {
    const [a, b] = r % 2 ? [await run("schema"), await run("plain")] : [await run("plain"), await run("schema")];
    const [plain, constrained] = r % 2 ? [b, a] : [a, b];
    wall.push(constrained.rate / plain.rate);
    cpu.push(plain.cpuPerToken / constrained.cpuPerToken);
    plainRates.push(plain.rate);
    schemaRates.push(constrained.rate);
  }
  await model.close();
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
  out({ bench: "grammar-decode", model: "tinyllama q4_0 (random weights)", threads: 2, rounds: ROUNDS, plainTokPerS: med(plainRates), schemaTokPerS: med(schemaRates), wallRatio: med(wall), cpuRatio: med(cpu), wallRatios: wall },
    `TinyLlama shape q4_0, 2 threads, ${ROUNDS} paired rounds: decode ${med(plainRates).toFixed(1)} t/s plain, ${med(schemaRates).toFixed(1)} t/s with a schema (medians); ` +
      `with/without ratio ${med(wall).toFixed(3)} by wall time, ${med(cpu).toFixed(3)} by CPU time per token`);
}

const m = machineInfo();
out({ bench: "machine", ...m }, `# ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, node ${m.node}, commit ${m.commit}; load ${(await import("node:os")).loadavg()[0]!.toFixed(1)}`);
await maskCost("qwen2 (151,669)", Tokenizer.fromData(loadDemoVocab("qwen2-bpe")));
await maskCost("gemma3 (262,144)", Tokenizer.fromData(await loadVocab("gemma3")));
if (decode) await decodeRatio();
