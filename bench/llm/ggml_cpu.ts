/**
 * Which CPU backend llama.cpp runs, and a way to pin it. node-llama-cpp's prebuilt package ships one
 * `libggml-cpu-<variant>.so` per x86-64 level (haswell = AVX2 + FMA + F16C, skylakex, zen4, ...); ggml
 * loads every one in the binding's directory and keeps the best-scoring for this CPU. To emulate an
 * older machine, {@link prepareLlamaCppCpu} copies node-llama-cpp and its prebuilt package under
 * `.cache/bench/` with only the chosen CPU variant beside the binding (node_modules is never touched);
 * a child imports node-llama-cpp from there, and Node resolves its other dependencies from the
 * project's node_modules as usual. {@link loadedCpuVariant} reads which variant is mapped.
 * @module
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { basename, dirname, join, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "../../lib/errors.js";

const CPU_LIB = /^libggml-cpu-([\w-]+)\.so$/;
/** The prebuilt package of this platform (CPU build). */
const PREBUILT = `@node-llama-cpp/${platform()}-${arch()}`;

/** Root directory of an installed package, from its resolved entry point. */
function packageRoot(name: string, from: string): string {
  let dir = dirname(createRequire(from).resolve(name));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

/** The directory holding the prebuilt binding and its libggml-cpu-*.so variants. */
function binsDir(prebuiltRoot: string): string {
  return join(prebuiltRoot, "bins", `${platform()}-${arch()}`);
}

/** CPU variants the installed prebuilt package ships (`haswell`, `zen4`, ...), sorted. */
export function ggmlCpuVariants(root: string): string[] {
  let dir: string;
  try {
    dir = binsDir(packageRoot(PREBUILT, packageRoot("node-llama-cpp", join(root, "package.json")) + sep));
  } catch {
    return [];
  }
  return readdirSync(dir)
    .map((f) => CPU_LIB.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
}

/**
 * Copies node-llama-cpp and its prebuilt package to `<root>/.cache/bench/llamacpp-cpu/<variant>/`,
 * leaving out every other CPU variant (and the llama.cpp source bundle, used only to build), and
 * returns the file URL of that copy's entry module. Copies, not links, so nothing node-llama-cpp
 * might write at run time reaches node_modules.
 */
export function prepareLlamaCppCpu(root: string, variant: string): string {
  const known = ggmlCpuVariants(root);
  if (!known.includes(variant)) {
    const have = known.length ? known.join(", ") : `none (${PREBUILT} is not installed)`;
    throw new InvalidArgumentError("INVALID_ARGUMENT", `--llamacpp-cpu: unknown CPU variant '${variant}' (available: ${have})`);
  }
  const nlc = packageRoot("node-llama-cpp", join(root, "package.json"));
  const prebuilt = packageRoot(PREBUILT, nlc + sep);
  const modules = join(root, ".cache/bench/llamacpp-cpu", variant, "node_modules");
  rmSync(modules, { recursive: true, force: true });
  const nlcCopy = join(modules, "node-llama-cpp");
  cpSync(nlc, nlcCopy, { recursive: true, filter: (src) => basename(src) !== "gitRelease.bundle" });
  const bins = binsDir(prebuilt);
  cpSync(prebuilt, join(modules, PREBUILT), {
    recursive: true,
    filter: (src) => {
      const m = CPU_LIB.exec(basename(src));
      return !m || dirname(src) !== bins || m[1] === variant;
    },
  });
  const main = (JSON.parse(readFileSync(join(nlc, "package.json"), "utf8")) as { exports: { ".": { import: string } } }).exports["."].import;
  return pathToFileURL(join(nlcCopy, main)).href;
}

/** The libggml-cpu variant mapped into this process (`haswell`, `zen4`, ...), or null if none is. */
export function loadedCpuVariant(): string | null {
  const maps = (() => {
    try {
      return readFileSync("/proc/self/maps", "utf8");
    } catch {
      return "";
    }
  })();
  for (const line of maps.split("\n")) {
    const m = CPU_LIB.exec(basename(line.trim().split(/\s+/).slice(5).join(" ")));
    if (m) return m[1]!;
  }
  return null;
}
