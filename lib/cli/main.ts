#!/usr/bin/env node
/**
 * The `capibara` command: `serve`, `chat`, `route`, `inspect` and `bench`.
 * @module
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { createDemoBuilder } from "../demo/build.js";
import { CapibaraError } from "../errors.js";
import { packageRoot } from "../native.js";
import { registerBenchCommand } from "./bench.js";
import { registerChatCommand } from "./chat.js";
import type { CliContext } from "./common.js";
import { registerInspectCommand } from "./inspect.js";
import { registerRouteCommand } from "./route.js";
import { registerServeCommand } from "./serve.js";

/** Builds the CLI; `ctx` injects an engine or demo builder (tests, embedding programs). */
export function buildProgram(ctx: CliContext = {}): Command {
  const { version } = JSON.parse(readFileSync(`${packageRoot}/package.json`, "utf8")) as { version: string };
  const program = new Command()
    .name("capibara")
    .description("five expert LLMs behind a semantic router, in-process or over an OpenAI-compatible HTTP API")
    .version(version);
  registerServeCommand(program, ctx);
  registerChatCommand(program, ctx);
  registerRouteCommand(program);
  registerInspectCommand(program);
  registerBenchCommand(program, ctx);
  return program;
}

/** Runs the CLI on `argv`; typed errors print their code and message, without a stack trace. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    // With no config, serve/chat/bench build the demo models on first use (a few seconds, once).
    const demoBuilder = createDemoBuilder({
      onProgress: (p) => {
        if (p.phase === "building") process.stderr.write(`capibara: generating the ${p.arch} demo model (random weights, once)\n`);
      },
    });
    await buildProgram({ demoBuilder }).parseAsync([...argv]);
  } catch (err) {
    if (!(err instanceof CapibaraError)) throw err;
    process.stderr.write(`capibara: ${err.code}: ${err.message}\n`);
    process.exitCode = 1;
  }
}

// Run only when executed as the `capibara` binary, not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
