#!/usr/bin/env node
// Static speed check of the NEON packed GEMV/GEMM hot loops on Neoverse V2 (Google Axion) without the
// hardware: compiles each kernel file to assembly with the cross compiler and the flags of the real build,
// finds every innermost loop that multiplies (SDOT / SMMLA), i.e. one block of a row group for one token
// tile, and runs llvm-mca on it. Prints a markdown table: mca's simulated cycles per loop iteration (=
// per block), the bound set by the instructions' throughput alone (the busiest pipe group's micro-ops over
// its units, see runMca), the share of that bound reached, and the bound of the multiply instructions alone.
// Exits 1 if a loop reaches less than 70 % of its bound. Needs g++-aarch64-linux-gnu and Debian's llvm-19.
//   node scripts/mca-neon.mjs [--mca llvm-mca-19] [--cxx aarch64-linux-gnu-g++]
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const mca = arg("--mca", "llvm-mca-19");
const cxx = arg("--cxx", "aarch64-linux-gnu-g++");
const MIN_SHARE = 0.7;
// Kernel files (4-row groups) and, per multiply instruction, the tokens one of them covers in a loop
// iteration: a 32-element block (Q4_0 / Q8_0: SDOT 8 per row group and token, SMMLA 8 per row group and
// token pair) or, for the K-quants, a 64-element part of the super-block (16 SDOT per token, 16 SMMLA
// per token pair).
const ROWS = 4;
const FILES = [
  { file: "native/kernels/neon/gemm_packed.cpp", macs: { sdot: 1 / 8 } },
  { file: "native/kernels/neon/gemm_packed_i8mm.cpp", macs: { sdot: 1 / 8, smmla: 1 / 4 } },
  { file: "native/kernels/neon/gemm_packed_k.cpp", macs: { sdot: 1 / 16 } },
  { file: "native/kernels/neon/gemm_packed_k_i8mm.cpp", macs: { smmla: 1 / 8 } },
];
const MAC_NAMES = ["sdot", "smmla"];
// Throughput of one multiply instruction class on Neoverse V2 (4 vector pipes, all of them execute
// SDOT and SMMLA: the LLVM scheduling model agrees, RThroughput 0.25).
const MAC_PER_CYCLE = 4;

function sh(cmd, args, input) {
  const r = spawnSync(cmd, args, { cwd: root, input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

// The same flags as CMakeLists.txt gives the neon group (base ARMv8-A; SDOT/SMMLA come from inline asm).
function assemble(file) {
  return sh(cxx, ["-O3", "-std=c++17", "-fPIC", "-I", "native", "-S", "-o", "-", file]);
}

// Functions of the asm text: { name, lines }.
function functions(asm) {
  const out = [];
  let cur = null;
  for (const line of asm.split("\n")) {
    const m = /^([A-Za-z_][\w.$]*):\s*$/.exec(line);
    if (m && !m[1].startsWith(".")) {
      cur = { name: m[1], lines: [] };
      out.push(cur);
    } else if (cur) {
      if (/^\s*\.size\s/.test(line)) cur = null;
      else cur.lines.push(line);
    }
  }
  return out;
}

const macOf = (s) => MAC_NAMES.find((m) => s.startsWith(m + " "));
const isInstr = (l) => /^\s+[a-z]/.test(l) && !/^\s+\./.test(l);
const branchTarget = (l) =>
  /^\s+(?:b\.?(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)?|cbn?z\s+\w+,|tbn?z\s+\w+,\s*#?\d+,)\s*(\.L\w+)\s*$/.exec(l)?.[1];

// GNU as accepts a byte immediate sign-extended to 64 bits (GCC prints `movi v0.16b, 0xffffffffffffffaa`
// for 0xAA); llvm-mca wants the byte.
const llvmSyntax = (s) => s.replace(/^(movi\s+v\d+\.(?:8|16)b,\s*)0xffffffffffffff([0-9a-f]{2})$/, "$10x$2");

// Innermost loops (a label and the backward branch to it, with no other backward branch between)
// that contain the multiply instruction: the instructions of one iteration.
function hotLoops(fn) {
  const labelAt = new Map();
  fn.lines.forEach((l, i) => {
    const m = /^(\.L\w+):/.exec(l);
    if (m) labelAt.set(m[1], i);
  });
  const loops = [];
  fn.lines.forEach((l, j) => {
    const t = branchTarget(l);
    if (!t || !labelAt.has(t) || labelAt.get(t) > j) return;
    const i = labelAt.get(t);
    const body = fn.lines.slice(i + 1, j + 1);
    const inner = body.slice(0, -1).some((b) => {
      const bt = branchTarget(b);
      return bt && labelAt.has(bt) && labelAt.get(bt) > i && labelAt.get(bt) < j;
    });
    const instrs = body.filter(isInstr).map((s) => llvmSyntax(s.trim()));
    if (!inner && instrs.some(macOf)) loops.push(instrs);
  });
  return loops;
}

// Pipe groups of Neoverse V2 in LLVM's model whose units are interchangeable for the kernels' instructions.
const PIPE_GROUPS = { vector: /^V2UnitV\d$/, load: /^V2UnitL(01|2)$/, integer: /^V2Unit[SM]\d$/, branch: /^V2UnitB$/ };

// Simulated cycles per iteration, and the throughput bound: for each pipe group, the cycles its units
// are busy per iteration (mca's resource pressure, i.e. every instruction's micro-ops on the pipes that
// can run them) over the number of units; the busiest group bounds any schedule from below.
function runMca(instrs) {
  const text = sh(mca, ["-mtriple=aarch64", "-mcpu=neoverse-v2", "-mattr=+dotprod,+i8mm", "-iterations=300"], instrs.join("\n") + "\n");
  const num = (re) => Number(re.exec(text)?.[1]);
  const units = new Map();  // "[3.1]" -> "V2UnitL01"
  for (const m of text.matchAll(/^\[(\d+)(?:\.(\d+))?\]\s+-\s+(\w+)$/gm)) units.set(`[${m[1]}${m[2] ? "." + m[2] : ""}]`, m[3]);
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Resource pressure per iteration:"));
  const names = lines[at + 1].trim().split(/\s+/);
  const values = lines[at + 2].trim().split(/\s+/).map((v) => (v === "-" ? 0 : Number(v)));
  let bound = 0;
  for (const re of Object.values(PIPE_GROUPS)) {
    const idx = names.map((n, i) => (re.test(units.get(n) ?? "") ? i : -1)).filter((i) => i >= 0);
    if (idx.length) bound = Math.max(bound, idx.reduce((a, i) => a + values[i], 0) / idx.length);
  }
  return { cycles: num(/Total Cycles:\s+(\d+)/) / num(/Iterations:\s+(\d+)/), bound };
}

// "q4_0 i8mm" from the public kernel's name; the SDOT kernels' tiles are functions of their own
// (tile<kQ4, T>, tile_q45_K<kQ5, T>, tile_q6_K<T>, tile_q23_K<kQ3, T>, tile_iq4_xs<T>), named by their
// template arguments.
function kernelName(name, file) {
  const ext = file.includes("i8mm") ? "i8mm" : "dotprod";
  const pub = /gemm_(q\d_[0K]|iq4_xs)_q8_[0K]_packed/.exec(name);
  if (pub) return `${pub[1]} ${ext}`;
  const tile = /4tileILb([01])E/.exec(name);
  if (tile) return `${tile[1] === "1" ? "q4_0" : "q8_0"} ${ext}`;
  const k = /tile_(q45_KILb([01])|q23_KILb([01])|q6_K|iq4_xs)/.exec(name);
  if (!k) return name;
  if (k[2] !== undefined) return `${k[2] === "1" ? "q5_K" : "q4_K"} ${ext}`;
  if (k[3] !== undefined) return `${k[3] === "1" ? "q3_K" : "q2_K"} ${ext}`;
  return `${k[1]} ${ext}`;
}

let failed = false;
const rows_ = []; // table rows, sorted by kernel and tile before printing
for (const { file, macs: perMac } of FILES) {
  for (const fn of functions(assemble(file))) {
    for (const instrs of hotLoops(fn)) {
      const macs = instrs.filter(macOf);
      const toks = Math.round(macs.reduce((a, s) => a + perMac[macOf(s)], 0));
      const kernel = `${kernelName(fn.name, file)} (${[...new Set(macs.map(macOf))].join(", ")})`;
      const { cycles, bound } = runMca(instrs);
      const share = bound / cycles;
      if (!(share >= MIN_SHARE)) failed = true;
      rows_.push({ kernel, toks, line:
        `| ${kernel} | ${ROWS} x ${toks} | ${instrs.length} | ${cycles.toFixed(2)} | ${bound.toFixed(2)} | ` +
        `${(100 * share).toFixed(0)} % | ${(macs.length / MAC_PER_CYCLE).toFixed(2)} | ${(cycles / (ROWS * toks)).toFixed(2)} |` });
    }
  }
}
rows_.sort((a, b) => a.kernel.localeCompare(b.kernel) || a.toks - b.toks);
console.log("| kernel | rows x tokens per loop | instructions | mca cycles/iteration | throughput bound | share | multiply-only bound | cycles per row and token |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows_) console.log(r.line);
if (failed) {
  console.error(`mca-neon: a loop reaches less than ${MIN_SHARE * 100} % of its throughput bound`);
  process.exit(1);
}
