// `npm run fuzz:gguf [-- --iterations N --seed S]` (run with tsx): fuzzes the native GGUF reader.
//  1. writes seed files with the TS GgufWriter (tensors quantised by the addon, so build it first);
//  2. builds test/fuzz/gguf_fuzz.cpp with the reader under -fsanitize=address,undefined;
//  3. runs the mutation loop in-process over the seeds (default 100,000 iterations).
// A sanitizer report or broken invariant exits non-zero and saves the input under build/fuzz/.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GgufWriter } from "../lib/gguf/writer.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "fuzz");
const { values: args } = parseArgs({
  options: { iterations: { type: "string", default: "100000" }, seed: { type: "string", default: "1" } },
});

function run(cmd: string, argv: string[], label: string): void {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`fuzz:gguf: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "seeds"), { recursive: true });

// 1. Seeds from our writer.
function rand(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

interface SeedOptions {
  alignment?: number;
  vocab?: number;
  withTensors?: boolean;
}

function seedFile(name: string, { alignment, vocab = 8, withTensors = true }: SeedOptions = {}): GgufWriter {
  const r = rand(name.length);
  const w = new GgufWriter(alignment ? { alignment } : {});
  w.setString("general.architecture", "llama").setString("general.name", name);
  w.setU32("llama.context_length", 4096).setF32("llama.rope.freq_base", 10000).setBool("x.flag", true);
  w.setU8("x.u8", 7).setI8("x.i8", -7).setU16("x.u16", 700).setI16("x.i16", -700).setI32("x.i32", -70000);
  w.setU64("x.u64", 1n << 40n).setI64("x.i64", -(1n << 40n)).setF64("x.f64", Math.PI);
  w.setString("tokenizer.ggml.model", "gpt2");
  w.setArray("tokenizer.ggml.tokens", "string", Array.from({ length: vocab }, (_, i) => `t${i}`));
  w.setArray("tokenizer.ggml.scores", "f32", Array.from({ length: vocab }, () => r()));
  w.setArray("tokenizer.ggml.token_type", "i32", Array.from({ length: vocab }, () => 1));
  w.setArray("tokenizer.ggml.merges", "string", ["t 1", "t 2"]);
  w.setArray("x.nested", "array", [{ type: "u16", values: [1, 2] }, { type: "array", values: [{ type: "bool", values: [true] }] }]);
  if (withTensors) {
    const floats = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
    w.addTensor("token_embd.weight", { type: "f16", shape: [32, vocab], data: floats(32 * vocab) });
    w.addTensor("blk.0.attn_norm.weight", { type: "f32", shape: [32], data: floats(32) });
    w.addTensor("blk.0.attn_q.weight", { type: "bf16", shape: [32, 4], data: floats(128) });
    w.addTensor("blk.0.ffn_up.weight", { type: "q8_0", shape: [64, 2], data: floats(128) });
    w.addTensor("blk.0.ffn_down.weight", { type: "q4_0", shape: [32, 2], data: floats(64) });
    w.addTensor("blk.0.ffn_gate.weight", { type: "q4_K", shape: [256], data: floats(256) });
    w.addTensor("blk.0.attn_v.weight", { type: "q5_K", shape: [256], data: floats(256) });
    w.addTensor("output.weight", { type: "q6_K", shape: [256, 1, 1], data: floats(256) });
    w.addTensor("blk.0.attn_k.weight", { type: "q2_K", shape: [256], data: bytes(84) }); // pre-encoded bytes
    w.addTensor("blk.1.attn_q.weight", { type: "q4_1", shape: [32, 2], data: floats(64) });
    w.addTensor("blk.1.attn_k.weight", { type: "q5_0", shape: [64], data: floats(64) });
    w.addTensor("blk.1.attn_v.weight", { type: "q5_1", shape: [32, 3], data: floats(96) });
    w.addTensor("blk.1.ffn_up.weight", { type: "iq4_nl", shape: [32, 2], data: floats(64) });
    w.addTensor("blk.1.ffn_down.weight", { type: "iq4_xs", shape: [256], data: floats(256) });
    w.addTensor("blk.1.ffn_gate.weight", { type: "iq2_xxs", shape: [256], data: bytes(66) }); // no kernels: bytes
  }
  return w;
}

const seeds: [string, SeedOptions][] = [
  ["all-types", {}],
  ["aligned-64", { alignment: 64 }],
  ["aligned-8", { alignment: 8 }],
  ["vocab-only", { withTensors: false, vocab: 40 }],
];
const seedPaths: string[] = [];
for (const [name, opts] of seeds) {
  const p = join(out, "seeds", `${name}.gguf`);
  await seedFile(name, opts).write(p);
  seedPaths.push(p);
}

// 2. Sanitized driver.
const bin = join(out, "gguf_fuzz");
const cxx = process.env.CXX || "g++";
console.log(`fuzz:gguf: building ${bin} with ${cxx} -fsanitize=address,undefined`);
run(cxx, ["-std=c++17", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
  "-fno-omit-frame-pointer", "-Inative", "-Itest/fuzz", "test/fuzz/gguf_fuzz.cpp", "native/gguf/reader.cpp",
  "native/common/status.cpp", "native/common/ggml_type.cpp", "-o", bin], "building the fuzz driver");

// 3. Run.
run(bin, ["--iterations", args.iterations!, "--seed", args.seed!, "--crash-dir", out, ...seedPaths], "fuzzing");
