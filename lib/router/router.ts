/**
 * The semantic router: applies the routing policy (images and length, then language and
 * translation intent, then the learned topic) to a chat request.
 * @module
 */
import { parseRouterConfig, type RouterConfig, type RouterConfigInput } from "./config.js";
import { shippedTopicWeights, topicProbabilities, type TopicWeights } from "./classifier.js";
import { translationIntent } from "./intent.js";
import { RouterInputError } from "./errors.js";
import { identifyLanguage } from "./language.js";
import { readConversation } from "./messages.js";
import { codeSignals, fold, proseOf, quotedPhrases } from "./text.js";
import { DOMAINS, TOPIC_DOMAINS, type ChatMessage, type Domain, type RouteDecision, type RouteOptions, type TopicDomain } from "./types.js";

/** Only this much of the last user message is analysed for language and topic; longer prompts are long-context anyway. */
const ANALYSED_CHARS = 8192;

/** How sure the language identifier must be that a quoted phrase is foreign (one word is never enough). */
const QUOTED_FOREIGN_SCORE = 0.8;

const TOPIC_REASON: Record<TopicDomain, string> = {
  coding: "asks for code",
  technical: "technical or scientific topic",
  general: "general request",
};

function keywordMatcher(words: readonly string[]): RegExp {
  const alts = words.map((w) => fold(w).trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+"));
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join("|")})(?![\\p{L}\\p{N}])`, "u");
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** A configured router. Create it once and call {@link Router.route} per request; it keeps no per-request state. */
export class Router {
  /** The validated configuration, defaults filled in. */
  readonly config: RouterConfig;
  private readonly weights: TopicWeights;
  private readonly keywordRules: ReadonlyArray<[Domain, RegExp]>;

  /**
   * @param config - router configuration; validated with {@link RouterConfigSchema}.
   * @param weights - topic classifier weights; defaults to the shipped model.
   * @throws {@link ConfigError} for an invalid configuration.
   */
  constructor(config: RouterConfigInput = {}, weights: TopicWeights = shippedTopicWeights()) {
    this.config = parseRouterConfig(config);
    this.weights = weights;
    this.keywordRules = DOMAINS.flatMap((d) => {
      const words = this.config.keywords[d];
      return words && words.length > 0 ? [[d, keywordMatcher(words)] as [Domain, RegExp]] : [];
    });
  }

  /**
   * Picks the domain for a chat request.
   * @param messages - OpenAI-style chat messages.
   * @throws {@link RouterInputError} (`ROUTER_BAD_INPUT`) for malformed messages or options.
   */
  route(messages: readonly ChatMessage[], options: RouteOptions = {}): RouteDecision {
    const cfg = this.config;
    const threshold = options.longPromptTokens ?? cfg.longPromptTokens;
    if (!Number.isFinite(threshold) || threshold <= 0) {
      throw new RouterInputError(`longPromptTokens must be a positive number, got ${String(options.longPromptTokens)}`);
    }
    const conv = readConversation(messages, cfg.charsPerToken, threshold);
    const scores = Object.fromEntries(DOMAINS.map((d) => [d, 0])) as Record<Domain, number>;
    const reasons: string[] = [];
    const decide = (domain: Domain, confidence: number): RouteDecision => {
      for (const d of DOMAINS) scores[d] = round(scores[d]);
      return { domain, confidence: round(confidence), scores, reasons };
    };

    // 1. Images anywhere, or a long conversation: the multimodal / long-context expert.
    const long = conv.estimatedTokens > threshold;
    scores.multimodal_expert = conv.images > 0 || long ? 1 : Math.min(0.99, conv.estimatedTokens / threshold) * 0.5;
    if (conv.images > 0) reasons.push(conv.images === 1 ? "contains an image" : `contains ${conv.images} images`);
    if (long) reasons.push(`long prompt: ~${conv.estimatedTokens} tokens > ${threshold}`);

    const text = conv.lastUserText.length > ANALYSED_CHARS ? conv.lastUserText.slice(0, ANALYSED_CHARS) : conv.lastUserText;
    const code = codeSignals(text);
    const lang = identifyLanguage(proseOf(text), cfg.foreignScriptShare);
    // A quoted phrase in another language, asked about in English or Spanish, is a translation request.
    const quoted = quotedPhrases(text)
      .map((q) => identifyLanguage(q, cfg.foreignScriptShare))
      .find((v) => !v.primary && v.otherScore >= QUOTED_FOREIGN_SCORE);
    const intent = translationIntent(text, lang.primary ? lang.language : "", code.hasSnippet, quoted?.language ?? "");
    const p = topicProbabilities(this.weights, text);
    scores.multilingual_expert = Math.max(lang.otherScore, intent.found ? 0.9 : 0);
    scores.general = p[0];
    scores.technical = p[1];
    scores.coding = code.hasSnippet ? Math.max(p[2], 0.95) : p[2];

    if (conv.images > 0 || long) return decide("multimodal_expert", 1);
    if (text.trim() === "") {
      reasons.push("empty message");
      return decide("general", 1);
    }

    // Operator keyword overrides.
    const folded = fold(text);
    for (const [domain, re] of this.keywordRules) {
      if (re.test(folded)) {
        reasons.push(`operator keyword for ${domain}`);
        return decide(domain, 1);
      }
    }

    // 2. Another language, or a translation request.
    reasons.push(lang.reason);
    if (!lang.primary) return decide("multilingual_expert", lang.otherScore);
    if (intent.found) {
      reasons.push(intent.reason);
      return decide("multilingual_expert", 0.9);
    }

    // 3-5. Code snippets, then the learned topic.
    if (code.hasSnippet) {
      reasons.push(code.fences > 0 ? "contains a code block" : "contains code");
      return decide("coding", scores.coding);
    }
    let best: TopicDomain = "general";
    for (const d of TOPIC_DOMAINS) if (scores[d] > scores[best] && scores[d] >= cfg.topicMinProbability) best = d;
    reasons.push(`${TOPIC_REASON[best]} (classifier p=${round(scores[best])})`);
    return decide(best, scores[best]);
  }
}

/** Creates a {@link Router} from a configuration (validated, defaults filled in). */
export function createRouter(config: RouterConfigInput = {}): Router {
  return new Router(config);
}
