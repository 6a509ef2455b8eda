import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerRouteCommand } from "../../lib/cli/route.js";
import { DOMAINS, type RouteDecision } from "../../lib/router/index.js";

async function run(args: string[], config = {}): Promise<string> {
  let out = "";
  const program = new Command("capibara").exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  registerRouteCommand(program, config);
  await program.parseAsync(["node", "capibara", ...args]);
  return out;
}

describe("capibara route", () => {
  it("prints the decision and its reasons", async () => {
    const out = await run(["route", "Write", "a", "regex", "for", "IPv4", "addresses"]);
    expect(out).toMatch(/^coding \(confidence [0-9.]+\)/);
    expect(out).toContain("reasons: language: en");
    expect(out).toContain("scores: multimodal_expert=");
  });

  it("prints the whole decision with --json", async () => {
    const d = JSON.parse(await run(["route", "--json", "Bonjour", "tout", "le", "monde"])) as RouteDecision;
    expect(d.domain).toBe("multilingual_expert");
    expect(Object.keys(d.scores).sort()).toEqual([...DOMAINS].sort());
    expect(d.reasons).toContain("language: fr");
  });

  it("attaches images and system messages, and honours the long-prompt option", async () => {
    const withImage = JSON.parse(await run(["route", "--json", "--image", "https://example.com/a.png", "What is this?"])) as RouteDecision;
    expect(withImage.domain).toBe("multimodal_expert");
    const withSystem = JSON.parse(await run(["route", "--json", "--system", "Réponds en français.", "What happens during a TCP handshake?"])) as RouteDecision;
    expect(withSystem.domain).toBe("technical");
    const long = JSON.parse(await run(["route", "--json", "--long-prompt-tokens", "3", "Tell me a story about a brave knight"])) as RouteDecision;
    expect(long.domain).toBe("multimodal_expert");
  });

  it("uses the configuration it was registered with", async () => {
    const d = JSON.parse(await run(["route", "--json", "tell me about terraform"], { keywords: { coding: ["terraform"] } })) as RouteDecision;
    expect(d.domain).toBe("coding");
  });

  it("rejects a bad --long-prompt-tokens value", async () => {
    await expect(run(["route", "--long-prompt-tokens", "zero", "hi"])).rejects.toThrow();
  });
});
