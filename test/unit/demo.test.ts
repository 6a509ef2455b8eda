// The built-in demo as `capibara serve` builds it: five random-weight GGUF files with the shipped
// real vocabularies, generated once into $CAPIBARA_CACHE/demo, loaded by the engine and served.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../lib/cli/main.js";
import { demoCacheDir, DEMO_EXPERTS, DEMO_VERSION, type LocalConfig } from "../../lib/config/index.js";
import { buildDemoModels, createDemoBuilder, type DemoBuildProgress } from "../../lib/demo/index.js";
import { loadModel } from "../../lib/engine/index.js";
import { packageRoot } from "../../lib/native.js";

const cache = mkdtempSync(join(tmpdir(), "capibara-demo-cache-"));
const saved = { cache: process.env.CAPIBARA_CACHE, config: process.env.CAPIBARA_CONFIG };
let config: LocalConfig;
let built: DemoBuildProgress[] = [];

beforeAll(async () => {
  process.env.CAPIBARA_CACHE = cache;
  delete process.env.CAPIBARA_CONFIG;
  config = await buildDemoModels(demoCacheDir(), { onProgress: (p) => built.push(p) });
}, 120_000);

afterAll(() => {
  for (const [k, v] of [["CAPIBARA_CACHE", saved.cache], ["CAPIBARA_CONFIG", saved.config]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(cache, { recursive: true, force: true });
});

const until = async (cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("built-in demo", () => {
  it("writes one versioned GGUF per architecture into $CAPIBARA_CACHE/demo, and reuses them", async () => {
    expect(built.filter((p) => p.phase === "built").map((p) => p.arch)).toEqual(DEMO_EXPERTS.map((e) => e.arch));
    expect(config.experts.map((e) => basename(e.model_path))).toEqual(DEMO_EXPERTS.map((e) => `${e.arch}.v${DEMO_VERSION}.gguf`));
    expect(config.experts.every((e) => e.model_path.startsWith(join(cache, "demo")))).toBe(true);
    expect(config.experts.map((e) => e.mmproj_path && basename(e.mmproj_path))).toEqual(
      DEMO_EXPERTS.map((e) => (e.domain === "multimodal_expert" ? `${e.arch}.mmproj.v${DEMO_VERSION}.gguf` : null)),
    );
    const mtimes = config.experts.map((e) => statSync(e.model_path).mtimeMs);
    built = [];
    await buildDemoModels(demoCacheDir(), { onProgress: (p) => built.push(p) });
    expect(built).toEqual([]);
    expect(config.experts.map((e) => statSync(e.model_path).mtimeMs)).toEqual(mtimes);
  });

  it("an aborted build stops with ABORTED before writing anything", async () => {
    const dir = join(cache, "aborted");
    const ac = new AbortController();
    ac.abort();
    await expect(buildDemoModels(dir, { signal: ac.signal })).rejects.toMatchObject({ code: "CONFIG_INVALID", cause: { code: "ABORTED" } });
    expect(DEMO_EXPERTS.some((e) => existsSync(join(dir, `${e.arch}.v${DEMO_VERSION}.gguf`)))).toBe(false);
  });

  it("each model loads and has a real vocabulary: whole-word tokens that round-trip", async () => {
    for (const e of config.experts) {
      const model = await loadModel(e.model_path);
      try {
        const ids = model.tokenize("Hello world", { addSpecial: false });
        // Byte-level or byte-fallback tokenization would need 11 tokens; a real vocabulary has both words.
        expect(ids.length, e.name).toBeLessThanOrEqual(3);
        expect(model.detokenize(ids).trimStart(), e.name).toBe("Hello world");
        expect(model.info.vocabSize, e.name).toBeGreaterThanOrEqual(32000);
      } finally {
        await model.close();
      }
    }
  }, 60_000);

  it("`capibara serve` with no config serves the five demo experts and says they are noise", async () => {
    const log = join(cache, "serve.log");
    const done = buildProgram({ demoBuilder: createDemoBuilder() }).parseAsync(["serve", "--host", "127.0.0.1", "--port", "0", "--log-file", log], { from: "user" });
    await until(() => existsSync(log) && readFileSync(log, "utf8").includes("capibara listening"));
    const lines = readFileSync(log, "utf8").split("\n");
    expect(lines.find((l) => l.includes("built-in DEMO"))).toMatch(/RANDOM WEIGHTS.*NOISE/);
    const { url } = JSON.parse(lines.find((l) => l.includes("capibara listening"))!) as { url: string };
    try {
      const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(DEMO_EXPERTS.map((e) => e.name)));
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "qwen_coder", max_tokens: 3, messages: [{ role: "user", content: "Hello world" }] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model: string; choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
      expect(body.model).toBe("qwen_coder");
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeLessThanOrEqual(3);
      expect(typeof body.choices[0]!.message.content).toBe("string");
      // The demo multimodal expert has a random vision projector: images work end to end.
      const png = await sharp(Buffer.alloc(30 * 20 * 3, 90), { raw: { width: 30, height: 20, channels: 3 } }).png().toBuffer();
      const ask = (url: string) =>
        fetch(`${url0}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ max_tokens: 2, messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url } }] }] }),
        });
      const url0 = url;
      const image = await ask(`data:image/png;base64,${png.toString("base64")}`);
      expect(image.status).toBe(200);
      expect(((await image.json()) as { model: string }).model).toBe("gemma3_multimodal");
      const bad = await ask(`data:image/png;base64,${Buffer.from("not an image").toString("base64")}`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_image");
      const remote = await ask("http://127.0.0.1:1/x.png");
      expect(remote.status).toBe(400);
      expect(((await remote.json()) as { error: { message: string } }).error.message).toMatch(/allow_remote_images/);
    } finally {
      process.emit("SIGTERM");
      await done;
    }
  }, 60_000);

  it("the packed package ships the demo vocabularies", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packageRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["data/demo/llama2-spm.json.gz", "data/demo/qwen2-bpe.json.gz"]));
  }, 60_000);
});
