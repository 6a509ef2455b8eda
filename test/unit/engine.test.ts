/**
 * Engine behaviour on a generated llama model (random weights, real SPM vocabulary): loading, info,
 * tokenize, logits, generation (greedy, seeded sampling, stop strings, abort, context limit),
 * closing, and that generation never blocks the event loop.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AbortError, ChatTemplate, ContextFullError, ModelClosedError, loadModel, supportedArchitectures, traceLayers, type ArchName, type Model, type TokenChunk } from "../../lib/index.js";
import { packRows, quantize, type TensorType } from "../../lib/kernels.js";
import { buildModel, RECIPE_ARCHS } from "../fixtures/recipes.js";

let model: Model;

beforeAll(async () => {
  model = await loadModel(await buildModel("llama", "f32"), { threads: 2, contextSize: 256 });
});
afterAll(async () => {
  await model?.close();
});

async function collect(gen: AsyncIterable<TokenChunk>): Promise<{ text: string; tokens: number[] }> {
  let text = "";
  const tokens: number[] = [];
  for await (const c of gen) {
    text += c.text;
    tokens.push(...c.tokens);
  }
  return { text, tokens };
}

const argmax = (v: Float32Array) => v.reduce((b, x, i) => (x > v[b]! ? i : b), 0);

describe("engine", () => {
  test("architectures() matches the ArchName union", () => {
    const names: Record<ArchName, true> = { llama: true, qwen2: true, phi3: true, gemma3: true, "command-r": true, cohere2: true };
    expect(supportedArchitectures().sort()).toEqual(Object.keys(names).sort());
  });

  test("every architecture the runner supports has a demo recipe", () => {
    expect([...RECIPE_ARCHS].sort()).toEqual(supportedArchitectures().sort());
  });

  test("info describes the file and the capped context", () => {
    expect(model.info).toMatchObject({ architecture: "llama", contextSize: 256, trainContextSize: 4096, vocabSize: 512, embeddingSize: 256, layers: 2 });
    expect(model.info.parameters).toBeGreaterThan(1_000_000);
    expect(model.info.fileSize).toBeGreaterThan(model.info.parameters * 4);
  });

  test("repacked weights give the file layout's logits; packedBytes says what was packed", async () => {
    const path = await buildModel("llama", "q4_0", { quantize: (type, data) => quantize(type as TensorType, data) });
    const packed = await loadModel(path, { threads: 2, contextSize: 64 });
    const plain = await loadModel(path, { threads: 2, contextSize: 64, repack: false });
    try {
      expect(plain.info.packedBytes).toBe(0);
      // Every layer matrix of this model has a row count that is a multiple of 16.
      if (packRows("q4_0") > 0) expect(packed.info.packedBytes).toBeGreaterThan(0.5 * packed.info.fileSize);
      else expect(packed.info.packedBytes).toBe(0);
      const ids = packed.tokenize("the people of the state");
      const a = await packed.logits(ids);
      const b = await plain.logits(ids);
      const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      expect(diff).toBeLessThanOrEqual(1e-4 * scale);
      await expect(loadModel(path, { repack: "yes" as unknown as boolean })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    } finally {
      await packed.close();
      await plain.close();
    }
  });

  test("tokenize / detokenize round-trip, BOS added for a raw prompt", () => {
    const ids = model.tokenize("the time of the world");
    expect(ids[0]).toBe(1);
    expect(model.detokenize(ids.slice(1))).toBe("the time of the world");
  });

  test("logits are vocabulary-sized and deterministic", async () => {
    const ids = model.tokenize("the people of the state");
    const a = await model.logits(ids);
    const b = await model.logits(ids);
    expect(a.length).toBe(512);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  test("greedy generation follows the argmax of logits(), with stats", async () => {
    const prompt = "the man who said";
    const gen = model.generate(prompt, { temperature: 0, maxTokens: 6 });
    const out = await collect(gen);
    const stats = await gen.stats;
    expect(out.tokens.length).toBe(6);
    expect(stats).toMatchObject({ generatedTokens: 6, stopReason: "maxTokens", promptTokens: model.tokenize(prompt).length });
    expect(stats.decodeTokensPerSecond).toBeGreaterThan(0);
    // Each generated token is the argmax after the prompt plus the tokens before it.
    const ids = model.tokenize(prompt);
    for (const t of out.tokens) {
      expect(t).toBe(argmax(await model.logits(ids)));
      ids.push(t);
    }
    // Streamed text keeps the leading space a continuation's first piece carries; detokenize drops it.
    expect(out.text.replace(/^ /, "")).toBe(model.detokenize(out.tokens));
  });

  test("seeded sampling is reproducible", async () => {
    const opts = { temperature: 1.5, topK: 0, topP: 1, minP: 0, maxTokens: 12, seed: 1234 };
    const a = await collect(model.generate("good", opts));
    const b = await collect(model.generate("good", opts));
    expect(a.tokens).toEqual(b.tokens);
  });

  test("stop strings end generation before the match", async () => {
    const full = await collect(model.generate("the world", { temperature: 0, maxTokens: 24 }));
    expect(full.text.length).toBeGreaterThan(4);
    const stop = full.text.slice(2, 4);
    const gen = model.generate("the world", { temperature: 0, maxTokens: 24, stop: [stop] });
    const cut = await collect(gen);
    expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    expect((await gen.stats).stopReason).toBe("stop");
  });

  test("AbortSignal rejects with AbortError", async () => {
    const ac = new AbortController();
    const gen = model.generate("the", { temperature: 0, maxTokens: 200, ignoreEos: true, signal: ac.signal });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const c of gen) {
          seen.push(...c.tokens);
          ac.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(AbortError);
    await expect(gen.stats).rejects.toMatchObject({ code: "ABORTED" });
    expect(seen.length).toBeLessThan(200);
  });

  test("the context limit ends generation with stopReason contextFull; oversized input is CONTEXT_FULL", async () => {
    const gen = model.generate("the", { temperature: 0, maxTokens: 1000, ignoreEos: true });
    const out = await collect(gen);
    const stats = await gen.stats;
    expect(stats.stopReason).toBe("contextFull");
    expect(stats.promptTokens + out.tokens.length).toBeLessThanOrEqual(257);
    await expect(model.logits(new Array(300).fill(5))).rejects.toBeInstanceOf(ContextFullError);
  });

  test("generation runs off the event loop", async () => {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const gen = model.generate("the", { temperature: 0, maxTokens: 200, ignoreEos: true });
    const out = await collect(gen);
    h.disable();
    expect(out.tokens.length).toBeGreaterThan(100);
    // A blocked loop would show the whole generation (hundreds of ms) as one delay.
    expect(h.max / 1e6).toBeLessThan(100);
  });

  test("a closed model throws ModelClosedError", async () => {
    const m = await loadModel(await buildModel("llama", "f32"), { threads: 1, contextSize: 64 });
    const running = collect(m.generate("the", { temperature: 0, maxTokens: 50, ignoreEos: true })).catch((e: unknown) => e);
    await m.close();
    expect(m.closed).toBe(true);
    await running;  // settled (aborted or finished), never hanging
    expect(() => m.tokenize("x")).toThrow(ModelClosedError);
    expect(() => m.generate("x")).toThrow(ModelClosedError);
    await expect(m.logits([1])).rejects.toBeInstanceOf(ModelClosedError);
  });
});

describe("engine chat and back-pressure", () => {
  test("chat messages go through the chat template (BOS from the template, special tokens parsed)", async () => {
    const messages = [{ role: "user" as const, content: "the world" }];
    expect(model.info.chatTemplate).toContain("[INST]");
    const gen = model.generate(messages, { temperature: 0, maxTokens: 3 });
    await collect(gen);
    const rendered = ChatTemplate.builtin("llama", { bosToken: "<s>", eosToken: "</s>" }).render(messages);
    const expected = model.tokenize(rendered, { addSpecial: false, parseSpecial: true });
    expect(expected[0]).toBe(1);
    expect((await gen.stats).promptTokens).toBe(expected.length);
  });

  test("a consumer that stops reading does not block close()", async () => {
    const m = await loadModel(await buildModel("llama", "f32"), { threads: 1, contextSize: 256 });
    const gen = m.generate("the", { temperature: 0, maxTokens: 240, ignoreEos: true });
    const it = gen[Symbol.asyncIterator]();
    await it.next();  // then never read again: the native thread fills the queue and waits
    await new Promise((r) => setTimeout(r, 50));
    await m.close();
    const stats = await gen.stats;
    expect(stats.stopReason).toBe("aborted");
    // The native thread paused once 64 delivered tokens (the high-water mark, plus one batch of 8)
    // were left unconsumed, instead of generating all 240.
    expect(stats.generatedTokens).toBeLessThanOrEqual(64 + 8 + 1);
  });
});

describe("debug taps", () => {
  test("traceLayers returns llama.cpp-named intermediates in forward order, ending in the logits", async () => {
    const ids = model.tokenize("the world");
    const taps = await traceLayers(model, ids);
    const names = taps.map((t) => `${t.name}${t.layer >= 0 ? `-${t.layer}` : ""}`);
    const layer = (il: number) => ["attn_norm", "Qcur", "Kcur", "Vcur", "kqv_out", "attn_out", "ffn_inp", "ffn_norm", "ffn_out", "l_out"].map((n) => `${n}-${il}`);
    expect(names).toEqual(["inp_embd", ...layer(0), ...layer(1), "result_norm", "result_output"]);
    expect(Array.from(taps.at(-1)!.data)).toEqual(Array.from(await model.logits(ids)));
    expect(taps.find((t) => t.name === "attn_norm")!.data.length).toBe(256);
  });
});
