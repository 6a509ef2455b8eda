import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../lib/config/index.js";
import { ConfigError } from "../../lib/errors.js";
import { packageRoot } from "../../lib/native.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const expert = (name: string, domain = "general") => ({ name, domain, model_path: `models/${name}.gguf` });

async function configError(p: Promise<unknown> | (() => unknown)): Promise<ConfigError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe("CONFIG_INVALID");
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("every example in examples/ is valid and has five experts", async () => {
    const files = readdirSync(join(packageRoot, "examples")).filter((f) => f.endsWith(".json"));
    expect(files.sort()).toEqual(["gateway.json", "low-latency.json", "memory-saving.json", "production.json"]);
    for (const f of files) {
      const cfg = await loadConfig(join(packageRoot, "examples", f));
      expect(cfg.experts, f).toHaveLength(5);
      expect(cfg.experts.map((e) => e.name), f).toEqual(["phi4_fast", "mistral_balanced", "qwen_coder", "gemma3_multimodal", "aya_expanse_multilingual"]);
      for (const e of cfg.experts) expect(e.url !== undefined || e.model_path!.startsWith(join(packageRoot, "examples", "models")), f).toBe(true);
    }
    const gateway = await loadConfig(join(packageRoot, "examples/gateway.json"));
    expect(gateway.experts.filter((e) => e.url).map((e) => e.name)).toEqual(["mistral_balanced", "gemma3_multimodal", "aya_expanse_multilingual"]);
    const mem = await loadConfig(join(packageRoot, "examples/memory-saving.json"));
    expect(mem.lazy_loading.max_loaded_experts).toBe(3);
    expect(mem.lazy_loading.auto_unload_after_s).toBe(180);
    const prod = await loadConfig(join(packageRoot, "examples/production.json"));
    expect(prod.lazy_loading.auto_unload_after_s).toBe(300);
    expect(prod.experts.map((e) => e.model_path!.split("/").pop())).toEqual([
      "phi-4-mini-instruct-Q4_K_M.gguf",
      "mistral-7b-instruct-v0.2.Q4_K_M.gguf",
      "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
      "gemma-3-27b-it-Q4_K_M.gguf",
      "aya-expanse-8b-Q4_K_M.gguf",
    ]);
  });

  it("fills defaults: loopback host, port 8082, lazy loading on", () => {
    const cfg = parseConfig({ experts: [expert("a")] }, { baseDir: "/srv" });
    expect(cfg.server).toEqual({
      host: "127.0.0.1",
      port: 8082,
      api_key: null,
      body_limit_bytes: 4 * 1024 * 1024,
      allow_remote_images: false,
      allow_local_images: false,
      max_image_bytes: 20 * 1024 * 1024,
      image_fetch_timeout_ms: 10_000,
    });
    expect(cfg.lazy_loading.enabled).toBe(true);
    expect(cfg.experts[0]).toMatchObject({ priority: 100, parallel: 1, pinned: false, chat_template: null, mmproj_path: null, sampling: {} });
    expect(cfg.experts[0]!.model_path).toBe("/srv/models/a.gguf");
  });

  it("resolves relative model paths against the config file's folder, keeps absolute ones", async () => {
    const file = join(dir, "rel.json");
    writeFileSync(file, JSON.stringify({ experts: [{ ...expert("a"), mmproj_path: "models/a.mmproj.gguf" }, { ...expert("b"), model_path: "/abs/b.gguf" }] }));
    const cfg = await loadConfig(file);
    expect(cfg.experts.map((e) => e.model_path)).toEqual([join(dir, "models/a.gguf"), "/abs/b.gguf"]);
    expect(cfg.experts.map((e) => e.mmproj_path)).toEqual([join(dir, "models/a.mmproj.gguf"), null]);
  });

  it("errors name the file, the key path and what is expected", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ experts: [expert("a"), { ...expert("b"), n_ctx: "big" }], server: { port: 70000 } }));
    const err = await configError(loadConfig(file));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/experts\[1\]\.n_ctx: .*expected number/);
    expect(err.message).toMatch(/server\.port: .*65535/);
  });

  it("rejects unknown keys, duplicate names, dangling references and over-pinning", async () => {
    expect((await configError(() => parseConfig({ experts: [{ ...expert("a"), modle_path: "x" }] }))).message).toMatch(/experts\[0\].*modle_path/);
    expect((await configError(() => parseConfig({ experts: [expert("a"), expert("a")] }))).message).toMatch(/experts\[1\]\.name: duplicate/);
    const dangling = await configError(() => parseConfig({ experts: [expert("a")], lazy_loading: { preload: ["zz"] }, router: { domain_to_expert: { coding: "yy" } } }));
    expect(dangling.message).toMatch(/lazy_loading\.preload\[0\]: unknown expert "zz"/);
    expect(dangling.message).toMatch(/router\.domain_to_expert\.coding: unknown expert "yy"/);
    const domain = await configError(() => parseConfig({ experts: [expert("a")], router: { keywords: { cooking: ["recipe"] } } }));
    expect(domain.message).toMatch(/router\.keywords\.cooking: unknown domain, expected one of: multimodal_expert, /);
    const pinned = await configError(() =>
      parseConfig({ experts: [{ ...expert("a"), pinned: true }, { ...expert("b"), pinned: true }, expert("c")], lazy_loading: { max_loaded_experts: 2 } }),
    );
    expect(pinned.message).toMatch(/lazy_loading\.max_loaded_experts: 2 pinned experts/);
    expect((await configError(() => parseConfig({ experts: [] }))).message).toMatch(/experts: .*>=1|experts: .*at least/i);
  });

  it("a remote expert takes url instead of model_path, with its own defaults", () => {
    const cfg = parseConfig({ experts: [expert("a"), { name: "big", domain: "technical", url: "https://gpu-1:8000/v1/", api_key: "k" }] });
    const big = cfg.experts[1]!;
    expect(big).toMatchObject({ url: "https://gpu-1:8000/v1", api_key: "k", timeout_s: 10, max_concurrent: null, priority: 100 });
    expect(big.model_path).toBeUndefined();
    expect(cfg.experts[0]).toMatchObject({ api_key: null });
  });

  it("a url that is not http(s), or both url and model_path, is a ConfigError naming the file and the key", async () => {
    const file = join(dir, "remote-bad.json");
    const bad = [
      { name: "r1", domain: "general", url: "ftp://host/v1" },
      { name: "r2", domain: "general", url: "not a url" },
      { name: "r3", domain: "general", url: "http://host:8000/v1", model_path: "m.gguf" },
      { name: "r4", domain: "general" },
      { name: "r5", domain: "general", model_path: "m.gguf", upstream_model: "x" },
      { name: "r6", domain: "general", url: "http://host:8000/v1", api_key: "key\r\nx-injected: 1" },
    ];
    writeFileSync(file, JSON.stringify({ experts: bad }));
    const err = await configError(loadConfig(file));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/experts\[0\]\.url: expected an http\(s\) base URL/);
    expect(err.message).toMatch(/experts\[1\]\.url: expected an http\(s\) base URL/);
    expect(err.message).toMatch(/experts\[2\]\.url: .*either model_path .* or url .*, not both/);
    expect(err.message).toMatch(/experts\[3\]\.model_path: expected model_path .* or url/);
    expect(err.message).toMatch(/experts\[4\]\.upstream_model: only for a remote expert/);
    expect(err.message).toMatch(/experts\[5\]\.api_key: must be visible ASCII/);
  });

  it("unreadable and non-JSON files are ConfigErrors", async () => {
    expect((await configError(loadConfig(join(dir, "missing.json")))).message).toMatch(/cannot read configuration/);
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ experts: ");
    expect((await configError(loadConfig(file))).message).toMatch(/not valid JSON/);
  });
});
