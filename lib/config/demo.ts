/**
 * The embedded demo: five tiny experts, one per supported architecture, with random weights and
 * real tokenizer vocabularies. They are generated once into a cache folder and reused. Their output
 * is noise: they exist so that `capibara serve` works out of the box and shows the system's
 * behaviour (routing, lazy loading, streaming) before real GGUF files are configured.
 * @module
 */
import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { parseConfig } from "./load.js";
import type { LocalConfig } from "./schema.js";

/**
 * The demo experts: one router domain and one architecture each, under the names of the original
 * Python system's five experts, so its documented commands (`"model": "aya_expanse_multilingual"`) work.
 */
export const DEMO_EXPERTS = [
  { name: "phi4_fast", domain: "general", arch: "phi3", priority: 1 },
  { name: "mistral_balanced", domain: "technical", arch: "llama", priority: 2 },
  { name: "qwen_coder", domain: "coding", arch: "qwen2", priority: 2 },
  { name: "gemma3_multimodal", domain: "multimodal_expert", arch: "gemma3", priority: 3 },
  { name: "aya_expanse_multilingual", domain: "multilingual_expert", arch: "command-r", priority: 3 },
] as const;

/** An architecture of the demo. */
export type DemoArch = (typeof DEMO_EXPERTS)[number]["arch"];

/**
 * Writes a random-weight GGUF of an architecture into `dir` and returns its path; `mmproj`, when
 * present, writes the multimodal expert's random vision projector the same way.
 */
export type DemoModelBuilder = ((arch: DemoArch, dir: string) => Promise<string>) & { mmproj?: (dir: string) => Promise<string> };

/** Version of the demo models, in their file names: bump it when the recipes or vocabularies change, so caches are rebuilt. */
export const DEMO_VERSION = 2;

/** `$CAPIBARA_CACHE/demo`, else `$XDG_CACHE_HOME/capibara/demo`, else `~/.cache/capibara/demo`. */
export function demoCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CAPIBARA_CACHE) return join(env.CAPIBARA_CACHE, "demo");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "capibara", "demo");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
}

/**
 * Makes sure the five demo models exist in `cacheDir` (building the missing ones) and returns the
 * demo configuration. A model is built in a temporary folder and renamed into place, so an
 * interrupted build never leaves a truncated file behind.
 * @throws {@link ConfigError} (`CONFIG_INVALID`) when a model cannot be built.
 */
export async function demoConfig(build: DemoModelBuilder, cacheDir: string = demoCacheDir()): Promise<LocalConfig> {
  await mkdir(cacheDir, { recursive: true });
  const experts = [];
  // Built in a private folder and renamed into place.
  const ensure = async (path: string, what: string, write: (dir: string) => Promise<string>) => {
    if (await exists(path)) return;
    const tmp = await mkdtemp(join(cacheDir, `.build-${what}-`));
    try {
      await rename(await write(tmp), path);
    } catch (err) {
      throw new ConfigError("CONFIG_INVALID", `cannot build the demo model for ${what} in ${cacheDir}: ${(err as Error).message}`, { cause: err });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };
  for (const e of DEMO_EXPERTS) {
    const model_path = join(cacheDir, `${e.arch}.v${DEMO_VERSION}.gguf`);
    await ensure(model_path, e.arch, (dir) => build(e.arch, dir));
    let mmproj_path: string | null = null;
    if (e.domain === "multimodal_expert" && build.mmproj) {
      mmproj_path = join(cacheDir, `${e.arch}.mmproj.v${DEMO_VERSION}.gguf`);
      await ensure(mmproj_path, `${e.arch}-mmproj`, build.mmproj);
    }
    experts.push({
      name: e.name,
      domain: e.domain,
      model_path,
      mmproj_path,
      priority: e.priority,
      description: `demo ${e.arch} model with random weights (its output is noise)`,
      sampling: { max_tokens: 64 },
    });
  }
  return parseConfig({ experts, lazy_loading: { max_loaded_experts: 5, auto_unload_after_s: 300 } }, { file: "(built-in demo)" }) as LocalConfig;
}
