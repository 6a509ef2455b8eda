/**
 * `capibara route <text...>`: shows which expert domain the router picks for a message, and why.
 * @module
 */
import type { Command } from "commander";
import { createRouter, type ChatMessage, type ContentPart, type RouterConfigInput } from "../router/index.js";

/** Options of the `route` command. */
interface RouteCommandOptions {
  json?: boolean;
  image?: string[];
  system?: string;
  longPromptTokens?: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Adds `route <text...>` to a commander program. It prints the chosen domain, the confidence and
 * the reasons, or with `--json` the whole {@link RouteDecision}.
 * @param program - the CLI's root command.
 * @param config - router configuration (e.g. from the CLI's config file).
 */
export function registerRouteCommand(program: Command, config: RouterConfigInput = {}): Command {
  return program
    .command("route")
    .description("show which expert the semantic router picks for a message, and why")
    .argument("<text...>", "the user message")
    .option("--json", "print the decision as JSON")
    .option("--image <url>", "attach an image part (repeatable)", collect)
    .option("--system <text>", "add a system message before the user message")
    .option("--long-prompt-tokens <n>", "long-prompt threshold in estimated tokens", positiveInt)
    .action((words: string[], opts: RouteCommandOptions, cmd: Command) => {
      const text = words.join(" ");
      const content: string | ContentPart[] =
        opts.image && opts.image.length > 0 ? [{ type: "text", text }, ...opts.image.map((url) => ({ type: "image_url" as const, image_url: { url } }))] : text;
      const messages: ChatMessage[] = [...(opts.system ? [{ role: "system" as const, content: opts.system }] : []), { role: "user", content }];
      const router = createRouter({ ...config, ...(opts.longPromptTokens ? { longPromptTokens: opts.longPromptTokens } : {}) });
      const decision = router.route(messages);
      // Commander's output hook, so embedding programs and tests can capture what is printed.
      const out = cmd.configureOutput();
      const write = (s: string): void => {
        if (out.writeOut) out.writeOut(s);
        else process.stdout.write(s);
      };
      if (opts.json) {
        write(`${JSON.stringify(decision, null, 2)}\n`);
        return;
      }
      const scores = Object.entries(decision.scores)
        .map(([d, s]) => `${d}=${s}`)
        .join(" ");
      write(`${decision.domain} (confidence ${decision.confidence})\n  reasons: ${decision.reasons.join("; ")}\n  scores: ${scores}\n`);
    });
}
