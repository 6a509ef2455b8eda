// The built-in demo with the real architecture recipes (test/fixtures): five random-weight GGUF
// files, one per architecture, built once into the cache and served by domain.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoConfig, DEMO_EXPERTS, type DemoArch } from "../../lib/config/index.js";
import { inspectGguf } from "../../lib/gguf/index.js";
import { ExpertRegistry } from "../../lib/registry/index.js";
import { buildModel } from "../fixtures/recipes.js";

const cache = mkdtempSync(join(tmpdir(), "capibara-demo-"));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const build = (arch: DemoArch, dir: string) => buildModel(arch, "f16", { dir });

describe("built-in demo", () => {
  it("builds one GGUF per architecture into the cache, once, and maps each router domain to one", async () => {
    const config = await demoConfig(build, cache);
    for (const [i, e] of DEMO_EXPERTS.entries()) {
      const info = await inspectGguf(config.experts[i]!.model_path);
      expect(info.architecture).toBe(e.arch);
      expect(info.tokenizer.vocabSize).toBeGreaterThan(0);
    }
    const mtimes = config.experts.map((e) => statSync(e.model_path).mtimeMs);
    const again = await demoConfig(build, cache);
    expect(again.experts.map((e) => statSync(e.model_path).mtimeMs)).toEqual(mtimes);
    const registry = new ExpertRegistry(config);
    expect(["general", "technical", "coding", "multimodal_expert", "multilingual_expert"].map((d) => registry.forDomain(d)?.name)).toEqual(
      DEMO_EXPERTS.map((e) => e.name),
    );
  });
});
