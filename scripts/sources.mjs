#!/usr/bin/env node
// The one list of native sources, by group. binding.gyp calls this (`<!@(node scripts/sources.mjs core)`)
// and CMakeLists.txt includes its `cmake` output, so the two builds cannot compile different files.
// A group is a set of folders; every .cpp in them belongs to the group (sorted, repo-relative).
import { readdirSync, existsSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Folders per group; each ISA group is compiled with its own flags. */
export const GROUPS = {
  core: [
    "native/common",
    "native/kernels",
    "native/gguf",
    "native/tokenizer",
    "native/model",
    "native/model/arch",
    "native/runtime",
    "native/grammar",
    "native/vision",
  ],
  scalar: ["native/kernels/scalar"],
  avx2: ["native/kernels/avx2"],
  avx512: ["native/kernels/avx512"],
  neon: ["native/kernels/neon"],
  addon: ["native/addon"],
};

/** Sorted repo-relative .cpp files of a group (folders are not recursed: each folder is listed). */
export function sources(group) {
  const dirs = GROUPS[group];
  if (!dirs) throw new Error(`unknown source group '${group}' (known: ${Object.keys(GROUPS).join(", ")})`);
  const out = [];
  for (const dir of dirs) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith(".cpp")) out.push(relative(root, join(abs, e.name)).split("\\").join("/"));
    }
  }
  return out.sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  if (arg === "cmake") {
    for (const g of Object.keys(GROUPS)) {
      const files = sources(g).map((f) => `"\${CAPIBARA_ROOT}/${f}"`);
      process.stdout.write(`set(CAPIBARA_${g.toUpperCase()}_SOURCES ${files.join(" ")})\n`);
    }
  } else {
    // gyp expands `<!@(...)` by splitting on whitespace; paths are relative to binding.gyp.
    process.stdout.write(sources(arg).join(" ") + "\n");
  }
}
