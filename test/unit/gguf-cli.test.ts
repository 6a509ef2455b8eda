// `capibara inspect` through the registered commander command, on a file our writer produced.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { beforeAll, expect, test } from "vitest";
import { registerInspectCommand, formatBytes, formatCount } from "../../lib/cli/inspect.js";
import { GgufFormatError } from "../../lib/index.js";
import { SAMPLE_TENSORS, VOCAB, sampleWriter, tempDir } from "./gguf-fixture.js";

const dir = tempDir();
const path = join(dir, "cli.gguf");
const params = SAMPLE_TENSORS.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

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
  expect(out).toMatch(new RegExp(`^\\s+f16\\s+2\\s+${formatBytes(48 * 4 * 2 + 32 * 100 * 2)}\\s+[\\d.]+%$`, "m"));
  for (const type of ["q4_K", "q5_K", "q6_K", "q8_0", "q4_0", "bf16", "f32"]) expect(out).toMatch(new RegExp(`^\\s+${type}\\s+1\\s`, "m"));
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
