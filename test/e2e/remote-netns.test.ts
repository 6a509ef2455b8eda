// Remote experts across a real network link: the gateway and the models host each in their own
// network namespace (ip netns), joined by a veth pair. Cutting the link (the models host's end
// down: packets vanish, no reset comes back) must not hang a request: it falls back within the
// expert's timeout, and the remote is used again once the link is back. Needs root (CAP_NET_ADMIN);
// skipped with a message elsewhere.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeModel, startHost, stopHost, type HostProcess } from "./remote-procs.js";

const run = promisify(execFile);
const id = process.pid % 250;
const NS = { gw: `capibara-gw-${process.pid}`, mh: `capibara-mh-${process.pid}` };
const ADDR = { gw: `10.231.${id}.1`, mh: `10.231.${id}.2` };
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });

function canCreateNamespaces(): string | null {
  const probe = `capibara-probe-${process.pid}`;
  try {
    ip("netns", "add", probe);
    ip("netns", "del", probe);
    return null;
  } catch (err) {
    return ((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim();
  }
}
const cannot = canCreateNamespaces();
if (cannot) console.warn(`remote-netns: skipped, network namespaces cannot be created here (needs root and ip netns): ${cannot}`);

const dir = mkdtempSync(join(tmpdir(), "capibara-netns-"));
let host: HostProcess | undefined;
let gateway: HostProcess | undefined;
const TIMEOUT_S = 2;

/** curl from inside the gateway's namespace; returns the status, headers and body. */
async function curlInGateway(path: string, body?: object): Promise<{ status: number; headers: Record<string, string>; body: unknown; ms: number }> {
  const args = ["netns", "exec", NS.gw, "curl", "-s", "-D", "-", "--max-time", "30", `http://${ADDR.gw}:8082${path}`];
  if (body) args.push("-H", "content-type: application/json", "-d", JSON.stringify(body));
  const t0 = Date.now();
  const { stdout } = await run("ip", args, { encoding: "utf8" });
  const [head, ...rest] = stdout.split("\r\n\r\n");
  const lines = head!.split("\r\n");
  const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(lines[0]!.split(" ")[1]), headers, body: JSON.parse(rest.join("\r\n\r\n")), ms: Date.now() - t0 };
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 100));
  }
}
const bigState = async () => ((await curlInGateway("/v1/models")).body as { data: { id: string; state: string }[] }).data.find((m) => m.id === "big")!.state;

describe.skipIf(cannot !== null)("remote experts across network namespaces", () => {
  beforeAll(async () => {
    ip("netns", "add", NS.gw);
    ip("netns", "add", NS.mh);
    ip("link", "add", `vcg${id}`, "netns", NS.gw, "type", "veth", "peer", "name", `vcm${id}`, "netns", NS.mh);
    for (const [ns, dev, addr] of [[NS.gw, `vcg${id}`, ADDR.gw], [NS.mh, `vcm${id}`, ADDR.mh]] as const) {
      ip("-n", ns, "addr", "add", `${addr}/24`, "dev", dev);
      ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
    const hostConfig = join(dir, "host.json");
    writeFileSync(hostConfig, JSON.stringify({ experts: [{ name: "mistral_balanced", domain: "technical", model_path: fakeModel(dir, "mistral_balanced"), parallel: 4 }] }));
    const gatewayConfig = join(dir, "gateway.json");
    writeFileSync(
      gatewayConfig,
      JSON.stringify({
        experts: [
          { name: "big", domain: "technical", priority: 1, url: `http://${ADDR.mh}:8000/v1`, upstream_model: "mistral_balanced", timeout_s: TIMEOUT_S },
          { name: "small", domain: "general", priority: 2, model_path: fakeModel(dir, "small") },
        ],
      }),
    );
    [host, gateway] = await Promise.all([
      startHost(["--config", hostConfig, "--host", ADDR.mh, "--port", "8000"], { prefix: ["ip", "netns", "exec", NS.mh], tokenDelayMs: 5 }),
      startHost(["--config", gatewayConfig, "--host", ADDR.gw, "--port", "8082"], { prefix: ["ip", "netns", "exec", NS.gw] }),
    ]);
    await until(async () => (await bigState()) === "remote-up", 20_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopHost(host), stopHost(gateway)]);
    for (const ns of Object.values(NS)) {
      try {
        ip("netns", "del", ns);
      } catch {
        // never created
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("a request in the gateway's namespace is served by the models host over the veth", async () => {
    const res = await curlInGateway("/v1/chat/completions", { model: "big", messages: [{ role: "user", content: "hello" }] });
    expect(res.status).toBe(200);
    expect(res.headers["x-capibara-expert"]).toBe("big");
    expect(res.body).toMatchObject({ model: "big", object: "chat.completion" });
  });

  it("with the link cut, a request falls back within the timeout instead of hanging; once it is back the remote serves again", async () => {
    ip("-n", NS.mh, "link", "set", `vcm${id}`, "down");
    const cut = await curlInGateway("/v1/chat/completions", { model: "big", messages: [{ role: "user", content: "anyone?" }] });
    expect(cut.status).toBe(200);
    expect(cut.headers["x-capibara-expert"]).toBe("small");
    expect(cut.headers["x-capibara-fallback"]).toBe("big");
    expect(cut.ms).toBeLessThan(TIMEOUT_S * 1000 + 1500);
    await until(async () => (await bigState()) === "remote-down", 15_000);
    const whileDown = await curlInGateway("/v1/chat/completions", { model: "big", messages: [{ role: "user", content: "still?" }] });
    expect(whileDown.headers["x-capibara-expert"]).toBe("small");
    expect(whileDown.ms).toBeLessThan(1000); // a down remote is skipped at once

    ip("-n", NS.mh, "link", "set", `vcm${id}`, "up");
    await until(async () => (await bigState()) === "remote-up", 15_000);
    const back = await curlInGateway("/v1/chat/completions", { model: "big", messages: [{ role: "user", content: "back?" }] });
    expect(back.headers["x-capibara-expert"]).toBe("big");
  }, 60_000);
});
