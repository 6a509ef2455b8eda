// LLM benchmark plumbing: llama.cpp's tensor type rules, tensor plans, a built file's contents, and
// the report shapes (rows, markdown, JSON lines, chart). No timing is asserted.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectGguf } from "../../lib/gguf/index.js";
import { writeModel } from "../../bench/llm/build.js";
import type { ChildResult } from "../../bench/llm/protocol.js";
import { buildRows, jsonLines, markdownTable, scalingTable, svgChart, type Sample } from "../../bench/llm/report.js";
import { FILE_TYPE_IDS, decodeBytesPerToken, parameterCount, planTensors, shapeById, useMoreBits, type ModelShape } from "../../bench/llm/shapes.js";
import { kernelVariants, variantsCell } from "../../bench/llm/variants.js";
import { ggmlCpuVariants, prepareLlamaCppCpu } from "../../bench/llm/ggml_cpu.js";
import { distinctRows } from "../../bench/distinct.js";
import { dequantize, quantize } from "../../lib/kernels.js";
import { tempDir } from "./gguf-fixture.js";
import { randomFloats } from "./kernel-util.js";

const tiny: ModelShape = { ...shapeById("small"), id: "tiny", nLayer: 8, tiedOutput: false };
const typeOf = (s: ModelShape, quant: Parameters<typeof planTensors>[1], name: string) => planTensors(s, quant).find((t) => t.name === name)?.type;

describe("distinctRows", () => {
  it("makes tiled rows distinct, keeps block scales and finite values", () => {
    for (const type of ["q4_0", "q8_0", "q4_K", "q6_K", "f16", "q4_1", "q5_0", "q5_1", "iq4_nl", "iq4_xs", "q2_K", "q3_K"] as const) {
      const row = quantize(type, randomFloats(256, 5), { backend: "scalar" });
      const tiled = new Uint8Array(row.length * 4);
      for (let r = 0; r < 4; r++) tiled.set(row, r * row.length);
      const out = distinctRows(type, tiled.slice(), 42);
      const rows = [0, 1, 2, 3].map((r) => Buffer.from(out.subarray(r * row.length, (r + 1) * row.length)).toString("hex"));
      expect(new Set(rows).size).toBe(4);
      const before = dequantize(type, row, 256, { backend: "scalar" });
      const after = dequantize(type, out.subarray(0, row.length), 256, { backend: "scalar" });
      expect(after.every(Number.isFinite)).toBe(true);
      const maxAbs = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      // Same scales: the value range stays that of the pool row (a Q4_K/Q6_K sub-block scale may grow;
      // a Q4_1/Q5_1 min stays, so their range is d * 15 or 31 + |m| at most).
      expect(maxAbs(after)).toBeLessThanOrEqual(8 * maxAbs(before) + 1e-6);
      const scaleAt: Partial<Record<string, [number, number]>> = { q4_0: [18, 0], q8_0: [34, 0], q4_1: [20, 0], q5_0: [22, 0], q5_1: [24, 0], iq4_nl: [18, 0], iq4_xs: [136, 0], q2_K: [84, 80], q3_K: [110, 108] };
      const at = scaleAt[type];
      if (at) for (let b = at[1]; b < row.length; b += at[0]) expect([out[b], out[b + 1]]).toEqual([row[b], row[b + 1]]);
    }
    expect(() => distinctRows("q4_0", new Uint8Array(17), 1)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});

describe("Q4_K_M type assignment", () => {
  it("use_more_bits selects llama.cpp's layers (integer eighths)", () => {
    const layers = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => useMoreBits(i, n));
    expect(layers(8)).toEqual([0, 3, 6, 7]);
    expect(layers(22)).toEqual([0, 1, 4, 7, 10, 13, 16, 19, 20, 21]);
    expect(layers(28)).toEqual([0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27]);
  });

  it("gives Q6_K to the output and to attn_v/ffn_down of those layers, Q4_K elsewhere", () => {
    for (let i = 0; i < tiny.nLayer; i++) {
      const more = [0, 3, 6, 7].includes(i) ? "q6_K" : "q4_K";
      expect(typeOf(tiny, "q4_K_M", `blk.${i}.attn_v.weight`)).toBe(more);
      expect(typeOf(tiny, "q4_K_M", `blk.${i}.ffn_down.weight`)).toBe(more);
      for (const k of ["attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"]) expect(typeOf(tiny, "q4_K_M", `blk.${i}.${k}.weight`)).toBe("q4_K");
      expect(typeOf(tiny, "q4_K_M", `blk.${i}.attn_norm.weight`)).toBe("f32");
    }
    expect(typeOf(tiny, "q4_K_M", "output.weight")).toBe("q6_K");
    expect(typeOf(tiny, "q4_K_M", "token_embd.weight")).toBe("q4_K");
  });

  it("treats a tied token embedding as the output; Q4_0 keeps a Q6_K output, Q8_0 and F16 are uniform", () => {
    const tied = { ...tiny, tiedOutput: true };
    expect(planTensors(tied, "q4_K_M").some((t) => t.name === "output.weight")).toBe(false);
    expect(typeOf(tied, "q4_K_M", "token_embd.weight")).toBe("q6_K");
    expect(typeOf(tiny, "q4_0", "output.weight")).toBe("q6_K");
    expect(typeOf(tiny, "q4_0", "blk.0.ffn_down.weight")).toBe("q4_0");
    expect(new Set(planTensors(tiny, "q8_0").filter((t) => t.role === "weight").map((t) => t.type))).toEqual(new Set(["q8_0"]));
    expect(new Set(planTensors(tiny, "f16").filter((t) => t.role === "weight").map((t) => t.type))).toEqual(new Set(["f16"]));
  });

  it("plans qwen2 biases and counts parameters and decode bytes", () => {
    const qwen = shapeById("qwen2.5-1.5b");
    expect(typeOf(qwen, "q8_0", "blk.0.attn_k.bias")).toBe("f32");
    expect(planTensors(qwen, "q8_0").find((t) => t.name === "blk.0.attn_k.weight")?.shape).toEqual([1536, 256]);
    expect(parameterCount(shapeById("tinyllama"))).toBeCloseTo(1.1e9, -8);
    expect(parameterCount(shapeById("small"))).toBeCloseTo(15e6, -6);
    // Untied: the embedding contributes one row per token, so the output matrix dominates.
    const bytes = decodeBytesPerToken(tiny, "q8_0");
    expect(bytes).toBeGreaterThan((tiny.nVocab * tiny.nEmbd * 34) / 32);
    expect(bytes).toBeLessThan((2 * tiny.nVocab * tiny.nEmbd * 34) / 32);
  });
});

describe("type rules of the other file types", () => {
  const tl = shapeById("tinyllama"); // 22 layers, 8 query heads per KV head
  const sm = { ...shapeById("small"), tiedOutput: false }; // 8 layers, 1 query head per KV head
  const layerTypes = (s: ModelShape, quant: Parameters<typeof planTensors>[1], kind: string) =>
    Array.from({ length: s.nLayer }, (_, i) => typeOf(s, quant, `blk.${i}.${kind}.weight`));

  it("Q3_K_M: attn_v Q5_K in layers 0-1, ffn_down Q5_K in the first sixteenth, Q4_K attn_output, Q3_K elsewhere", () => {
    expect(layerTypes(tl, "q3_K_M", "attn_v")).toEqual(["q5_K", "q5_K", ...Array<string>(20).fill("q4_K")]);
    expect(layerTypes(tl, "q3_K_M", "ffn_down")).toEqual(["q5_K", ...Array<string>(21).fill("q4_K")]);
    for (const k of ["attn_q", "attn_k", "ffn_gate", "ffn_up"]) expect(new Set(layerTypes(tl, "q3_K_M", k))).toEqual(new Set(["q3_K"]));
    expect(new Set(layerTypes(tl, "q3_K_M", "attn_output"))).toEqual(new Set(["q4_K"]));
    expect([typeOf(tl, "q3_K_M", "token_embd.weight"), typeOf(tl, "q3_K_M", "output.weight")]).toEqual(["q3_K", "q6_K"]);
  });

  it("Q2_K: attn_v Q4_K from 4 query heads per KV head (else Q3_K), Q3_K ffn_down and attn_output", () => {
    expect(new Set(layerTypes(tl, "q2_K", "attn_v"))).toEqual(new Set(["q4_K"]));
    expect(new Set(layerTypes(sm, "q2_K", "attn_v"))).toEqual(new Set(["q3_K"]));
    for (const k of ["ffn_down", "attn_output"]) expect(new Set(layerTypes(tl, "q2_K", k))).toEqual(new Set(["q3_K"]));
    for (const k of ["attn_q", "attn_k", "ffn_gate", "ffn_up"]) expect(new Set(layerTypes(tl, "q2_K", k))).toEqual(new Set(["q2_K"]));
    expect([typeOf(tl, "q2_K", "token_embd.weight"), typeOf(tl, "q2_K", "output.weight")]).toEqual(["q2_K", "q6_K"]);
  });

  it("IQ4_NL / IQ4_XS: attn_v Q5_K from 4 query heads per KV head, ffn_down Q5_K in the first eighth", () => {
    for (const q of ["iq4_nl", "iq4_xs"] as const) {
      expect(new Set(layerTypes(tl, q, "attn_v"))).toEqual(new Set(["q5_K"]));
      expect(new Set(layerTypes(sm, q, "attn_v"))).toEqual(new Set([q]));
      expect(layerTypes(tl, q, "ffn_down")).toEqual(["q5_K", "q5_K", ...Array<string>(20).fill(q)]);
      expect(layerTypes(sm, q, "ffn_down")).toEqual(["q5_K", ...Array<string>(7).fill(q)]);
      expect([typeOf(tl, q, "token_embd.weight"), typeOf(tl, q, "output.weight"), typeOf(tl, q, "blk.3.attn_q.weight")]).toEqual([q, "q6_K", q]);
    }
  });

  it("Q4_1, Q5_0, Q5_1 are one type everywhere but the Q6_K output", () => {
    for (const q of ["q4_1", "q5_0", "q5_1"] as const) {
      const types = new Set(planTensors(tl, q).filter((t) => t.role === "weight" && t.name !== "output.weight").map((t) => t.type));
      expect(types).toEqual(new Set([q]));
      expect(typeOf(tl, q, "output.weight")).toBe("q6_K");
    }
  });
});

describe("model builder", () => {
  it("writes every planned tensor with its type, the file type and the tokenizer", async () => {
    const small = { ...tiny, nLayer: 2 };
    const path = join(tempDir(), "tiny.gguf");
    try {
      for (const quant of ["q4_K_M", "q3_K_M", "q2_K", "iq4_xs", "iq4_nl", "q4_1", "q5_0", "q5_1"] as const) {
        await writeModel(small, quant, path);
        const info = await inspectGguf(path);
        const plan = planTensors(small, quant);
        expect(info.tensors.map((t) => [t.name, t.type])).toEqual(plan.map((t) => [t.name, t.type]));
        expect(info.metadata["general.file_type"]).toBe(FILE_TYPE_IDS[quant]);
        expect(info.metadata["llama.block_count"]).toBe(2);
        expect(info.metadata["tokenizer.ggml.model"]).toBe("llama");
      }
    } finally {
      rmSync(path, { force: true });
    }
  });
});

describe("report", () => {
  const result = (prefill: number, decode: number, rss: number): ChildResult => ({
    engine: "llamacpp",
    prefillTps: { 128: prefill, 512: prefill / 2 },
    decodeTps: decode,
    peakRssBytes: rss * 2 ** 20,
    loadSeconds: 1,
    version: "test",
    cpuVariant: "haswell",
  });
  const samples: Sample[] = [1, 2].flatMap((threads) => [
    { model: "tiny", quant: "q4_0", threads, engine: "ours" as const, result: { error: "n/a (engine not built: npm run build:ts)" } },
    { model: "tiny", quant: "q4_0", threads, engine: "llamacpp" as const, result: result(100 * threads, 10 * threads, 300) },
    { model: "tiny", quant: "q4_0", threads, engine: "llamacpp" as const, result: result(120 * threads, 14 * threads, 320) },
  ]);
  const rows = buildRows(samples, 128, { bytesPerToken: { "tiny/q4_0": 1e9 }, bandwidth: 20e9, rssBudgetBytes: { "tiny/q4_0": 310 * 2 ** 20 } });

  it("folds runs into median rows with roofline and RSS", () => {
    expect(rows.map((r) => `${r.threads}:${r.phase}`)).toEqual(["1:prefill-128", "1:prefill-512", "1:decode-128", "2:prefill-128", "2:prefill-512", "2:decode-128"]);
    const decode = rows[2]!;
    expect(decode).toMatchObject({ ours_tps: null, llamacpp_tps: 12, ratio: null, roofline_tps: 20, llamacpp_pct_roofline: 60, llamacpp_rss_mb: 320, rss_budget_mb: 310 });
    expect(decode.ours_note).toBe("n/a (engine not built: npm run build:ts)");
    expect(rows[0]!.roofline_tps).toBeNull();
  });

  it("writes one JSON object per line with the documented keys", () => {
    const lines = jsonLines(rows, { commit: "abc1234", cpu: "Test CPU" }).split("\n");
    expect(lines).toHaveLength(rows.length);
    for (const line of lines) {
      const o = JSON.parse(line) as Record<string, unknown>;
      for (const k of ["model", "quant", "phase", "threads", "ours_tps", "llamacpp_tps", "ratio", "commit"]) expect(o).toHaveProperty(k);
    }
  });

  it("formats the markdown tables and the SVG chart", () => {
    const md = markdownTable(rows).split("\n");
    expect(md[0]).toContain("| ours t/s | llama.cpp t/s | ratio |");
    expect(md).toHaveLength(rows.length + 2);
    expect(md[4]).toBe("| tiny | q4_0 | decode-128 | 1 | n/a (engine not built: npm run build:ts) | 12.0 | n/a | n/a / 60 | n/a / 320 | 310 |  | ggml-cpu-haswell |");
    expect(scalingTable(rows).split("\n")[0]).toBe("| model | quant | phase | engine | 1T | 2T |");
    const svg = svgChart(rows, "a <title>");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("a &lt;title&gt;");
    expect(svg.match(/<rect /g)?.length).toBeGreaterThan(rows.length * 2);
  });
});

describe("kernel variants", () => {
  const t = (name: string, type: string, rows: number) => ({ name, type, shape: [256, rows] });
  const tensors = [
    t("token_embd.weight", "q4_K", 1000),
    t("blk.0.attn_q.weight", "q4_K", 256),
    t("blk.0.attn_v.weight", "q6_K", 64),
    t("blk.0.ffn_down.weight", "q6_K", 36),  // not a multiple of 8: stays in the file layout
    t("blk.0.ffn_up.weight", "q3_K", 256),  // no packed layout in this table: its gemm's family runs
    t("blk.0.attn_norm.weight", "f32", 1),
  ];
  const table = (family: string, rows: number) => (type: string) =>
    type === "q3_K" ? { gemm: "avx2", packed: null, packRows: 0 } : { gemm: family, packed: family, packRows: rows };

  it("names the packed family per type, the row-major family where a matrix cannot be packed or the tied output runs", () => {
    expect(kernelVariants(tensors, table("avx2", 8), true)).toEqual({
      q4_K: "avx2-row-major x1 + avx2-packed8 x1",
      q6_K: "avx2-packed8 x1 + avx2-row-major x1",
      q3_K: "avx2-row-major",
    });
    const untied = [...tensors, t("output.weight", "q6_K", 1000)];
    expect(kernelVariants(untied, table("avx512", 16), true)).toEqual({
      q4_K: "avx512-packed16",
      q6_K: "avx512-packed16 x1 + avx512-row-major x2",
      q3_K: "avx2-row-major",
    });
    expect(kernelVariants(tensors, table("neon-i8mm", 4), true).q4_K).toBe("neon-i8mm-row-major x1 + neon-i8mm-packed4 x1");
  });

  it("reports row-major everywhere when the engine packed nothing, and formats one report cell", () => {
    const v = kernelVariants(tensors, table("neon-dotprod", 4), false);
    expect(v).toEqual({ q4_K: "neon-dotprod-row-major", q6_K: "neon-dotprod-row-major", q3_K: "avx2-row-major" });
    expect(variantsCell(v)).toBe("q3_K: avx2-row-major, q4_K: neon-dotprod-row-major, q6_K: neon-dotprod-row-major");
    expect(variantsCell(undefined)).toBeNull();
  });
});

describe("llama.cpp CPU variant", () => {
  const root = join(import.meta.dirname, "../..");
  const variants = ggmlCpuVariants(root);

  it.skipIf(variants.length === 0)("lists the prebuilt CPU backends and refuses a variant that is not shipped", () => {
    if (process.arch === "x64") expect(variants).toContain("haswell");
    expect(() => prepareLlamaCppCpu(root, "no-such-cpu")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining(variants[0]!) }));
  });
});
