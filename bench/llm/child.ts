/**
 * Child process of the LLM benchmark: runs one {@link ChildJob} (given as JSON in argv[2]) on one
 * engine and prints its {@link ChildResult} on a prefixed stdout line. A process per job keeps each
 * engine's peak RSS its own.
 * @module
 */
import { runLlamaCpp } from "./llamacpp.js";
import { runOurs } from "./ours.js";
import { RESULT_PREFIX, type ChildJob } from "./protocol.js";

const job = JSON.parse(process.argv[2] ?? "{}") as ChildJob;
const result = job.engine === "ours" ? await runOurs(job) : await runLlamaCpp(job);
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
