/**
 * The system configuration: the JSON file users already run the Python `multi_model_server.py` with
 * (snake_case keys), as a zod schema. Cross-references (preload names, router targets) are checked
 * here too, so a config that parses is a config the system can start from.
 * @module
 */
import { z } from "zod";
import { RouterSectionSchema } from "../router/config.js";

const positiveInt = z.number().int().positive();

/** Default sampling of an expert; a request's own values win. */
export const SamplingSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    min_p: z.number().min(0).max(1).optional(),
    repeat_penalty: z.number().positive().optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    /** Tokens generated when a request names no limit. */
    max_tokens: positiveInt.optional(),
  })
  .strict();

/** An http(s) base URL (no query or fragment); a trailing slash is dropped. */
const httpBaseUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.search === "" && u.hash === "" && u.username === "" && u.password === "";
    } catch {
      return false;
    }
  }, "expected an http(s) base URL such as http://host:8000/v1 (no query, fragment or credentials)")
  .transform((v) => v.replace(/\/+$/, ""));

const ExpertFieldsSchema = z
  .object({
    /** Unique id, used as the OpenAI `model` name. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "letters, digits, '.', '_', ':' or '-'"),
    /** Router domain this expert serves (e.g. `general`, `coding`). */
    domain: z.string().min(1),
    /** GGUF file; a relative path is resolved against the config file's folder. Exclusive with `url`. */
    model_path: z.string().min(1).optional(),
    /** Base URL of a remote OpenAI-compatible API, e.g. `http://gpu-host:8000/v1`. Exclusive with `model_path`. */
    url: httpBaseUrl.optional(),
    /** Remote only: sent as `Authorization: Bearer <api_key>`, on health probes too. */
    api_key: z
      .string()
      .min(1)
      .regex(/^[\x21-\x7e]+$/, "must be visible ASCII with no spaces (it is sent in an HTTP header)")
      .nullable()
      .default(null),
    /** Remote only: the `model` sent upstream (default: the expert's name). */
    upstream_model: z.string().min(1).optional(),
    /** Remote only: seconds to the first token (and between tokens) before the remote counts as unavailable. */
    timeout_s: z.number().positive().max(3600).default(10),
    /** Remote only: requests sent upstream at once; more wait (default: no limit). */
    max_concurrent: positiveInt.nullable().default(null),
    /**
     * Vision projector (llama.cpp `mmproj` GGUF) for image input; relative paths resolve like
     * `model_path`. Without one, requests with images get HTTP 400.
     */
    mmproj_path: z.string().min(1).nullable().default(null),
    /** Fallback order: lower numbers are tried first. */
    priority: z.number().int().default(100),
    description: z.string().default(""),
    /** Context size per sequence (the file's own size when omitted, at most 4096). */
    n_ctx: positiveInt.optional(),
    /** Most threads of the process's budget (`threads`) this expert computes on at once (hardware threads, at most 8, when omitted). */
    n_threads: positiveInt.max(256).optional(),
    /** Jinja chat template overriding the one in the GGUF file. */
    chat_template: z.string().min(1).nullable().default(null),
    sampling: SamplingSchema.default({}),
    /** Requests generated at the same time on this expert (batched in every step); the others wait in its queue. */
    parallel: positiveInt.max(64).default(1),
    /** Element type of the KV cache: `f16`, or `q8_0` for about half the memory. */
    kv_cache_type: z.enum(["f16", "q8_0"]).default("f16"),
    /** Positions of the KV pool its sequences share (`parallel` × `n_ctx` when omitted; see LoadOptions.kvCacheTokens). */
    kv_cache_tokens: positiveInt.optional(),
    /** Loaded at start and never unloaded (neither evicted nor idle-unloaded). */
    pinned: z.boolean().default(false),
    /** An embedding model: `/v1/embeddings` without `model` (or with `auto`) uses the first such expert. */
    embeddings: z.boolean().default(false),
  })
  .strict();

/**
 * One expert: a GGUF model (`model_path`) or an OpenAI-compatible server elsewhere (`url`: vLLM,
 * llama-server, another capibara), serving one domain.
 */
export const ExpertSchema = ExpertFieldsSchema.superRefine((e, ctx) => {
  if (e.url !== undefined && e.model_path !== undefined) {
    ctx.addIssue({ code: "custom", path: ["url"], message: "an expert has either model_path (a local GGUF file) or url (a remote server), not both" });
  } else if (e.url === undefined && e.model_path === undefined) {
    ctx.addIssue({ code: "custom", path: ["model_path"], message: "expected model_path (a GGUF file) or url (a remote OpenAI-compatible server)" });
  }
  if (e.url === undefined) {
    for (const key of ["api_key", "upstream_model"] as const) {
      if (e[key] !== null && e[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "only for a remote expert (one with url)" });
    }
  } else if (e.mmproj_path !== null) {
    ctx.addIssue({ code: "custom", path: ["mmproj_path"], message: "only for a local expert: a remote one receives its images as they are sent" });
  }
}).transform((e) => e as LocalExpertConfig | RemoteExpertConfig);

type ExpertFields = Omit<z.output<typeof ExpertFieldsSchema>, "model_path" | "url">;

/** An expert whose GGUF model runs in this process. */
export interface LocalExpertConfig extends ExpertFields {
  model_path: string;
  url?: undefined;
}

/** An expert served by a remote OpenAI-compatible API: nothing is loaded here. */
export interface RemoteExpertConfig extends ExpertFields {
  url: string;
  model_path?: undefined;
}

/** When experts are loaded and unloaded. */
export const LazyLoadingSchema = z
  .object({
    /** `false` loads every expert at start and never unloads one. */
    enabled: z.boolean().default(true),
    /** Experts resident at once; the least recently used idle one is evicted to make room. */
    max_loaded_experts: positiveInt.default(2),
    /** Unload an expert this long after its last request ended; 0 keeps it loaded. */
    auto_unload_after_s: z.number().min(0).default(300),
    /** Experts loaded at start (they may be evicted or idle-unloaded later, unlike pinned ones). */
    preload: z.array(z.string()).default([]),
    /**
     * Budget for resident experts, in MiB: a loading expert reserves its file size; a loaded one counts
     * what it holds (file pages resident in this process, packed weight copies, KV pool, buffers),
     * measured again whenever another needs room; null = none.
     */
    memory_budget_mb: z.number().positive().nullable().default(null),
    /** Requests that may wait for one expert (load or free slot) before new ones get HTTP 429. */
    max_queued_requests: positiveInt.default(64),
  })
  .strict();

/** The `router` section: the router's own schema, snake_case (see `lib/router/config.ts`). */
export { RouterSectionSchema };

/** HTTP server settings. */
export const ServerSectionSchema = z
  .object({
    /** Interface to bind; loopback unless told otherwise. */
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8082),
    /** When set, every endpoint but `/health` needs `Authorization: Bearer <api_key>`. */
    api_key: z.string().min(1).nullable().default(null),
    /** Largest request body accepted (HTTP 413 beyond). */
    body_limit_bytes: positiveInt.default(4 * 1024 * 1024),
    /** Fetch `http(s):` image URLs of chat requests (off: only `data:` URLs are accepted). */
    allow_remote_images: z.boolean().default(false),
    /** Read `file:` image URLs of chat requests from this machine's disk. */
    allow_local_images: z.boolean().default(false),
    /** Largest image accepted (after base64 decoding, or fetched/read), in bytes. */
    max_image_bytes: positiveInt.default(20 * 1024 * 1024),
    /** Time limit of one remote image fetch, in milliseconds. */
    image_fetch_timeout_ms: positiveInt.default(10_000),
  })
  .strict();

/** The whole configuration file. */
export const ConfigSchema = z
  .object({
    experts: z.array(ExpertSchema).min(1),
    /**
     * Threads computing at once over all local experts (the process's CPU budget): experts generating
     * at the same time share them instead of each running `n_threads` of its own. Default: the
     * machine's hardware threads, raised to the largest `n_threads`.
     */
    threads: positiveInt.max(256).optional(),
    lazy_loading: LazyLoadingSchema.default(LazyLoadingSchema.parse({})),
    router: RouterSectionSchema.default(RouterSectionSchema.parse({})),
    server: ServerSectionSchema.default(ServerSectionSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.experts.forEach((e, i) => {
      if (names.has(e.name)) ctx.addIssue({ code: "custom", path: ["experts", i, "name"], message: `duplicate expert name "${e.name}"` });
      names.add(e.name);
    });
    const pinned = cfg.experts.filter((e) => e.pinned).length;
    if (cfg.lazy_loading.enabled && pinned >= cfg.lazy_loading.max_loaded_experts && pinned < cfg.experts.length) {
      ctx.addIssue({
        code: "custom",
        path: ["lazy_loading", "max_loaded_experts"],
        message: `${pinned} pinned experts leave no room for the others; expected more than ${pinned}`,
      });
    }
    const known = `one of: ${[...names].join(", ")}`;
    cfg.lazy_loading.preload.forEach((n, i) => {
      if (!names.has(n)) ctx.addIssue({ code: "custom", path: ["lazy_loading", "preload", i], message: `unknown expert "${n}", expected ${known}` });
    });
    for (const [domain, n] of Object.entries(cfg.router.domain_to_expert)) {
      if (!names.has(n)) ctx.addIssue({ code: "custom", path: ["router", "domain_to_expert", domain], message: `unknown expert "${n}", expected ${known}` });
    }
  });

/** A validated configuration with defaults filled in and model paths absolute. */
export type Config = z.output<typeof ConfigSchema>;
/** A configuration as written by a user (defaults may be omitted). */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** A configuration whose experts are all local GGUF models (the built-in demo's). */
export type LocalConfig = Omit<Config, "experts"> & { experts: LocalExpertConfig[] };
/** One validated expert, local or remote (`url` set). */
export type ExpertConfig = LocalExpertConfig | RemoteExpertConfig;
/** Default sampling of an expert. */
export type SamplingConfig = z.output<typeof SamplingSchema>;
/** Validated `lazy_loading` section. */
export type LazyLoadingConfig = z.output<typeof LazyLoadingSchema>;
/** Validated `router` section. */
export type RouterSectionConfig = z.output<typeof RouterSectionSchema>;
/** Validated `server` section. */
export type ServerConfig = z.output<typeof ServerSectionSchema>;
