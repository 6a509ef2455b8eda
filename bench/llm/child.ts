/**
 * Child process of the LLM benchmark: runs one {@link ChildJob} (given as JSON in argv[2]) on one
 * engine and prints its {@link ChildResult} on a prefixed stdout line. A process per job keeps each
 * engine's peak RSS its own; each engine's module is imported only in its own children, since
 * node-llama-cpp's JavaScript alone adds about 39 MiB to a process.
 * @module
 */
import { RESULT_PREFIX, type ChildJob } from "./protocol.js";

const job = JSON.parse(process.argv[2] ?? "{}") as ChildJob;
const result = job.engine === "ours" ? await (await import("./ours.js")).runOurs(job) : await (await import("./llamacpp.js")).runLlamaCpp(job);
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
