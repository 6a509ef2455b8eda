/**
 * The process's CPU budget through the addon: setThreadBudget checks its argument and takes effect,
 * and two models generating at once on a budget smaller than their threads neither stall nor change
 * a greedy answer.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvalidArgumentError, loadModel, setThreadBudget, threadBudget, type Model } from "../../lib/index.js";
import { buildModel } from "../fixtures/recipes.js";

let before: number;
const models: Model[] = [];

beforeAll(async () => {
  before = threadBudget();
  for (const arch of ["llama", "qwen2"] as const) models.push(await loadModel(await buildModel(arch, "f32"), { threads: 2, contextSize: 128 }));
});
afterAll(async () => {
  setThreadBudget(before);
  await Promise.all(models.map((m) => m.close()));
});

async function greedy(model: Model): Promise<number[]> {
  const tokens: number[] = [];
  for await (const c of model.generate("Once upon a time", { maxTokens: 24, temperature: 0, ignoreEos: true })) tokens.push(...c.tokens);
  return tokens;
}

describe("thread budget", () => {
  test("setThreadBudget refuses what is not an integer in [1, 256]", () => {
    for (const bad of [0, 1.5, 257, Number.NaN, "2" as unknown as number]) expect(() => setThreadBudget(bad)).toThrow(InvalidArgumentError);
    setThreadBudget(3);
    expect(threadBudget()).toBe(3);
  });

  test("two models generating at once on one thread give the answers each gives alone", async () => {
    setThreadBudget(2);
    const alone = [await greedy(models[0]!), await greedy(models[1]!)];
    expect(alone[0]).toHaveLength(24);
    setThreadBudget(1);
    const together = await Promise.all([greedy(models[0]!), greedy(models[1]!), greedy(models[0]!)]);
    expect(together).toEqual([alone[0], alone[1], alone[0]]);
  });
});
