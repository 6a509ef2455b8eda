import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../lib/cli/main.js";
import { formatBenchTable, runServerBench } from "../../lib/cli/bench.js";
import { demoConfig, DEMO_EXPERTS, DEMO_VERSION } from "../../lib/config/index.js";
import { packageRoot } from "../../lib/native.js";
import { startServer } from "../../lib/server/index.js";
import { createSystem } from "../../lib/system.js";
import { FakeEngine, fakeReply, fiveExpertConfig } from "../helpers/fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "capibara-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, overrides: Parameters<typeof fiveExpertConfig>[1] = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(fiveExpertConfig(join(dir, name), overrides)));
  return file;
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("capibara CLI", () => {
  it("is the package's bin, with a shebang, and lists every command", () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin.capibara).toBe("./dist/cli/main.js");
    expect(readFileSync(join(packageRoot, "lib/cli/main.ts"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(buildProgram().commands.map((c) => c.name())).toEqual(["serve", "chat", "route", "inspect", "bench"]);
  });

  it("serve --config --host --port: serves until SIGTERM, logs JSON to --log-file", async () => {
    const engine = new FakeEngine();
    const log = join(dir, "serve.log");
    const done = buildProgram({ loadModel: engine.loadModel }).parseAsync(
      ["serve", "--config", configFile("serve"), "--host", "127.0.0.1", "--port", "0", "--log-file", log],
      { from: "user" },
    );
    await until(() => existsSync(log) && readFileSync(log, "utf8").includes("capibara listening"));
    const line = readFileSync(log, "utf8").split("\n").find((l) => l.includes("capibara listening"))!;
    const { url } = JSON.parse(line) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Write a Python function that reverses a linked list" }] }),
    });
    expect(((await res.json()) as { model: string }).model).toBe("qwen_coder");
    process.emit("SIGTERM");
    await done;
    expect(engine.openModels.size).toBe(0);
    await until(() => readFileSync(log, "utf8").includes('"msg":"shutting down: finishing running generations"'));
  });

  it("chat: streams answers, shows the expert and why, keeps the conversation, /exit ends", async () => {
    const engine = new FakeEngine({ replyTokens: 5 });
    const output = new PassThrough();
    let text = "";
    output.on("data", (d: Buffer) => (text += d.toString()));
    const input = Readable.from(["hello there\n", "/reset\n", "Write a Python function that reverses a linked list\n", "/exit\n", "never read\n"]);
    const file = configFile("chat");
    await buildProgram({ loadModel: engine.loadModel, input, output }).parseAsync(["chat", "--config", file, "--model", "phi4_fast"], { from: "user" });
    const model = join(dir, "chat", "phi4_fast.gguf");
    expect(text).toContain("[phi4_fast: requested expert phi4_fast]");
    expect(text).toContain(fakeReply(model, [{ role: "user", content: "hello there" }], 5).join(" "));
    // After /reset the history holds only the new message.
    expect(text).toContain(fakeReply(model, [{ role: "user", content: "Write a Python function that reverses a linked list" }], 5).join(" "));
    expect(text).toMatch(/\(5 tokens, [\d.]+ tokens\/s\)/);
    expect(engine.openModels.size).toBe(0);
  });

  it("a missing config without a demo builder is a clear CONFIG_INVALID error", async () => {
    const saved = process.env.CAPIBARA_CONFIG;
    delete process.env.CAPIBARA_CONFIG;
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await expect(buildProgram().parseAsync(["serve"], { from: "user" })).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringMatching(/pass --config/) });
    } finally {
      process.chdir(cwd);
      if (saved !== undefined) process.env.CAPIBARA_CONFIG = saved;
    }
  });

  it("bench: concurrent streaming clients, zero failures, a table with TTFT percentiles", async () => {
    const engine = new FakeEngine({ replyTokens: 4, tokenDelayMs: 1 });
    const program = buildProgram({ loadModel: engine.loadModel });
    let out = "";
    program.commands.find((c) => c.name() === "bench")!.configureOutput({ writeOut: (s) => (out += s) });
    await program.parseAsync(["bench", "--config", configFile("bench", { parallel: 2 }), "--clients", "8", "--duration", "1", "--max-tokens", "4"], { from: "user" });
    expect(out).toMatch(/\| failed\s+\| 0\s+\|/);
    expect(out).toMatch(/TTFT p50 \/ p90 \/ p99 \/ max \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \/ [\d.]+ ms/);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it("runServerBench counts failures with their reason", async () => {
    const engine = new FakeEngine();
    engine.failing.add(".gguf");
    const system = await createSystem(fiveExpertConfig(join(dir, "failing")), { loadModel: engine.loadModel });
    const server = await startServer(system, { port: 0 });
    try {
      const r = await runServerBench({ url: server.url, clients: 2, durationS: 0.2, maxTokens: 2 });
      expect(r.failed).toBe(r.requests);
      expect(r.errors["HTTP 503"]).toBe(r.requests);
      expect(formatBenchTable(r)).toMatch(/error x\d+\s+\| HTTP 503/);
    } finally {
      await server.close();
    }
  });

  it("the demo config builds each architecture once into the cache and reuses it", async () => {
    const built: string[] = [];
    const build = async (arch: string, into: string) => {
      built.push(arch);
      const file = join(into, "model.gguf");
      writeFileSync(file, `fake ${arch}`);
      return file;
    };
    const cache = join(dir, "demo-cache");
    const cfg = await demoConfig(build, cache);
    expect(built).toEqual(DEMO_EXPERTS.map((e) => e.arch));
    expect(cfg.experts.map((e) => [e.domain, e.model_path])).toEqual(DEMO_EXPERTS.map((e) => [e.domain, join(cache, `${e.arch}.v${DEMO_VERSION}.gguf`)]));
    await demoConfig(build, cache);
    expect(built).toHaveLength(5);
    await expect(demoConfig(async () => Promise.reject(new Error("no recipe")), join(dir, "demo-broken"))).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(/cannot build the demo model for phi3 .*: no recipe/),
    });
  });
});
