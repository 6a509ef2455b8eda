// A capibara server process for the remote-expert tests: the real CLI `serve` command (config,
// system, fastify server, signals), with the fake engine so that two processes fit on two cores.
// Usage: node --import tsx test/e2e/remote-host.ts <token-delay-ms> <reply-tokens> <serve args...>
import { buildProgram } from "../../lib/cli/main.js";
import { FakeEngine } from "../helpers/fake-engine.js";

const [delay = "0", reply = "8", ...args] = process.argv.slice(2);
const engine = new FakeEngine({ replyTokens: Number(reply), tokenDelayMs: Number(delay), contextSize: 4096 });
await buildProgram({ loadModel: engine.loadModel }).parseAsync(["serve", ...args], { from: "user" });
