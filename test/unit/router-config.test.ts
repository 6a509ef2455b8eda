import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createRouter, expertFor, parseRouterConfig, RouterConfigSchema, type ChatMessage } from "../../lib/router/index.js";

const user = (content: string): ChatMessage[] => [{ role: "user", content }];

describe("router config", () => {
  it("fills in defaults", () => {
    const c = parseRouterConfig({});
    expect(c.longPromptTokens).toBe(2048);
    expect(c.domainToExpert).toEqual({});
    expect(RouterConfigSchema.parse({})).toEqual(c);
  });

  it("maps domains to experts, defaulting to the domain name", () => {
    const c = parseRouterConfig({ domainToExpert: { coding: "qwen-coder-1.5b" } });
    expect(expertFor(c, "coding")).toBe("qwen-coder-1.5b");
    expect(expertFor(c, "general")).toBe("general");
  });

  it.each([
    [{ longPromptTokens: -1 }, "longPromptTokens"],
    [{ domainToExpert: { cooking: "x" } }, "domainToExpert"],
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
