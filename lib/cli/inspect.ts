/**
 * `capibara inspect <file.gguf> [--json]`: what a GGUF file holds, without loading weights.
 * @module
 */
import type { Command } from "commander";
import { inspectGguf, type GgufInspection } from "../gguf/inspect.js";

/** `1536` → `"1.50 KiB"`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`;
}

/** `7241732096` → `"7.24B"`; below a thousand the plain number. */
export function formatCount(n: number): string {
  for (const [scale, suffix] of [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]] as const)
    if (n >= scale) return `${(n / scale).toFixed(2)}${suffix}`;
  return String(n);
}

function formatTokenizer({ model, vocabSize }: GgufInspection["tokenizer"]): string {
  if (model === null && vocabSize === null) return "(none)";
  return `${model ?? "(no model)"}, ${vocabSize ?? "?"} tokens`;
}

/** Human-readable summary of an inspection (what `capibara inspect` prints without --json). */
export function formatInspection(info: GgufInspection): string {
  const rows: [string, string][] = [
    ["file", `${info.path} (${formatBytes(info.fileSize)}, GGUF v${info.version})`],
    ["architecture", info.architecture ?? "(none)"],
    ...(info.name ? [["name", info.name] as [string, string]] : []),
    ["parameters", `${formatCount(info.parameterCount)} (${info.parameterCount})`],
    ["context length", info.contextLength === null ? "(unknown)" : String(info.contextLength)],
    ["tokenizer", formatTokenizer(info.tokenizer)],
    ["chat template", info.hasChatTemplate ? "yes" : "no"],
    ["tensors", `${info.tensors.length} (${formatBytes(info.quantMix.reduce((n, q) => n + q.bytes, 0))} of data)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => k.padEnd(width) + v);
  if (info.quantMix.length === 0) return [...lines, "quant mix".padEnd(width) + "(no tensors)"].join("\n") + "\n";
  const total = info.quantMix.reduce((n, q) => n + q.bytes, 0) || 1; // all tensors may be empty
  const mixRow = (type: string, tensors: string, size: string, share: string) =>
    type.padEnd(8) + tensors.padStart(8) + size.padStart(12) + share.padStart(8);
  lines.push("quant mix".padEnd(width) + mixRow("type", "tensors", "size", "share"));
  for (const q of info.quantMix)
    lines.push(
      " ".repeat(width) +
        mixRow(q.type, String(q.tensors), formatBytes(q.bytes), `${((100 * q.bytes) / total).toFixed(1)}%`),
    );
  return lines.join("\n") + "\n";
}

/** JSON with 64-bit integers as numbers when exact, otherwise as decimal strings. */
function toJson(info: GgufInspection): string {
  return JSON.stringify(
    info,
    (_key, v: unknown) => (typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
    2,
  );
}

/**
 * Adds `inspect <file>` to a commander program. Output goes through the program's
 * `configureOutput().writeOut` (stdout by default); format errors reject `parseAsync` with a
 * `GgufFormatError` carrying the code.
 */
export function registerInspectCommand(program: Command): Command {
  return program
    .command("inspect")
    .description("show a GGUF file's architecture, parameter count, quantisation mix, context length and tokenizer")
    .argument("<file>", "path to a .gguf file")
    .option("--json", "print the full inspection as JSON")
    .option("--arrays", "with --json, include long arrays (such as the vocabulary) in full")
    .action(async function (this: Command, file: string, opts: { json?: boolean; arrays?: boolean }) {
      const info = await inspectGguf(file, { includeArrays: Boolean(opts.json && opts.arrays) });
      const write = this.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
      write(opts.json ? toJson(info) + "\n" : formatInspection(info));
    });
}
