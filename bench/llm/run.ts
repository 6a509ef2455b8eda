/**
 * Runs measuring children: one process per engine, file and thread count, in alternating order.
 * @module
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { InternalError } from "../../lib/errors.js";
import { RESULT_PREFIX, type ChildJob, type ChildResult } from "./protocol.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
/** Where the child is bundled: under the package root, so its bare imports resolve from node_modules. */
const CHILD_DIR = join(root, ".cache/bench/child");
/** Longest a child may run (a 1.5 B model at one thread on a loaded machine is slow). */
const CHILD_TIMEOUT_MS = 20 * 60_000;
/** Tail of a failed child's stderr kept for the report. */
const STDERR_TAIL = 2000;

let bundled: Promise<string> | undefined;

/**
 * Bundles child.ts into plain ESM once per run, so children start on bare Node: a TypeScript loader
 * (tsx) would add about 36 MiB to every child's peak RSS. Code splitting keeps each engine's module a
 * separate chunk that only its own children load.
 */
function childEntry(): Promise<string> {
  if (!bundled) rmSync(CHILD_DIR, { recursive: true, force: true });  // chunk names change with content
  bundled ??= build({
    entryPoints: [join(here, "child.ts")],
    outdir: CHILD_DIR,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: `node${process.versions.node.split(".")[0]}`,
    packages: "external",
    logLevel: "error",
  }).then(() => join(CHILD_DIR, "child.mjs"));
  return bundled;
}

/** Runs one job in a fresh Node process and returns its result. */
export async function runChild(job: ChildJob): Promise<ChildResult> {
  const entry = await childEntry();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, JSON.stringify(job)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-STDERR_TAIL)));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new InternalError("INTERNAL", `${job.engine} child failed (${why}): ${err.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}
