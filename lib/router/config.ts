/**
 * Router configuration: one zod schema of the router's settings, with defaults. The `router`
 * section of a configuration file holds the same settings with snake_case keys
 * ({@link RouterSectionSchema}, derived from the same fields, so the two cannot drift), plus the
 * domain-to-expert mapping that the system resolves.
 * @module
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { DOMAINS } from "./types.js";

const domainList = `one of: ${DOMAINS.join(", ")}`;

/** A record keyed by domain; an unknown domain is reported under its own key. */
function byDomain<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!(DOMAINS as readonly string[]).includes(key)) ctx.addIssue({ code: "custom", path: [key], message: `unknown domain, expected ${domainList}` });
    }
  });
}

/** The router's settings, each with its default. */
const FIELDS = {
  /** Prompts longer than this many estimated tokens (whole conversation) go to the multimodal/long-context expert. */
  longPromptTokens: z.number().int().positive().default(2048),
  /** Characters per token used by the estimate for alphabetic scripts (CJK counts one token per character). */
  charsPerToken: z.number().positive().default(4),
  /** Minimum classifier probability for `technical` or `coding` to win over `general`. */
  topicMinProbability: z.number().min(0).max(1).default(0),
  /** Minimum share of non-Latin letters in the user text that marks it as another script's language. */
  foreignScriptShare: z.number().min(0).max(1).default(0.3),
  /**
   * Operator overrides: if the last user message contains one of these words or phrases
   * (case- and accent-insensitive, whole words), route to that domain. Checked after images and
   * length (only the multimodal expert can read images), before language and topic.
   */
  keywords: byDomain(z.array(z.string().min(1))).default({}),
};

/** zod schema of {@link RouterConfig}; every field has a default, so `{}` is a valid config. */
export const RouterConfigSchema = z.object(FIELDS).strict();

/** Router configuration (after defaults are applied). */
export type RouterConfig = z.output<typeof RouterConfigSchema>;

/** Router configuration as given by a user (every field optional). */
export type RouterConfigInput = z.input<typeof RouterConfigSchema>;

type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;
type SnakeKeys<T> = { [K in keyof T as SnakeCase<K & string>]: T[K] };
type Fields = typeof FIELDS;

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const SNAKE_FIELDS = Object.fromEntries(Object.entries(FIELDS).map(([k, v]) => [snake(k), v])) as SnakeKeys<Fields>;

/**
 * zod schema of the `router` section of a configuration file: the router's settings in
 * snake_case (`long_prompt_tokens`, `chars_per_token`, `topic_min_probability`,
 * `foreign_script_share`, `keywords`), plus `domain_to_expert`, the expert that serves each
 * domain (by default the highest-priority expert whose `domain` matches).
 */
export const RouterSectionSchema = z.object({ ...SNAKE_FIELDS, domain_to_expert: byDomain(z.string().min(1)).default({}) }).strict();

/** The validated `router` section of a configuration file. */
export type RouterSection = z.output<typeof RouterSectionSchema>;

/** The router's settings from a validated `router` section (the expert mapping is the system's). */
export function routerConfigFromSection(section: RouterSection): RouterConfig {
  return Object.fromEntries(Object.keys(FIELDS).map((k) => [k, (section as Record<string, unknown>)[snake(k)]])) as RouterConfig;
}

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
