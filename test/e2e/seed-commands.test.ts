// The Python system's documented commands, run as they stand in lib/server/README.md with real
// curl against `capibara serve` on port 8082 serving the built-in demo (real engine, random weights).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../lib/cli/main.js";
import { DEMO_EXPERTS } from "../../lib/config/index.js";
import { createDemoBuilder } from "../../lib/demo/index.js";
import { packageRoot } from "../../lib/native.js";

const run = promisify(execFile);
const cache = mkdtempSync(join(tmpdir(), "capibara-seed-"));
const saved = { cache: process.env.CAPIBARA_CACHE, config: process.env.CAPIBARA_CONFIG };

/** The curl commands of the README's block that follows "runs this block as it stands", continuation lines joined. */
function seedCommands(): string[] {
  const readme = readFileSync(join(packageRoot, "lib/server/README.md"), "utf8");
  const block = /runs this block as it stands:\n\n```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  return block.replace(/\\\n\s*/g, "").trim().split("\n");
}

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

let port = 8082;
let done: Promise<unknown>;

beforeAll(async () => {
  process.env.CAPIBARA_CACHE = cache;
  delete process.env.CAPIBARA_CONFIG;
  // On a machine where 8082 is taken (another server, a parallel test run), the same commands run against a free port.
  if (!(await portFree(8082))) {
    port = 0;
    console.warn("seed commands: port 8082 is in use here; running them against a free port instead");
  }
  const log = join(cache, "serve.log");
  done = buildProgram({ demoBuilder: createDemoBuilder() }).parseAsync(["serve", "--host", "127.0.0.1", "--port", String(port), "--log-file", log], { from: "user" });
  const end = Date.now() + 240_000;
  while (!(existsSync(log) && readFileSync(log, "utf8").includes("capibara listening"))) {
    if (Date.now() > end) throw new Error("capibara serve did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const line = readFileSync(log, "utf8").split("\n").find((l) => l.includes("capibara listening"))!;
  port = Number(new URL((JSON.parse(line) as { url: string }).url).port);
}, 300_000);

afterAll(async () => {
  process.emit("SIGTERM");
  await done;
  for (const [k, v] of [["CAPIBARA_CACHE", saved.cache], ["CAPIBARA_CONFIG", saved.config]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(cache, { recursive: true, force: true });
});

async function curl(command: string): Promise<{ status: number; body: unknown }> {
  expect(command).toMatch(/^curl /);
  const shell = `${command.replaceAll("localhost:8082", `localhost:${port}`)} -s -w '\\n%{http_code}'`;
  const { stdout } = await run("sh", ["-c", shell], { encoding: "utf8", timeout: 120_000 });
  const lines = stdout.trimEnd().split("\n");
  return { status: Number(lines.pop()), body: JSON.parse(lines.join("\n")) };
}

describe("the seed's commands, verbatim", () => {
  it("the README block has the three GETs and the two chat examples", () => {
    const cmds = seedCommands();
    expect(cmds).toHaveLength(5);
    expect(cmds.slice(0, 3)).toEqual(["curl http://localhost:8082/health", "curl http://localhost:8082/v1/models", "curl http://localhost:8082/stats"]);
  });

  it("/health, /v1/models and /stats answer with the five seed experts", async () => {
    const [health, models, stats] = await Promise.all(seedCommands().slice(0, 3).map(curl));
    expect(health).toMatchObject({ status: 200, body: { status: "ok", experts: 5 } });
    expect(models!.status).toBe(200);
    const ids = (models!.body as { data: { id: string; domain: string }[] }).data.map((m) => [m.id, m.domain]);
    expect(ids).toEqual([["auto", "auto"], ...DEMO_EXPERTS.map((e) => [e.name, e.domain])]);
    expect(DEMO_EXPERTS.map((e) => e.name)).toEqual(["phi4_fast", "mistral_balanced", "qwen_coder", "gemma3_multimodal", "aya_expanse_multilingual"]);
    expect(Object.keys((stats!.body as { experts: object }).experts)).toEqual(DEMO_EXPERTS.map((e) => e.name));
  });

  it("the two chat examples answer: one routed automatically, one to aya_expanse_multilingual", async () => {
    const [auto, aya] = seedCommands().slice(3);
    const routed = await curl(auto!);
    expect(routed.status).toBe(200);
    expect(routed.body).toMatchObject({ object: "chat.completion", model: "qwen_coder" });
    const named = await curl(aya!);
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ object: "chat.completion", model: "aya_expanse_multilingual" });
    expect((named.body as { usage: { completion_tokens: number } }).usage.completion_tokens).toBeGreaterThan(0);
  });
});
