/**
 * Runs measuring children: one process per engine, file and thread count, in alternating order.
 * @module
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../../lib/errors.js";
import { RESULT_PREFIX, type ChildJob, type ChildResult } from "./protocol.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const CHILD = join(here, "child.ts");
/** Longest a child may run (a 1.5 B model at one thread on a loaded machine is slow). */
const CHILD_TIMEOUT_MS = 20 * 60_000;
/** Tail of a failed child's stderr kept for the report. */
const STDERR_TAIL = 2000;

/** Runs one job in a fresh Node process (through tsx) and returns its result. */
export function runChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(job)], {
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
