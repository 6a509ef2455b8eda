/**
 * What the CLI commands share: the logger, opening the system from `--config` (or the demo), and
 * progress bars for model loads.
 * @module
 */
import { existsSync } from "node:fs";
import cliProgress from "cli-progress";
import { destination, pino, type Logger } from "pino";
import { demoCacheDir, demoConfig, type DemoModelBuilder } from "../config/index.js";
import { ConfigError } from "../errors.js";
import type { LoadModelFn, LoaderEvent } from "../loader/index.js";
import { createSystem, type CapibaraSystem } from "../system.js";

/** Options every system-opening command accepts. */
export interface SystemCliOptions {
  config?: string;
  logFile?: string;
  logLevel?: string;
  progress?: boolean;
}

/** Hooks the CLI is built with. */
export interface CliContext {
  /** Builds the demo models when no config is given (the GGUF writer with the architecture recipes). */
  demoBuilder?: DemoModelBuilder;
  /** Engine override (tests, benches); the real engine otherwise. */
  loadModel?: LoadModelFn;
  /** Where `chat` reads and writes (default: the process's stdin and stdout). */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Structured logs (pino, JSON lines) to stdout, or appended to `--log-file`. */
export function createCliLogger(options: SystemCliOptions, fallbackLevel = "info"): Logger {
  const dest = options.logFile ? destination({ dest: options.logFile, mkdir: true, append: true }) : destination(1);
  return pino({ level: options.logLevel ?? fallbackLevel, base: { pid: process.pid } }, dest);
}

/** The config file to use: `--config`, `$CAPIBARA_CONFIG`, or `./config.json` when present (the Python server's habit). */
export function configPath(options: SystemCliOptions): string | undefined {
  return options.config ?? process.env.CAPIBARA_CONFIG ?? (existsSync("config.json") ? "config.json" : undefined);
}

/**
 * Opens the system from the config file, or the built-in demo when there is none.
 * @throws {@link ConfigError} for an invalid config, or when the demo cannot be built.
 */
export async function openSystem(options: SystemCliOptions, logger: Logger, ctx: CliContext): Promise<CapibaraSystem> {
  const file = configPath(options);
  const systemOptions = { logger, loadModel: ctx.loadModel };
  if (file) return createSystem(file, systemOptions);
  if (!ctx.demoBuilder) {
    throw new ConfigError("CONFIG_INVALID", "no configuration given and this build cannot generate the demo models: pass --config <file> (see examples/ in the package)");
  }
  const cacheDir = demoCacheDir();
  logger.info(
    { cacheDir },
    "no configuration given: serving the built-in DEMO experts. They have RANDOM WEIGHTS: their output is NOISE (meaningless text). Pass --config <file> with real GGUF models for real answers",
  );
  return createSystem(await demoConfig(ctx.demoBuilder, cacheDir), systemOptions);
}

/** Shows one progress bar per model load on stderr (only on a terminal); returns a function removing them. */
export function attachLoadProgress(system: CapibaraSystem): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const multi = new cliProgress.MultiBar(
    { format: " {expert} [{bar}] {state} {duration_formatted}", hideCursor: true, clearOnComplete: false, stopOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const onEvent = (ev: LoaderEvent): void => {
    // The engine reports no fraction while it loads, so a bar is empty until the load ends.
    if (ev.type === "loading") bars.set(ev.expert, multi.create(1, 0, { expert: ev.expert.padEnd(20), state: "loading" }));
    const bar = bars.get(ev.expert);
    if (!bar) return;
    if (ev.type === "waiting") bar.update(0, { state: "waiting for memory" });
    if (ev.type === "loaded" || ev.type === "load_failed" || ev.type === "load_cancelled") {
      bar.update(ev.type === "loaded" ? 1 : 0, { state: ev.type.replace("_", " ") });
      bar.stop();
      bars.delete(ev.expert);
    }
  };
  system.loader.on("event", onEvent);
  return () => {
    system.loader.off("event", onEvent);
    multi.stop();
  };
}
