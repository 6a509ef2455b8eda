/**
 * Results of the LLM benchmark: per-run samples folded into rows (median over runs), then written as
 * a markdown table, JSON lines, a thread-scaling table and an SVG bar chart.
 * @module
 */
import type { ChildResult, EngineName } from "./protocol.js";
import { variantsCell } from "./variants.js";

/** One child run (or its failure) of one engine on one configuration. */
export interface Sample {
  model: string;
  quant: string;
  threads: number;
  engine: EngineName;
  result: ChildResult | { error: string };
}

/** Facts needed to place decode figures against the memory roofline. */
export interface RooflineInput {
  /** Weight bytes read per decoded token, keyed by `model/quant`. */
  bytesPerToken: Record<string, number>;
  /** Attainable read bandwidth, bytes/s (null when not measured). */
  bandwidth: number | null;
  /** The issue's RSS budget per `model/quant`: file size + KV cache + 150 MiB, bytes (optional). */
  rssBudgetBytes?: Record<string, number>;
}

/** One line of the results: a configuration and phase, both engines side by side. */
export interface BenchRow {
  model: string;
  quant: string;
  /** `prefill-<n>` or `decode-<n>`. */
  phase: string;
  threads: number;
  ours_tps: number | null;
  llamacpp_tps: number | null;
  /** ours / llama.cpp. */
  ratio: number | null;
  /** Decode bound: bandwidth / weight bytes per token (decode rows only). */
  roofline_tps: number | null;
  ours_pct_roofline: number | null;
  llamacpp_pct_roofline: number | null;
  ours_rss_mb: number | null;
  llamacpp_rss_mb: number | null;
  /** File size + KV cache + 150 MiB, when known. */
  rss_budget_mb: number | null;
  /** Why an engine has no figure (unavailable runner, failed run). */
  ours_note: string | null;
  llamacpp_note: string | null;
  /** Successful runs per engine behind the medians. */
  ours_runs: number;
  llamacpp_runs: number;
  /** Our matmul kernel variant per weight type, e.g. `q4_K: avx2-packed8, q6_K: avx2-packed8`. */
  ours_kernels: string | null;
  /** The ggml CPU backend variant llama.cpp ran, e.g. `haswell`, `zen4`. */
  llamacpp_cpu: string | null;
}

/** Machine and build the figures were taken on. */
export interface RunInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  commit: string;
  date: string;
  loadAverage: number[];
  /** Thread count → measured read bandwidth, bytes/s. */
  bandwidth: Record<string, number>;
  llamaCppVersion: string;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const isResult = (r: Sample["result"]): r is ChildResult => !("error" in r);

/** Phases measured by a result, in report order (prefills by length, then decode). */
function phasesOf(r: ChildResult, decode: number): string[] {
  const prefill = Object.keys(r.prefillTps).map(Number).sort((a, b) => a - b);
  return [...prefill.map((n) => `prefill-${n}`), `decode-${decode}`];
}

function tpsOf(r: ChildResult, phase: string): number | undefined {
  const [kind, n] = phase.split("-") as [string, string];
  return kind === "decode" ? r.decodeTps : r.prefillTps[n];
}

/** Folds samples into rows: medians of tokens/s, the largest peak RSS, roofline percentages. */
export function buildRows(samples: readonly Sample[], decode: number, roofline: RooflineInput): BenchRow[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.model}\0${s.quant}\0${s.threads}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const rows: BenchRow[] = [];
  for (const group of groups.values()) {
    const { model, quant, threads } = group[0]!;
    const of = (engine: EngineName) => group.filter((s) => s.engine === engine);
    const ok = (engine: EngineName) => of(engine).map((s) => s.result).filter(isResult);
    const note = (engine: EngineName): string | null => {
      const failed = of(engine).map((s) => s.result).find((r) => !isResult(r));
      return failed && !isResult(failed) ? failed.error : null;
    };
    const rss = (engine: EngineName) => {
      const r = ok(engine);
      return r.length ? Math.max(...r.map((x) => x.peakRssBytes)) / 2 ** 20 : null;
    };
    const first = [...ok("llamacpp"), ...ok("ours")][0];
    const phases = first ? phasesOf(first, decode) : [`decode-${decode}`];
    for (const phase of phases) {
      const ours = median(ok("ours").map((r) => tpsOf(r, phase)).filter((x): x is number => x !== undefined));
      const theirs = median(ok("llamacpp").map((r) => tpsOf(r, phase)).filter((x): x is number => x !== undefined));
      const bytes = roofline.bytesPerToken[`${model}/${quant}`];
      const bound = phase.startsWith("decode") && bytes && roofline.bandwidth ? roofline.bandwidth / bytes : null;
      const budget = roofline.rssBudgetBytes?.[`${model}/${quant}`];
      rows.push({
        model,
        quant,
        phase,
        threads,
        ours_tps: ours,
        llamacpp_tps: theirs,
        ratio: ours !== null && theirs ? ours / theirs : null,
        roofline_tps: bound,
        ours_pct_roofline: bound && ours !== null ? (100 * ours) / bound : null,
        llamacpp_pct_roofline: bound && theirs !== null ? (100 * theirs) / bound : null,
        ours_rss_mb: rss("ours"),
        llamacpp_rss_mb: rss("llamacpp"),
        rss_budget_mb: budget === undefined ? null : budget / 2 ** 20,
        ours_note: ours === null ? note("ours") : null,
        llamacpp_note: theirs === null ? note("llamacpp") : null,
        ours_runs: ok("ours").length,
        llamacpp_runs: ok("llamacpp").length,
        ours_kernels: variantsCell(ok("ours")[0]?.kernels),
        llamacpp_cpu: ok("llamacpp")[0]?.cpuVariant ?? null,
      });
    }
  }
  return rows;
}

const fmt = (x: number | null, digits = 1): string => (x === null ? "n/a" : x.toFixed(digits));
const tpsCell = (x: number | null, note: string | null): string => (x === null ? (note ?? "n/a") : fmt(x));
const pair = (a: string, b: string): string => `${a} / ${b}`;

/** Machine, build and bandwidth lines heading every report. */
export function machineLines(info: RunInfo): string[] {
  const bw = Object.entries(info.bandwidth)
    .map(([t, b]) => `${(b / 1e9).toFixed(1)} GB/s @${t}T`)
    .join(", ");
  return [
    `- Machine: ${info.cpu}, ${info.cores} cores, ${info.ramGiB.toFixed(0)} GiB RAM (load average at start ${info.loadAverage.map((x) => x.toFixed(1)).join(" ")})`,
    `- Commit: ${info.commit}; llama.cpp: ${info.llamaCppVersion}; ${info.date}`,
    `- Memory read bandwidth: ${bw || "not measured"}`,
  ];
}

/** The side-by-side table (markdown). */
export function markdownTable(rows: readonly BenchRow[]): string {
  const head =
    "| model | quant | phase | threads | ours t/s | llama.cpp t/s | ratio | % of roofline (ours / llama.cpp) | peak RSS MiB (ours / llama.cpp) | RSS budget MiB | our kernels | llama.cpp CPU backend |";
  const sep = "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|";
  const lines = rows.map((r) => {
    const pct = r.roofline_tps === null ? "" : pair(fmt(r.ours_pct_roofline, 0), fmt(r.llamacpp_pct_roofline, 0));
    const within = r.rss_budget_mb === null || r.ours_rss_mb === null ? "" : r.ours_rss_mb <= r.rss_budget_mb ? " (ours within)" : " (ours over)";
    return `| ${r.model} | ${r.quant} | ${r.phase} | ${r.threads} | ${tpsCell(r.ours_tps, r.ours_note)} | ${tpsCell(r.llamacpp_tps, r.llamacpp_note)} | ${fmt(r.ratio, 2)} | ${pct} | ${pair(fmt(r.ours_rss_mb, 0), fmt(r.llamacpp_rss_mb, 0))} | ${fmt(r.rss_budget_mb, 0)}${within} | ${r.ours_kernels ?? ""} | ${r.llamacpp_cpu ? `ggml-cpu-${r.llamacpp_cpu}` : ""} |`;
  });
  return [head, sep, ...lines].join("\n");
}

/** Decode roofline per model file: bandwidth / weight bytes per token. */
export function rooflineLines(roofline: RooflineInput): string[] {
  return Object.entries(roofline.bytesPerToken).map(([key, bytes]) => {
    const bound = roofline.bandwidth ? `${(roofline.bandwidth / bytes).toFixed(1)} t/s` : "n/a";
    return `- ${key}: ${(bytes / 2 ** 20).toFixed(1)} MiB of weights per token → decode roofline ${bound}`;
  });
}

/** Tokens/s against thread count, one line per model, quant, phase and engine. */
export function scalingTable(rows: readonly BenchRow[]): string {
  const threads = [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b);
  const keyed = new Map<string, Map<number, BenchRow>>();
  for (const r of rows) {
    const key = `${r.model}\0${r.quant}\0${r.phase}`;
    if (!keyed.has(key)) keyed.set(key, new Map());
    keyed.get(key)!.set(r.threads, r);
  }
  const head = `| model | quant | phase | engine | ${threads.map((t) => `${t}T`).join(" | ")} |`;
  const sep = `|---|---|---|---|${threads.map(() => "---:").join("|")}|`;
  const lines: string[] = [];
  for (const [key, byThreads] of keyed) {
    const [model, quant, phase] = key.split("\0");
    for (const [engine, field] of [["ours", "ours_tps"], ["llama.cpp", "llamacpp_tps"]] as const) {
      const cells = threads.map((t) => fmt(byThreads.get(t)?.[field] ?? null));
      lines.push(`| ${model} | ${quant} | ${phase} | ${engine} | ${cells.join(" | ")} |`);
    }
  }
  return [head, sep, ...lines].join("\n");
}

/** One JSON object per row, each carrying the commit and CPU it was measured with. */
export function jsonLines(rows: readonly BenchRow[], info: Pick<RunInfo, "commit" | "cpu">): string {
  return rows.map((r) => JSON.stringify({ ...r, commit: info.commit, cpu: info.cpu })).join("\n");
}

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

/**
 * Horizontal grouped bar chart (SVG): one panel per phase with its own scale, one pair of bars
 * (ours, llama.cpp) per model/quant/threads; a missing figure is written as text.
 */
export function svgChart(rows: readonly BenchRow[], title: string): string {
  const W = 760, labelW = 230, barH = 11, gap = 8, valueW = 150;
  const plotW = W - labelW - valueW;
  const colours = { ours: "#2f7ed8", llamacpp: "#f28f43" };
  const parts: string[] = [];
  let y = 48;
  for (const phase of [...new Set(rows.map((r) => r.phase))]) {
    const panel = rows.filter((r) => r.phase === phase);
    const max = Math.max(1e-9, ...panel.flatMap((r) => [r.ours_tps ?? 0, r.llamacpp_tps ?? 0]));
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(phase)} (tokens/s)</text>`);
    y += 10;
    for (const r of panel) {
      parts.push(`<text x="${labelW - 6}" y="${y + barH + 4}" text-anchor="end">${escapeXml(`${r.model} ${r.quant} ${r.threads}T`)}</text>`);
      for (const [engine, value, note] of [["ours", r.ours_tps, r.ours_note], ["llamacpp", r.llamacpp_tps, r.llamacpp_note]] as const) {
        const w = value === null ? 0 : (plotW * value) / max;
        parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colours[engine]}"/>`);
        const label = value === null ? (note ?? "n/a") : value.toFixed(1);
        parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 2}" font-size="10">${escapeXml(label)}</text>`);
        y += barH + 1;
      }
      y += gap;
    }
    y += 16;
  }
  const legend =
    `<rect x="${labelW}" y="24" width="12" height="10" fill="${colours.ours}"/><text x="${labelW + 16}" y="33">ours</text>` +
    `<rect x="${labelW + 70}" y="24" width="12" height="10" fill="${colours.llamacpp}"/><text x="${labelW + 86}" y="33">llama.cpp</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    legend,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
