/**
 * Router configuration: schema (zod), defaults and parsing.
 * @module
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { DOMAINS, type Domain } from "./types.js";

const domainEnum = z.enum(DOMAINS);

/** zod schema of {@link RouterConfig}; every field has a default, so `{}` is a valid config. */
export const RouterConfigSchema = z
  .object({
    /** Prompts longer than this many estimated tokens (whole conversation) go to the multimodal/long-context expert. */
    longPromptTokens: z.number().int().positive().default(2048),
    /** Characters per token used by the estimate for alphabetic scripts (CJK counts one token per character). */
    charsPerToken: z.number().positive().default(4),
    /** Minimum classifier probability for `technical` or `coding` to win over `general`. */
    topicMinProbability: z.number().min(0).max(1).default(0),
    /** Minimum share of non-Latin letters in the user text that marks it as another script's language. */
    foreignScriptShare: z.number().min(0).max(1).default(0.3),
    /** Which expert (registry id) serves each domain; the system layer resolves it. */
    domainToExpert: z.partialRecord(domainEnum, z.string().min(1)).default({}),
    /**
     * Operator overrides: if the last user message contains one of these words or phrases
     * (case- and accent-insensitive, whole words), route to that domain. Checked after images and
     * length (only the multimodal expert can read images), before language and topic.
     */
    keywords: z.partialRecord(domainEnum, z.array(z.string().min(1))).default({}),
  })
  .strict();

/** Router configuration (after defaults are applied). */
export type RouterConfig = z.output<typeof RouterConfigSchema>;

/** Router configuration as given by a user (every field optional). */
export type RouterConfigInput = z.input<typeof RouterConfigSchema>;

/**
 * Validates a configuration object and fills in defaults.
 * @throws {@link ConfigError} (`CONFIG_INVALID`) naming the bad key.
 */
export function parseRouterConfig(input: unknown = {}): RouterConfig {
  const result = RouterConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ConfigError("CONFIG_INVALID", `invalid router config: ${issues}`);
  }
  return result.data;
}

/** Returns the expert configured for `domain`, or the domain name itself when none is mapped. */
export function expertFor(config: RouterConfig, domain: Domain): string {
  return config.domainToExpert[domain] ?? domain;
}
