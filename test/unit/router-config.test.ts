import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createRouter, parseRouterConfig, routerConfigFromSection, RouterConfigSchema, RouterSectionSchema, type ChatMessage } from "../../lib/router/index.js";

const user = (content: string): ChatMessage[] => [{ role: "user", content }];

describe("router config", () => {
  it("fills in defaults", () => {
    const c = parseRouterConfig({});
    expect(c.longPromptTokens).toBe(2048);
    expect(c.keywords).toEqual({});
    expect(RouterConfigSchema.parse({})).toEqual(c);
  });

  it("reads the configuration file's router section with the same fields and defaults, in snake_case", () => {
    expect(routerConfigFromSection(RouterSectionSchema.parse({}))).toEqual(parseRouterConfig({}));
    const section = RouterSectionSchema.parse({ long_prompt_tokens: 4096, foreign_script_share: 0.5, keywords: { coding: ["terraform"] }, domain_to_expert: { coding: "coder" } });
    expect(routerConfigFromSection(section)).toEqual(parseRouterConfig({ longPromptTokens: 4096, foreignScriptShare: 0.5, keywords: { coding: ["terraform"] } }));
    // Every router setting has its snake_case twin, and nothing else but the expert mapping.
    const snake = Object.keys(RouterConfigSchema.shape).map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    expect(Object.keys(RouterSectionSchema.shape).sort()).toEqual([...snake, "domain_to_expert"].sort());
    expect(RouterSectionSchema.safeParse({ keywords: { cooking: ["pan"] } }).error?.issues[0]?.message).toMatch(/unknown domain/);
  });

  it.each([
    [{ longPromptTokens: -1 }, "longPromptTokens"],
    [{ keywords: { cooking: ["x"] } }, "keywords.cooking"],
    [{ keywords: { coding: "terraform" } }, "keywords"],
    [{ unknownKey: 1 }, "unknownKey"],
  ])("rejects %j with CONFIG_INVALID naming the key", (input, key) => {
    expect(() => createRouter(input as never)).toThrow(ConfigError);
    try {
      parseRouterConfig(input);
    } catch (e) {
      expect((e as ConfigError).code).toBe("CONFIG_INVALID");
      expect((e as Error).message).toContain(key);
    }
  });

  it("applies operator keyword overrides, case- and accent-insensitively, on whole words", () => {
    const router = createRouter({ keywords: { technical: ["Kubernetes"], coding: ["terraform plan"], general: ["menú"] } });
    expect(router.route(user("tell me a story about kubernetes")).domain).toBe("technical");
    expect(router.route(user("Why is my TERRAFORM  PLAN empty?")).domain).toBe("coding");
    expect(router.route(user("Explain the menu of a compiler")).domain).toBe("general");
    expect(router.route(user("Explain how kubernetesque things work")).reasons.some((r) => r.includes("operator"))).toBe(false);
  });

  it("keeps images and length ahead of keyword overrides", () => {
    const router = createRouter({ keywords: { general: ["photo"] } });
    const messages: ChatMessage[] = [{ role: "user", content: [{ type: "text", text: "photo" }, { type: "image_url", image_url: { url: "x" } }] }];
    expect(router.route(messages).domain).toBe("multimodal_expert");
  });

  it("can require a minimum probability before leaving general", () => {
    const strict = createRouter({ topicMinProbability: 1 });
    expect(strict.route(user("How does TCP congestion control work?")).domain).toBe("general");
  });
});
