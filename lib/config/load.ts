/**
 * Reading and validating configuration files.
 * @module
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { ConfigSchema, type Config } from "./schema.js";

/** Where a configuration came from, for error messages and relative paths. */
export interface ConfigSource {
  /** File name shown in errors (default `"config"`). */
  file?: string;
  /** Folder relative model paths resolve against (default: the file's folder, else the working directory). */
  baseDir?: string;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  return `${path || "(root)"}: ${issue.message}`;
}

/**
 * Validates a configuration object, fills in defaults and makes model paths absolute.
 * @throws {@link ConfigError} (`CONFIG_INVALID`) naming the file, each bad key path and what it expects.
 */
export function parseConfig(input: unknown, source: ConfigSource = {}): Config {
  const file = source.file ?? "config";
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map(describeIssue);
    throw new ConfigError("CONFIG_INVALID", `invalid configuration in ${file}:\n  ${lines.join("\n  ")}`);
  }
  const baseDir = source.baseDir ?? (source.file ? dirname(resolve(source.file)) : process.cwd());
  const config = result.data;
  for (const expert of config.experts) {
    if (expert.model_path !== undefined && !isAbsolute(expert.model_path)) expert.model_path = resolve(baseDir, expert.model_path);
    if (expert.mmproj_path !== null && !isAbsolute(expert.mmproj_path)) expert.mmproj_path = resolve(baseDir, expert.mmproj_path);
  }
  return config;
}

/**
 * Reads and validates a JSON configuration file.
 * @throws {@link ConfigError} (`CONFIG_INVALID`) when the file is unreadable, not JSON or invalid.
 */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError("CONFIG_INVALID", `cannot read configuration ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError("CONFIG_INVALID", `configuration ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(json, { file });
}
