// The native sampler's lazy grammar (tool calls under `tool_choice: auto`): on the real model
// stories260K, greedy decoding runs free until the trigger text appears, then the grammar takes
// over from the trigger on. The free part must be exactly the unconstrained greedy text.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrammarCache } from "../../lib/grammar/compiled.js";
import { native, packageRoot, type NativeGenerateParams, type NativeModelHandle, type NativeSchedulerHandle } from "../../lib/native.js";
import { Tokenizer } from "../../lib/tokenizer/index.js";

const MODEL = join(packageRoot, "..", "shared", "models", "stories260K.gguf");
const present = existsSync(MODEL);
if (!present) console.warn(`grammar-lazy: ${MODEL} is absent; skipping`);

describe.skipIf(!present)("lazy grammar trigger (stories260K)", () => {
  let model: NativeModelHandle;
  let scheduler: NativeSchedulerHandle;
  let tokenizer: Tokenizer;
  let grammars: GrammarCache;
  const e = () => native().engine;

  beforeAll(async () => {
    model = await e().loadModel(MODEL);
    scheduler = e().createScheduler(model, { parallel: 1, contextSize: 256, threads: 1, promptCache: false });
    tokenizer = await Tokenizer.fromGguf(MODEL);
    grammars = new GrammarCache(tokenizer);
  });
  afterAll(async () => {
    await e().closeScheduler(scheduler);
    e().closeModel(model);
  });

  const run = (extra: Partial<NativeGenerateParams>, maxTokens: number) =>
    new Promise<{ text: string; reason: string }>((resolve, reject) => {
      const tokens: number[] = [];
      const params: NativeGenerateParams = {
        maxTokens, temperature: 0, topK: 40, topP: 1, minP: 0, repeatPenalty: 1, repeatLastN: 64, frequencyPenalty: 0, presencePenalty: 0, seed: 1,
        stopTokens: Int32Array.from([tokenizer.eos!]), batch: 8, highWater: 64, ...extra,
      };
      const s = e().generate(scheduler, tokenizer.tokenize("Once upon a time", { addSpecial: true }), params, (ev) => {
        if (ev.kind === "tokens") {
          tokens.push(...ev.tokens);
          e().streamConsumed(s, ev.tokens.length);
        } else if (ev.kind === "done") resolve({ text: tokenizer.detokenize(tokens), reason: ev.stopReason });
        else reject(ev.error);
      });
    });

  it("runs free up to the trigger, then constrained from the trigger on", async () => {
    const free = await run({}, 40);
    const at = free.text.indexOf(" was");
    expect(at).toBeGreaterThan(0);
    const grammar = await grammars.get('root ::= " was a " ("robot" | "dragon") "."');
    const lazy = await run({ grammar, grammarTrigger: " was" }, 40);
    expect(lazy.text.slice(0, at)).toBe(free.text.slice(0, at));
    expect(lazy.text.slice(at)).toMatch(/^ was a (robot|dragon)\.$/);
    expect(lazy.reason).toBe("eos");
    // Without the trigger the same grammar applies from the first token (detokenize drops the leading space of SentencePiece's first piece).
    expect((await run({ grammar }, 40)).text).toMatch(/^ ?was a (robot|dragon)\.$/);
  });

  it("a trigger that never appears leaves the generation unconstrained", async () => {
    const free = await run({}, 20);
    const grammar = await grammars.get('root ::= "<tool_call>" [0-9]');
    expect(await run({ grammar, grammarTrigger: "<tool_call>" }, 20)).toEqual(free);
  });
});
