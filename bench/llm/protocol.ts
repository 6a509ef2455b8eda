/**
 * What the benchmark parent asks of a measuring child process and what the child answers, plus the
 * prompt both engines are given.
 * @module
 */

/** The engines compared. */
export type EngineName = "ours" | "llamacpp";
export const ENGINES: readonly EngineName[] = ["ours", "llamacpp"];

/** A measuring job: one engine, one file, one thread count. */
export interface ChildJob {
  engine: EngineName;
  modelPath: string;
  threads: number;
  /** Prompt lengths whose prefill is timed. */
  prefill: number[];
  /** Tokens generated greedily for the decode figure. */
  decode: number;
  contextSize: number;
  /** File URL of the compiled engine module our side imports. */
  engineUrl: string;
  /** llama.cpp only: file URL of the node-llama-cpp entry module to import instead of the installed one (a copy holding one CPU variant, ggml_cpu.ts). */
  llamaCppUrl?: string;
}

/** A child's measurements. */
export interface ChildResult {
  engine: EngineName;
  /** Prompt length → prefill tokens/s. */
  prefillTps: Record<string, number>;
  decodeTps: number;
  /** Peak resident set (VmHWM) of the child, bytes. */
  peakRssBytes: number;
  loadSeconds: number;
  /** Engine build, e.g. the llama.cpp release node-llama-cpp ships. */
  version: string;
  /** Ours only: weight type → matmul kernel variant that ran (bench/llm/variants.ts). */
  kernels?: Record<string, string>;
  /** llama.cpp only: the ggml CPU backend variant that ran (`haswell`, `zen4`, ...). */
  cpuVariant?: string;
}

/** The line a child prints on stdout, prefixed so stray library output cannot be mistaken for it. */
export const RESULT_PREFIX = "@@bench-llm-result ";

/** Prompt tokens fed to the decode loop before timing starts. */
export const DECODE_PROMPT_TOKENS = 8;
/** Tokens evaluated once before timing, so mmap page-in does not count. */
export const WARMUP_TOKENS = 16;

/**
 * A deterministic prompt of `n` ordinary token ids (away from the special and byte tokens at the
 * start of every vocabulary benchmarked), identical for both engines. Each timed phase uses its own
 * seed, so no phase can reuse a cached prefix of another.
 */
export function promptTokens(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(1000 + (s % 19000));
  }
  return out;
}

/** Peak RSS of this process from `/proc/self/status` (VmHWM), or 0 where procfs is absent. */
export async function peakRssBytes(): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}
