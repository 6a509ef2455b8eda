// `capibara inspect` through the registered commander command, on a file our writer produced.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { beforeAll, expect, test } from "vitest";
import { registerInspectCommand, formatBytes, formatCount } from "../../lib/cli/inspect.js";
import { GgufFormatError, GgufWriter } from "../../lib/index.js";
import { ggmlTensorBytes } from "../../lib/gguf/index.js";
import { SAMPLE_TENSORS, VOCAB, elements, sampleWriter, tempDir } from "./gguf-fixture.js";

const dir = tempDir();
const path = join(dir, "cli.gguf");
const params = SAMPLE_TENSORS.reduce((n, t) => n + elements(t.shape), 0);

beforeAll(async () => {
  await sampleWriter().write(path);
});

async function run(...args: string[]): Promise<string> {
  let out = "";
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (out += s) });
  registerInspectCommand(program);
  await program.parseAsync(["node", "capibara", "inspect", ...args]);
  return out;
}

test("prints architecture, parameters, context, tokenizer, chat template and quant mix", async () => {
  const out = await run(path);
  expect(out).toMatch(/^architecture\s+llama$/m);
  expect(out).toMatch(new RegExp(`^parameters\\s+${formatCount(params).replace(".", "\\.")} \\(${params}\\)$`, "m"));
  expect(out).toMatch(/^context length\s+2048$/m);
  expect(out).toMatch(new RegExp(`^tokenizer\\s+llama, ${VOCAB.length} tokens$`, "m"));
  expect(out).toMatch(/^chat template\s+yes$/m);
  for (const type of new Set(SAMPLE_TENSORS.map((t) => t.type))) {
    const of = SAMPLE_TENSORS.filter((t) => t.type === type);
    const bytes = of.reduce((n, t) => n + ggmlTensorBytes(t.type, t.shape), 0);
    expect(out).toMatch(new RegExp(`^\\s+${type}\\s+${of.length}\\s+${formatBytes(bytes)}\\s+[\\d.]+%$`, "m"));
  }
});

test("a vocabulary-only file has no quant mix", async () => {
  const p = join(dir, "vocab.gguf");
  await new GgufWriter().setString("general.architecture", "gemma3").setArray("tokenizer.ggml.tokens", "string", VOCAB).write(p);
  const out = await run(p);
  expect(out).toMatch(/^tensors\s+0 \(0 B of data\)$/m);
  expect(out).toMatch(/^quant mix\s+\(no tensors\)$/m);
  expect(out).toMatch(/^context length\s+\(unknown\)$/m);
  expect(out).toMatch(new RegExp(`^tokenizer\\s+\\(no model\\), ${VOCAB.length} tokens$`, "m"));
});

test("--json prints the inspection, 64-bit values as numbers or strings", async () => {
  const info = JSON.parse(await run(path, "--json"));
  expect(info.architecture).toBe("llama");
  expect(info.parameterCount).toBe(params);
  expect(info.tensors).toHaveLength(SAMPLE_TENSORS.length);
  expect(info.metadata["test.u64"]).toBe("18446744073709551615");
  expect(info.metadata["arr.i64"]).toEqual([-1, "9223372036854775807"]);
  expect(info.metadata["tokenizer.ggml.tokens"]).toEqual({ elementType: "string", length: VOCAB.length });
  const full = JSON.parse(await run(path, "--json", "--arrays"));
  expect(full.metadata["tokenizer.ggml.tokens"]).toEqual(VOCAB);
});

test("a corrupt file rejects with the typed error", async () => {
  const bad = join(dir, "bad.gguf");
  writeFileSync(bad, "not a gguf file");
  await expect(run(bad)).rejects.toBeInstanceOf(GgufFormatError);
  await expect(run(bad)).rejects.toMatchObject({ code: "GGUF_BAD_MAGIC" });
});

test("formatting helpers", () => {
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536)).toBe("1.50 KiB");
  expect(formatBytes(4.5 * 2 ** 30)).toBe("4.50 GiB");
  expect(formatCount(999)).toBe("999");
  expect(formatCount(7_241_732_096)).toBe("7.24B");
  expect(formatCount(1_540_000)).toBe("1.54M");
});
