// Single-stream decode of two builds of this repo, side by side: `node bench/decode-compare.mjs
// <gguf> <repoRootA> <repoRootB> [threads] [rounds]`. Each round runs A then B, each in its own child
// process loading that root's dist/ (so each build uses its own addon), 128 greedy tokens twice after
// a warm-up, timed by the runner's own decode clock. Prints every figure and each build's median.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const [, , model, a, b, threads = "2", rounds = "3"] = process.argv;
if (process.argv[2] === "--child") {
  const [, , , root, path, t] = process.argv;
  const { loadModel } = await import(`${root}/dist/engine/index.js`);
  const m = await loadModel(path, { threads: Number(t), contextSize: 2048 });
  for await (const _ of m.generate("Once upon a time", { maxTokens: 8, temperature: 0, ignoreEos: true }));
  const text = m.detokenize(Array.from({ length: 8 }, (_, i) => 1000 + 37 * i));
  const tps = [];
  for (let r = 0; r < 2; r++) {
    const g = m.generate(text, { maxTokens: 129, temperature: 0, ignoreEos: true });
    for await (const _ of g);
    const s = await g.stats;
    tps.push((s.decodeTokensPerSecond * (s.generatedTokens - 1)) / s.generatedTokens);
  }
  await m.close();
  process.stdout.write(JSON.stringify(tps));
} else {
  if (!model || !a || !b) throw new Error("usage: node bench/decode-compare.mjs <gguf> <repoRootA> <repoRootB> [threads] [rounds]");
  const all = { [a]: [], [b]: [] };
  for (let i = 0; i < Number(rounds); i++)
    for (const root of [a, b]) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", root, model, threads]);
      all[root].push(...JSON.parse(out.toString()));
      console.log(root, all[root].slice(-2).map((x) => x.toFixed(1)).join(" "));
    }
  const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };
  console.log(`median t/s: A ${median(all[a]).toFixed(1)}, B ${median(all[b]).toFixed(1)}, B/A ${(median(all[b]) / median(all[a])).toFixed(3)}`);
}
