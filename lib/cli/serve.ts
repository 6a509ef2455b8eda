/**
 * `capibara serve`: the OpenAI-compatible server, started as the Python one was
 * (`--host 0.0.0.0 --port 8082 --config config.json`).
 * @module
 */
import type { Command } from "commander";
import { startServer } from "../server/index.js";
import { attachLoadProgress, createCliLogger, openSystem, type CliContext, type SystemCliOptions } from "./common.js";

/** Parses a command-line integer in [min, max]. */
export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

interface ServeOptions extends SystemCliOptions {
  host?: string;
  port?: number;
  apiKey?: string;
  drainTimeout: number;
}

/** Adds `serve` to a commander program. The action resolves once the server has shut down (SIGINT / SIGTERM). */
export function registerServeCommand(program: Command, ctx: CliContext = {}): Command {
  return program
    .command("serve")
    .description("serve the five experts over an OpenAI-compatible HTTP API")
    .option("-c, --config <file>", "configuration file (default: $CAPIBARA_CONFIG, ./config.json, else the built-in demo)")
    .option("--host <host>", "interface to bind (default: the config's, else 127.0.0.1)")
    .option("-p, --port <port>", "port (default: the config's, else 8082)", intOption(0, 65535))
    .option("--api-key <key>", "require Authorization: Bearer <key> (default: $CAPIBARA_API_KEY or the config's)")
    .option("--log-file <file>", "append JSON logs to this file instead of stdout")
    .option("--log-level <level>", "trace, debug, info, warn, error or silent", "info")
    .option("--drain-timeout <s>", "on SIGTERM / SIGINT, seconds to let running generations finish (a second signal stops at once)", intOption(0, 86_400), 30)
    .action(async (opts: ServeOptions) => {
      const logger = createCliLogger(opts);
      const system = await openSystem(opts, logger, ctx);
      const detach = attachLoadProgress(system);
      const server = await startServer(system, { host: opts.host, port: opts.port, apiKey: opts.apiKey ?? process.env.CAPIBARA_API_KEY, logger });
      logger.info({ url: server.url, experts: system.registry.names }, `capibara listening on ${server.url}`);
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          process.once("SIGINT", now);
          process.once("SIGTERM", now);
          logger.info({ signal, drainTimeoutS: opts.drainTimeout }, "shutting down: finishing running generations");
          void server.drain(opts.drainTimeout * 1000).finally(() => {
            process.off("SIGINT", now);
            process.off("SIGTERM", now);
            detach();
            // Logs go through an asynchronous destination: write out what is buffered before returning.
            logger.flush(() => resolve());
          });
        };
        const now = (signal: NodeJS.Signals): void => {
          logger.info({ signal }, "shutting down now: aborting running generations");
          void system.close();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
