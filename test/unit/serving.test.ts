/**
 * Serving many sequences on one model: a greedy request gives the same tokens alone or batched beside
 * 7 others (a generated llama and gemma3 model, and the real stories260K model when present), the
 * FIFO beyond `parallel`, aborting one sequence, the prompt cache and the load options' errors.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { loadModel, type GenerateOptions, type Model, type TokenChunk } from "../../lib/index.js";
import { buildModel } from "../fixtures/recipes.js";

const STORIES = join(import.meta.dirname, "../../../shared/models/stories260K.gguf");

async function tokensOf(gen: AsyncIterable<TokenChunk>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of gen) out.push(...c.tokens);
  return out;
}

const greedy: GenerateOptions = { temperature: 0, maxTokens: 24, ignoreEos: true };

/** Eight prompts of different lengths, so prefill chunks and decode rows mix in the same steps. */
function prompts(model: Model): string[] {
  const words = ["Once upon a time", "The little dog", "A girl named Lily went to the park with her mother and", "Tom", "The sun was", "They played all day in the big green garden near", "One day", "Sam and his friend found a box"];
  return words.map((w, i) => (i % 3 === 0 ? `${w} ${w.toLowerCase()}` : w)).filter((p) => model.tokenize(p).length > 0);
}

async function aloneVsBatched(model: Model): Promise<void> {
  const ps = prompts(model);
  const alone: number[][] = [];
  for (const p of ps) alone.push(await tokensOf(model.generate(p, greedy)));
  const before = model.servingStats!().steps;
  const batched = await Promise.all(ps.map((p) => tokensOf(model.generate(p, greedy))));
  const steps = model.servingStats!().steps - before;
  expect(batched).toEqual(alone);
  // Batched for real: far fewer steps than tokens evaluated one sequence at a time.
  expect(steps).toBeLessThan((greedy.maxTokens! * ps.length) / 2);
}

describe.each([
  ["llama", "f16"],
  ["gemma3", "f16"],
  ["llama", "q8_0"],
  ["gemma3", "q8_0"],
] as const)("generated %s model, %s KV, parallel 8", (arch, kvCacheType) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(await buildModel(arch, "f32"), { threads: 2, contextSize: 128, parallel: 8, promptCache: false, kvCacheType });
  });
  afterAll(() => model?.close());

  test("a greedy request gives the same tokens alone or beside 7 others", () => aloneVsBatched(model));

  test("aborting one sequence leaves the others' tokens unchanged", async () => {
    const ps = prompts(model).slice(0, 4);
    const alone = await Promise.all(ps.map((p) => tokensOf(model.generate(p, greedy))));
    const ac = new AbortController();
    const victim = model.generate(ps[1]!, { ...greedy, maxTokens: 200, signal: ac.signal });
    const others = ps.map((p, i) => (i === 1 ? null : tokensOf(model.generate(p, greedy))));
    let seen = 0;
    await expect(
      (async () => {
        for await (const c of victim) if ((seen += c.tokens.length) >= 3) ac.abort();
      })(),
    ).rejects.toMatchObject({ code: "ABORTED" });
    const got = await Promise.all(others);
    got.forEach((t, i) => t && expect(t).toEqual(alone[i]));
  });
});

describe("stories260K (real model)", () => {
  test.skipIf(!existsSync(STORIES))("a greedy request gives the same tokens alone or beside 7 others", async () => {
    const model = await loadModel(STORIES, { threads: 2, contextSize: 256, parallel: 8 });
    try {
      await aloneVsBatched(model);
    } finally {
      await model.close();
    }
  });
  if (!existsSync(STORIES)) test.skip(`${STORIES} is absent: the real-model batching test is skipped`, () => undefined);
});

describe("queue, prompt cache, options", () => {
  let path: string;
  beforeAll(async () => {
    path = await buildModel("llama", "f32");
  });

  test("more requests than `parallel` wait in FIFO order and all complete", async () => {
    const model = await loadModel(path, { threads: 2, contextSize: 64, parallel: 1 });
    try {
      // With one place, each request runs between the previous one's end and the next one's start.
      const spans = await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          let first = -1;
          let n = 0;
          for await (const c of model.generate(`the people ${i}`, { ...greedy, maxTokens: 6 })) {
            if (first < 0) first = performance.now();
            n += c.tokens.length;
          }
          return { first, end: performance.now(), n };
        }),
      );
      for (const s of spans) expect(s.n).toBe(6);
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.first).toBeGreaterThanOrEqual(spans[i - 1]!.end);
      expect(model.servingStats!()).toMatchObject({ active: 0, queued: 0, parallel: 1 });
    } finally {
      await model.close();
    }
  });

  // gemma3: its sliding-window layers (window 8) keep only the blocks a later query still sees.
  test.each(["llama", "gemma3"] as const)("a later turn reuses the KV of the earlier turn's prefix, with the same output (%s)", async (arch) => {
    const file = arch === "llama" ? path : await buildModel(arch, "f32");
    const cached = await loadModel(file, { threads: 2, contextSize: 128, parallel: 2 });
    const plain = await loadModel(file, { threads: 2, contextSize: 128, parallel: 2, promptCache: false });
    try {
      const turn1 = "the people of the state said that the";
      const first = cached.generate(turn1, greedy);
      const reply = cached.detokenize(await tokensOf(first));
      expect((await first.stats).cachedPromptTokens).toBe(0);
      const turn2 = `${turn1}${reply} and then the people`;
      const second = cached.generate(turn2, greedy);
      const t2 = await tokensOf(second);
      const s2 = await second.stats;
      const n1 = cached.tokenize(turn1).length;
      expect(s2.cachedPromptTokens).toBeGreaterThanOrEqual(n1 - 1);
      expect(s2.cachedPromptTokens).toBeLessThan(s2.promptTokens);
      const ref = plain.generate(turn2, greedy);
      expect(t2).toEqual(await tokensOf(ref));
      expect((await ref.stats).cachedPromptTokens).toBe(0);
      expect(cached.servingStats!().cachedPromptTokens).toBe(s2.cachedPromptTokens);
    } finally {
      await cached.close();
      await plain.close();
    }
  });

  test("promptCache.maxTokens keeps more conversations than `parallel`, least recently used evicted", async () => {
    const chatA = "the people of the state said that the people";
    const chatB = "one two three four five six seven eight nine ten";
    const cachedOnReturn = async (options: Parameters<typeof loadModel>[1]) => {
      const model = await loadModel(path, options);
      try {
        await tokensOf(model.generate(chatA, greedy));
        await tokensOf(model.generate(chatB, greedy));
        const again = model.generate(`${chatA} and more`, greedy);
        await tokensOf(again);
        return { cached: (await again.stats).cachedPromptTokens, kv: model.info.kvCacheBytes };
      } finally {
        await model.close();
      }
    };
    const one = await cachedOnReturn({ threads: 2, contextSize: 64, parallel: 1 });
    const two = await cachedOnReturn({ threads: 2, contextSize: 64, parallel: 1, promptCache: { maxTokens: 64 } });
    expect(two.kv).toBe(2 * one.kv);
    expect(one.cached).toBeLessThan(3);  // B's turn took the only cache
    expect(two.cached).toBeGreaterThan(5);  // A's cache was the least recently used one kept
  });

  test("a shared prefix is shared with another running sequence's cache", async () => {
    const model = await loadModel(path, { threads: 2, contextSize: 128, parallel: 2 });
    try {
      const system = "the people of the state said that the people of the state";
      // a stays running (it pauses on back-pressure, never read past its first chunk), holding its cache.
      const a = model.generate(`${system} one`, { ...greedy, maxTokens: 100 });
      const it = a[Symbol.asyncIterator]();
      await it.next();
      const b = model.generate(`${system} two`, greedy);
      await tokensOf(b);
      expect((await b.stats).cachedPromptTokens).toBeGreaterThan(model.tokenize(system).length - 3);
      expect(model.servingStats!().active).toBe(1);
      await it.return?.();
    } finally {
      await model.close();
    }
  });

  test("kvCacheTokens sizes the shared pool; a sequence outgrowing it ends with ContextFullError, others unharmed", async () => {
    const full = await loadModel(path, { threads: 2, contextSize: 128, parallel: 2 });
    const small = await loadModel(path, { threads: 2, contextSize: 128, parallel: 2, kvCacheTokens: 64 });
    try {
      expect(small.info.kvCacheBytes).toBe(full.info.kvCacheBytes / 4);
      expect(small.servingStats!()).toMatchObject({ kvCapacityTokens: 64, kvBlocksUsed: 0 });
      const short = "the people of the state";
      const want = await tokensOf(full.generate(short, { ...greedy, maxTokens: 8 }));
      // The long one needs more than 64 positions; the short one beside it runs to its end.
      const long = tokensOf(small.generate("one two three four five", { ...greedy, maxTokens: 100 }));
      const beside = tokensOf(small.generate(short, { ...greedy, maxTokens: 8 }));
      await expect(long).rejects.toMatchObject({ code: "CONTEXT_FULL" });
      expect(await beside).toEqual(want);
      await vi.waitFor(() => expect(small.servingStats!()).toMatchObject({ active: 0, kvBlocksUsed: 0 }));
      expect(small.servingStats!().kvBlocksTotal).toBeGreaterThan(0);
    } finally {
      await full.close();
      await small.close();
    }
    await expect(loadModel(path, { kvCacheTokens: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("kvCacheTokens") });
  });

  test("KV bytes are reported; bad parallel / kvCacheType / tokenBudget name the option", async () => {
    const one = await loadModel(path, { threads: 1, contextSize: 64, parallel: 1 });
    const four = await loadModel(path, { threads: 1, contextSize: 64, parallel: 4 });
    try {
      expect(one.info.kvCacheBytes).toBeGreaterThan(0);
      expect(four.info.kvCacheBytes).toBe(4 * one.info.kvCacheBytes);
      expect(four.info).toMatchObject({ parallel: 4, kvCacheType: "f16" });
    } finally {
      await one.close();
      await four.close();
    }
    for (const [opts, name] of [
      [{ parallel: 0 }, "parallel"],
      [{ parallel: 65 }, "parallel"],
      [{ parallel: 1.5 }, "parallel"],
      [{ kvCacheType: "q4" }, "kvCacheType"],
      [{ tokenBudget: 0 }, "tokenBudget"],
    ] as const)
      await expect(loadModel(path, opts as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining(name) });
  });

  test("a Q8_0 KV cache takes 34/64 of the F16 bytes and gives the F16 cache's greedy tokens", async () => {
    const f16 = await loadModel(path, { threads: 2, contextSize: 128 });
    const q8 = await loadModel(path, { threads: 2, contextSize: 128, kvCacheType: "q8_0" });
    try {
      expect(q8.info.kvCacheType).toBe("q8_0");
      expect(q8.info.kvCacheBytes).toBe((f16.info.kvCacheBytes * 34) / 64);
      const p = "the people of the state said that";
      expect(await tokensOf(q8.generate(p, { ...greedy, maxTokens: 12 }))).toEqual(await tokensOf(f16.generate(p, { ...greedy, maxTokens: 12 })));
    } finally {
      await f16.close();
      await q8.close();
    }
  });

  test.skipIf(!existsSync(STORIES))("q8_0 on a head size that is not a multiple of 32 is INVALID_ARGUMENT naming the option", async () => {
    await expect(loadModel(STORIES, { kvCacheType: "q8_0" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("kvCacheType") });
  });

  test("a contextSize above the training context is allowed with a warning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    const model = await loadModel(path, { threads: 1, contextSize: 8192 });
    try {
      await new Promise((r) => setImmediate(r));
      expect(model.info.contextSize).toBe(8192);
      expect(warnings.some((w) => w.includes("8192") && w.includes("trained"))).toBe(true);
    } finally {
      process.off("warning", onWarning);
      await model.close();
    }
  });
});
