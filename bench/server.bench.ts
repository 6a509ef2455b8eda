/**
 * Server load test: `npm run bench:server [-- --duration 60 --clients 32 --token-delay-ms 5 --parallel 4]`.
 * Streaming clients with automatic routing against the real HTTP server on 127.0.0.1, in this
 * process, backed by the fake engine (deterministic text, `--token-delay-ms` per token) until the
 * demo system is available. Fails (exit 1) on any failed request or when RSS grows by more than
 * `--max-rss-growth-mib` over the run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatBenchTable, runServerBench } from "../lib/cli/bench.js";
import { startServer } from "../lib/server/index.js";
import { createSystem } from "../lib/system.js";
import { FakeEngine, fiveExpertConfig } from "../test/helpers/fake-engine.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    clients: { type: "string", default: "32" },
    "max-tokens": { type: "string", default: "32" },
    "token-delay-ms": { type: "string", default: "5" },
    parallel: { type: "string", default: "4" },
    "max-rss-growth-mib": { type: "string", default: "128" },
  },
});
const num = (k: keyof typeof values): number => Number(values[k]);

const dir = mkdtempSync(join(tmpdir(), "capibara-bench-"));
const engine = new FakeEngine({ replyTokens: num("max-tokens"), tokenDelayMs: num("token-delay-ms"), contextSize: 4096 });
const system = await createSystem(fiveExpertConfig(dir, { parallel: num("parallel") }), { loadModel: engine.loadModel });
const server = await startServer(system, { port: 0 });
try {
  const result = await runServerBench({ url: server.url, clients: num("clients"), durationS: num("duration"), maxTokens: num("max-tokens") });
  process.stdout.write(`server bench: fake engine, ${values["token-delay-ms"]} ms/token, ${values.parallel} slots per expert, node ${process.version}\n`);
  process.stdout.write(formatBenchTable(result));
  const perExpert = Object.entries(system.stats().experts).map(([n, e]) => `${n}=${e.requests}`);
  process.stdout.write(`requests per expert: ${perExpert.join(" ")}\n`);
  const growth = result.rssMiB.max - result.rssMiB.start;
  if (result.failed > 0 || growth > num("max-rss-growth-mib")) {
    process.stdout.write(`FAIL: ${result.failed} failed requests, RSS grew ${growth.toFixed(1)} MiB\n`);
    process.exitCode = 1;
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
