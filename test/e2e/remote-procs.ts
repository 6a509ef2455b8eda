// Spawning capibara server processes (test/e2e/remote-host.ts) for the remote-expert tests.
import { spawn, type ChildProcess } from "node:child_process";
import { truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../lib/native.js";

/** A running capibara process. */
export interface HostProcess {
  proc: ChildProcess;
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

/**
 * Starts `capibara serve` (fake engine) with these arguments; resolves once it listens, read from
 * its "capibara listening" log line, or, when `url` is given (quiet log levels), once `/health` answers there.
 */
export function startHost(args: string[], opts: { tokenDelayMs?: number; replyTokens?: number; prefix?: string[]; url?: string } = {}): Promise<HostProcess> {
  const cmd = [...(opts.prefix ?? []), process.execPath, "--import", "tsx", join(packageRoot, "test/e2e/remote-host.ts"), String(opts.tokenDelayMs ?? 0), String(opts.replyTokens ?? 8), ...args];
  const proc = spawn(cmd[0]!, cmd.slice(1), { cwd: packageRoot, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on("line", (line) => {
      if (!line.includes("capibara listening")) return;
      resolve({ proc, url: (JSON.parse(line) as { url: string }).url, exited });
    });
    void exited.then(() => reject(new Error(`capibara exited before listening: ${stderr.slice(-2000)}`)));
    const url = opts.url;
    if (url === undefined) return;
    const poll = (): void => {
      if (proc.exitCode !== null) return;
      fetch(`${url}/health`).then(
        (res) => (res.ok ? resolve({ proc, url, exited }) : setTimeout(poll, 100)),
        () => setTimeout(poll, 100),
      );
    };
    poll();
  });
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** An empty 1 MiB "model" file for the fake engine. */
export function fakeModel(dir: string, name: string): string {
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, "");
  truncateSync(path, 1024 * 1024);
  return path;
}

/** Stops a host (SIGTERM, or SIGKILL) and waits for it to exit. */
export async function stopHost(h: HostProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!h || h.proc.exitCode !== null || h.proc.signalCode !== null) return;
  h.proc.kill(signal);
  await h.exited;
}
