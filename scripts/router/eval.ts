/**
 * Evaluates the router: accuracy and confusion matrix on the shared dev set
 * (`<repo>/../shared/router/dev.jsonl`) and on the held-out split of the project's own topic data
 * (routed end to end), then per-request latency p50/p99 over at least 10,000 calls.
 *
 * Usage: npm run eval:router
 */
import { performance } from "node:perf_hooks";
import { DOMAINS, route, type ChatMessage, type Domain } from "../../lib/router/index.js";
import { loadDevSet, loadTopicData, loadValidationSet } from "./dataset.js";

interface Case {
  messages: ChatMessage[];
  expected: Domain;
}

function report(title: string, cases: Case[]): void {
  const matrix = new Map<string, number>();
  const misses: string[] = [];
  let ok = 0;
  for (const c of cases) {
    const d = route(c.messages);
    matrix.set(`${c.expected}>${d.domain}`, (matrix.get(`${c.expected}>${d.domain}`) ?? 0) + 1);
    if (d.domain === c.expected) ok++;
    else {
      const last = c.messages[c.messages.length - 1]?.content;
      const text = typeof last === "string" ? last : JSON.stringify(last);
      misses.push(`  expected ${c.expected}, got ${d.domain} [${d.reasons.join("; ")}]: ${text.slice(0, 100).replace(/\n/g, "\\n")}`);
    }
  }
  console.log(`\n${title}: ${ok}/${cases.length} = ${((ok / cases.length) * 100).toFixed(2)} %`);
  const short = (d: string): string => d.replace("_expert", "").slice(0, 11);
  console.log(`${"expected \\ got".padEnd(16)}${DOMAINS.map((d) => short(d).padStart(12)).join("")}`);
  for (const e of DOMAINS) {
    const row = DOMAINS.map((g) => String(matrix.get(`${e}>${g}`) ?? 0).padStart(12)).join("");
    console.log(`${short(e).padEnd(16)}${row}`);
  }
  if (misses.length > 0) console.log(`misses (${misses.length}):\n${misses.slice(0, Number(process.env.ROUTER_EVAL_MISSES ?? 40)).join("\n")}`);
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const dev: Case[] = loadDevSet().map((r) => ({ messages: r.messages, expected: r.expected }));
const heldOut: Case[] = loadTopicData()
  .filter((e) => e.split === "test")
  .map((e) => ({ messages: [{ role: "user", content: e.text }], expected: e.label }));

const validation: Case[] = loadValidationSet();

report("dev.jsonl (../shared/router)", dev);
report("validation.jsonl (hand-written, all domains, never trained on)", validation);
report("held-out split of data/router (topic classes, routed end to end)", heldOut);

const pool = [...dev, ...validation, ...heldOut].map((c) => c.messages);
const N = Math.max(10_000, pool.length * 5);
for (let i = 0; i < 2000; i++) route(pool[i % pool.length] as ChatMessage[]); // warm-up (JIT)
const times = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  route(pool[i % pool.length] as ChatMessage[]);
  times[i] = performance.now() - t0;
}
times.sort();
console.log(`\nlatency over ${N} calls (${pool.length} distinct requests): p50 ${percentile(times, 0.5).toFixed(4)} ms, p99 ${percentile(times, 0.99).toFixed(4)} ms, max ${(times[N - 1] as number).toFixed(3)} ms`);
