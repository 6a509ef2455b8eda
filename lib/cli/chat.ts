/**
 * `capibara chat`: an interactive conversation in the terminal, streamed, with one expert or
 * routed automatically per message.
 * @module
 */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { ChatMessage } from "../engine/types.js";
import { CapibaraError } from "../errors.js";
import { attachLoadProgress, createCliLogger, openSystem, type CliContext, type SystemCliOptions } from "./common.js";
import { intOption } from "./serve.js";

interface ChatOptions extends SystemCliOptions {
  model: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
  route: boolean;
}

function temperature(value: string): number {
  const t = Number(value);
  if (!Number.isFinite(t) || t < 0 || t > 2) throw new Error(`expected a temperature from 0 to 2, got "${value}"`);
  return t;
}

const HELP = "commands: /reset (forget the conversation), /exit\n";

/** Adds `chat` to a commander program; the action resolves when the input ends or on `/exit`. */
export function registerChatCommand(program: Command, ctx: CliContext = {}): Command {
  return program
    .command("chat")
    .description("chat in the terminal with one expert or with automatic routing")
    .option("-c, --config <file>", "configuration file (default: $CAPIBARA_CONFIG, ./config.json, else the built-in demo)")
    .option("-m, --model <name>", "expert name, domain or auto", "auto")
    .option("-s, --system <text>", "system message")
    .option("--max-tokens <n>", "tokens per answer", intOption(1, 1 << 20))
    .option("--temperature <t>", "sampling temperature (0 = greedy)", temperature)
    .option("--no-route", "do not print which expert answers and why")
    .option("--log-file <file>", "append JSON logs to this file")
    .option("--log-level <level>", "log level (default: silent without --log-file)")
    .action(async (opts: ChatOptions) => {
      const logger = createCliLogger(opts, opts.logFile ? "info" : "silent");
      const system = await openSystem(opts, logger, ctx);
      const out = ctx.output ?? process.stdout;
      const input = ctx.input ?? process.stdin;
      const detach = attachLoadProgress(system);
      const rl = createInterface({ input, output: out, terminal: input === process.stdin && process.stdin.isTTY });
      const history: ChatMessage[] = opts.system ? [{ role: "system", content: opts.system }] : [];
      let current: AbortController | null = null;
      // Ctrl-C stops the answer being generated; at the prompt it ends the chat.
      rl.on("SIGINT", () => (current ? current.abort() : rl.close()));
      out.write(HELP);
      rl.setPrompt("> ");
      rl.prompt();
      try {
        for await (const line of rl) {
          const text = line.trim();
          if (text === "/exit" || text === "/quit") break;
          if (text === "/reset") history.splice(opts.system ? 1 : 0);
          else if (text) {
            history.push({ role: "user", content: text });
            current = new AbortController();
            try {
              const res = await system.chat({ messages: history, model: opts.model, maxTokens: opts.maxTokens, temperature: opts.temperature, signal: current.signal });
              if (opts.route) out.write(`[${res.route.expert}: ${res.route.reason}]\n`);
              let answer = "";
              for await (const chunk of res) {
                answer += chunk.text;
                out.write(chunk.text);
              }
              const s = await res.stats;
              out.write(`\n(${s.generatedTokens} tokens, ${s.decodeTokensPerSecond.toFixed(1)} tokens/s)\n`);
              history.push({ role: "assistant", content: answer });
            } catch (err) {
              history.pop();
              out.write(`\nerror: ${err instanceof CapibaraError ? `${err.code}: ${err.message}` : (err as Error).message}\n`);
            } finally {
              current = null;
            }
          }
          rl.prompt();
        }
      } finally {
        rl.close();
        detach();
        await system.close();
      }
    });
}
