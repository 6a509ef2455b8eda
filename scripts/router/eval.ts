/**
 * Evaluates the router. The main metric is the hand-written sets, never trained on
 * (data/router/eval/requests.jsonl, conversations.jsonl, conversations-later.jsonl); then the shared dev sets
 * (`<repo>/../shared/router/dev.jsonl` and `dev-multiturn.jsonl`) and the held-out split of the
 * project's own topic data (routed end to end by a model retrained without it); then latency:
 * p50/p99 per decision (best of 5 runs per request) and a 10,000-turn conversation.
 *
 * Usage: npm run eval:router   (ROUTER_EVAL_MISSES=n lists up to n misses per set)
 */
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { DOMAINS, Router, route, type ChatMessage, type Domain } from "../../lib/router/index.js";
import { loadDevSet, loadEvalSet, loadTopicData, type DevRow } from "./dataset.js";
import { quantize, trainTopicModel } from "./trainer.js";

type Case = DevRow;

function report(title: string, cases: Case[], router: Pick<Router, "route"> = { route }): void {
  const matrix = new Map<string, number>();
  const misses: string[] = [];
  let ok = 0;
  for (const c of cases) {
    const d = router.route(c.messages);
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

// The shared dev sets live outside the repository; without them the other sets are still evaluated.
function shared(file: "dev.jsonl" | "dev-multiturn.jsonl"): Case[] {
  try {
    return loadDevSet(file);
  } catch (e) {
    console.error(`skipping ${file}: ${(e as Error).message}`);
    return [];
  }
}
const requests = loadEvalSet("requests");
const conversations = loadEvalSet("conversations");
const later = loadEvalSet("conversations-later");
const dev = shared("dev.jsonl");
const devMulti = shared("dev-multiturn.jsonl");
const topicData = loadTopicData();
const heldOut: Case[] = topicData
  .filter((e) => e.split === "test")
  .map((e) => ({ messages: [{ role: "user", content: e.text }], expected: e.label }));
// The shipped model was trained on every row; the held-out figure comes from the same procedure
// run on the training split only (deterministic, a few seconds).
const trainOnly = new Router({}, quantize(trainTopicModel(topicData.filter((e) => e.split === "train"))).dequantized);

console.log("== main metric: hand-written sets, never trained on ==");
report("data/router/eval/requests.jsonl (single requests, all domains)", requests);
report("data/router/eval/conversations.jsonl (conversations: follow-ups and topic switches)", conversations);
report("data/router/eval/conversations-later.jsonl (conversations written after the last tuning, never tuned on)", later);
console.log("\n== shared dev sets ==");
if (dev.length > 0) report("dev.jsonl (../shared/router)", dev);
if (devMulti.length > 0) report("dev-multiturn.jsonl (../shared/router)", devMulti);
console.log("\n== held-out split of the training data ==");
report("held-out split of data/router/train (topic classes, routed end to end by a model trained without it)", heldOut, trainOnly);

// Latency: every request is routed RUNS times; the per-request best removes preemption by other
// processes on a shared machine, the raw figures keep it.
const RUNS = 5;
const pool = [...requests, ...conversations, ...later, ...dev, ...devMulti, ...heldOut].map((c) => c.messages);
for (let i = 0; i < 3000; i++) route(pool[i % pool.length] as ChatMessage[]); // warm-up (JIT)
const all = new Float64Array(RUNS * pool.length);
const best = new Float64Array(pool.length).fill(Number.POSITIVE_INFINITY);
for (let run = 0; run < RUNS; run++) {
  for (let i = 0; i < pool.length; i++) {
    const t0 = performance.now();
    route(pool[i] as ChatMessage[]);
    const ms = performance.now() - t0;
    all[run * pool.length + i] = ms;
    if (ms < (best[i] as number)) best[i] = ms;
  }
}
all.sort();
best.sort();
const fmt = (x: number): string => `${x.toFixed(4)} ms`;
console.log(`\nlatency over ${all.length} calls (${pool.length} distinct requests x ${RUNS}), load average ${loadavg()[0]?.toFixed(2)} on ${cpus().length} CPUs:`);
console.log(`  raw:                   p50 ${fmt(percentile(all, 0.5))}, p99 ${fmt(percentile(all, 0.99))}, max ${fmt(all[all.length - 1] as number)}`);
console.log(`  best of ${RUNS} per request:  p50 ${fmt(percentile(best, 0.5))}, p99 ${fmt(percentile(best, 0.99))}, max ${fmt(best[best.length - 1] as number)}`);

// A 10,000-turn conversation of follow-ups (alternating user and assistant turns), best of 5:
// with the default threshold it is long; with a huge one the follow-up rule looks back through it.
const turns: ChatMessage[] = Array.from({ length: 10_000 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: i % 2 ? "Sure, here is more." : "and then?" }));
for (const longPromptTokens of [undefined, 1e9]) {
  let ms = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    route(turns, { longPromptTokens });
    ms = Math.min(ms, performance.now() - t0);
  }
  const d = route(turns, { longPromptTokens });
  console.log(`  10,000-turn conversation, threshold ${longPromptTokens ?? "default"}: ${fmt(ms)} (best of ${RUNS}) -> ${d.domain} [${d.reasons.join("; ")}]`);
}
