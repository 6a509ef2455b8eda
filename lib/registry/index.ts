/**
 * The expert registry: the configured experts and how a request's `model` field names one.
 * @module
 */
import { CapibaraError } from "../errors.js";
import type { Config, ExpertConfig } from "../config/schema.js";

/** The `model` value that asks for automatic routing (as does an omitted model). */
export const AUTO_MODEL = "auto";

/** The request named a model that is neither an expert, a domain nor `auto` (HTTP 404). */
export class ModelNotFoundError extends CapibaraError {
  constructor(model: string, known: readonly string[]) {
    super("MODEL_NOT_FOUND", `model "${model}" does not exist; available: ${[AUTO_MODEL, ...known].join(", ")}`);
  }
}

/** How a request's `model` field was read. */
export type ModelSelection =
  | { kind: "auto" }
  | { kind: "expert"; expert: ExpertConfig }
  | { kind: "domain"; domain: string; expert: ExpertConfig };

/** The configured experts, indexed by name and domain, in fallback (priority) order. */
export class ExpertRegistry {
  /** Experts sorted by priority (lower first), then by configuration order. */
  readonly experts: readonly ExpertConfig[];
  private readonly byName: ReadonlyMap<string, ExpertConfig>;
  private readonly domainMap: ReadonlyMap<string, ExpertConfig>;

  constructor(config: Pick<Config, "experts" | "router">) {
    this.experts = config.experts.map((e, i) => [e, i] as const).sort((a, b) => a[0].priority - b[0].priority || a[1] - b[1]).map(([e]) => e);
    this.byName = new Map(this.experts.map((e) => [e.name, e]));
    const domains = new Map<string, ExpertConfig>();
    // The first expert in priority order serves its domain unless the router section maps it elsewhere.
    for (const e of this.experts) if (!domains.has(e.domain)) domains.set(e.domain, e);
    for (const [domain, name] of Object.entries(config.router.domain_to_expert)) domains.set(domain, this.get(name));
    this.domainMap = domains;
  }

  /** Expert names in priority order. */
  get names(): string[] {
    return this.experts.map((e) => e.name);
  }

  /** Domains that have an expert. */
  get domains(): string[] {
    return [...this.domainMap.keys()];
  }

  /**
   * The expert with this name.
   * @throws {@link ModelNotFoundError} when there is none.
   */
  get(name: string): ExpertConfig {
    const e = this.byName.get(name);
    if (!e) throw new ModelNotFoundError(name, this.names);
    return e;
  }

  /** The expert serving a domain, if any. */
  forDomain(domain: string): ExpertConfig | undefined {
    return this.domainMap.get(domain);
  }

  /**
   * Reads an OpenAI `model` field: an expert name, a domain, `auto` or nothing.
   * @throws {@link ModelNotFoundError} for anything else.
   */
  select(model: string | undefined | null): ModelSelection {
    if (model === undefined || model === null || model === "" || model === AUTO_MODEL) return { kind: "auto" };
    const expert = this.byName.get(model);
    if (expert) return { kind: "expert", expert };
    const byDomain = this.domainMap.get(model);
    if (byDomain) return { kind: "domain", domain: model, expert: byDomain };
    throw new ModelNotFoundError(model, this.names);
  }

  /** The experts to try after `name` fails to load, in priority order. */
  fallbacks(name: string): ExpertConfig[] {
    return this.experts.filter((e) => e.name !== name);
  }
}

export * from "./remote.js";
