/**
 * The semantic router: applies the routing policy (images and length, then language and
 * translation intent, then the learned topic, and follow-ups staying with the conversation's
 * domain) to a chat request.
 * @module
 */
import { parseRouterConfig, type RouterConfig, type RouterConfigInput } from "./config.js";
import { shippedTopicWeights, topicProbabilities, type TopicWeights } from "./classifier.js";
import { namesConcept } from "./features.js";
import { followUpShape, seenStems } from "./followup.js";
import { translationIntent } from "./intent.js";
import { RouterInputError } from "./errors.js";
import { identifyLanguage } from "./language.js";
import { readConversation } from "./messages.js";
import { codeSignals, fold, proseOf, quotedPhrases } from "./text.js";
import { DOMAINS, TOPIC_DOMAINS, type ChatMessage, type Domain, type RouteDecision, type RouteOptions, type TopicDomain } from "./types.js";

/** Only this much of a user message is analysed for language and topic; longer prompts are long-context anyway. */
const ANALYSED_CHARS = 8192;

/** How sure the language identifier must be that a quoted phrase is foreign (one word is never enough). */
const QUOTED_FOREIGN_SCORE = 0.8;

/** How many earlier user messages a follow-up looks back through for the conversation's domain. */
const MAX_LOOKBACK = 12;

/** How many messages before a follow-up count as its context (words it may repeat without bringing a topic). */
const CONTEXT_MESSAGES = 4;

/**
 * A short message that the topic classifier is unsure about carries no clear topic of its own
 * ("can you add a cancel method?" after code): it stays with the conversation too.
 */
const SHORT_WORDS = 8;
const UNSURE_TOPIC = 0.7;
/** A very short one ("more edge cases please") needs a confident classifier to have a topic of its own. */
const VERY_SHORT_WORDS = 6;
const UNSURE_VERY_SHORT = 0.9;
/** How sure the classifier must be that a message naming one of its domain's concepts has that topic. */
const SURE_TOPIC = 0.9;

const CONCEPT_OF = { coding: "code", technical: "engineering", general: "everyday" } as const;

/** Confidence of a decision carried over from an earlier message. */
const FOLLOW_UP_CONFIDENCE = 0.8;

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

/** What one user message says on its own. */
interface MessageVerdict {
  domain: Domain;
  confidence: number;
  reasons: string[];
  /** Evidence of this message for the four text-decided domains. */
  scores: Omit<Record<Domain, number>, "multimodal_expert">;
  /** A signal no conversation can override: an operator keyword, another language, a translation request or code. */
  strong: boolean;
}

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
   * Picks the domain for a chat request. The last user message decides when it has a topic of its
   * own; a follow-up without one ("and in Kotlin?", "thanks") stays with the domain of the latest
   * earlier user message that had one, or with `options.previous` when given.
   * @param messages - OpenAI-style chat messages.
   * @param options - per-call options (threshold override, the previous decision as a hint).
   * @throws {@link RouterInputError} (`ROUTER_BAD_INPUT`) for malformed messages or options.
   */
  route(messages: readonly ChatMessage[], options: RouteOptions = {}): RouteDecision {
    if (typeof options !== "object" || options === null) throw new RouterInputError("options must be an object");
    const cfg = this.config;
    const threshold = options.longPromptTokens ?? cfg.longPromptTokens;
    if (!Number.isFinite(threshold) || threshold <= 0) {
      throw new RouterInputError(`longPromptTokens must be a positive number, got ${String(options.longPromptTokens)}`);
    }
    const previous = options.previous?.domain;
    if (previous !== undefined && !(DOMAINS as readonly string[]).includes(previous)) {
      throw new RouterInputError(`previous.domain must be one of ${DOMAINS.join(", ")}, got ${String(previous)}`);
    }
    const conv = readConversation(messages, cfg.charsPerToken, threshold);
    const users = conv.userIndices;
    const lastIndex = users[users.length - 1];
    const verdict = lastIndex === undefined ? undefined : this.analyse(conv.texts[lastIndex] as string);

    // 1. Images anywhere, or a long conversation: the multimodal / long-context expert.
    const long = conv.estimatedTokens > threshold;
    const scores: Record<Domain, number> = {
      multimodal_expert: conv.images > 0 || long ? 1 : Math.min(0.99, conv.estimatedTokens / threshold) * 0.5,
      multilingual_expert: 0,
      coding: 0,
      technical: 0,
      general: 0,
      ...verdict?.scores,
    };
    for (const d of DOMAINS) scores[d] = round(scores[d]);
    const decide = (domain: Domain, confidence: number, reasons: string[]): RouteDecision => ({ domain, confidence: round(confidence), scores, reasons });
    if (conv.images > 0 || long) {
      const reasons: string[] = [];
      if (conv.images > 0) reasons.push(conv.images === 1 ? "contains an image" : `contains ${conv.images} images`);
      if (long) reasons.push(`long prompt: ~${conv.estimatedTokens} tokens > ${threshold}`);
      return decide("multimodal_expert", 1, reasons);
    }
    if (verdict === undefined || lastIndex === undefined) return decide("general", 1, ["no user message"]);
    if (verdict.strong) return decide(verdict.domain, verdict.confidence, verdict.reasons);

    // Follow-ups stay: a message without a topic of its own keeps the conversation's domain.
    if (users.length > 1 || previous !== undefined) {
      const text = conv.texts[lastIndex] as string;
      const shape = followUpShape(text, seenStems(conv.texts.slice(Math.max(0, lastIndex - CONTEXT_MESSAGES), lastIndex)));
      const unsure = shape.words <= VERY_SHORT_WORDS ? verdict.confidence < UNSURE_VERY_SHORT : shape.words <= SHORT_WORDS && verdict.confidence < UNSURE_TOPIC;
      if (shape.followUp || (!shape.switches && unsure)) {
        const held = previous !== undefined ? { domain: previous, from: "the previous decision" } : this.conversationDomain(conv.texts, users);
        // A short message the classifier is sure about that names a concept of that domain has a
        // topic of its own ("now do it in Python", "how about a haiku instead?"); one that points
        // back keeps the conversation, except for code words, which are precise enough.
        const topic = verdict.domain as TopicDomain;
        const ownTopic =
          verdict.confidence >= SURE_TOPIC && namesConcept(text, CONCEPT_OF[topic]) && (topic === "coding" || !shape.anaphor);
        if (held && !(ownTopic && held.domain !== topic)) return decide(held.domain, FOLLOW_UP_CONFIDENCE, [`follow-up: stays with ${held.domain} from ${held.from}`]);
        // Only follow-ups as far back as the router looks: nothing to stay with.
        if (!held && shape.followUp && !ownTopic) {
          return decide("general", FOLLOW_UP_CONFIDENCE, [verdict.reasons[0] as string, `follow-up without an earlier topic in the last ${MAX_LOOKBACK} user messages`]);
        }
      }
      if (shape.switches) verdict.reasons.unshift("announces a new topic");
    }
    return decide(verdict.domain, verdict.confidence, verdict.reasons);
  }

  /**
   * The domain of the latest earlier user message (before the last one) that had a topic of its
   * own, looking back through at most {@link MAX_LOOKBACK} of them; the first user message always
   * counts.
   */
  private conversationDomain(texts: readonly string[], users: readonly number[]): { domain: Domain; from: string } | undefined {
    const last = users.length - 1;
    for (let k = last - 1; k >= Math.max(0, last - MAX_LOOKBACK); k--) {
      const i = users[k] as number;
      const t = texts[i] as string;
      const before = this.analyse(t);
      if (before.reasons[0] === "empty message") continue;
      if (!before.strong && k > 0 && followUpShape(t, seenStems(texts.slice(Math.max(0, i - CONTEXT_MESSAGES), i))).followUp) continue;
      return { domain: before.domain, from: `message ${i + 1}` };
    }
    return undefined;
  }

  /** The domain one user message asks for on its own (policy rules 2-5). */
  private analyse(message: string): MessageVerdict {
    const cfg = this.config;
    const text = message.length > ANALYSED_CHARS ? message.slice(0, ANALYSED_CHARS) : message;
    const code = codeSignals(text);
    const lang = identifyLanguage(proseOf(text), cfg.foreignScriptShare);
    // A quoted phrase in another language, asked about in English or Spanish, is a translation request.
    const quoted = quotedPhrases(text)
      .map((q) => identifyLanguage(q, cfg.foreignScriptShare))
      .find((v) => !v.primary && v.otherScore >= QUOTED_FOREIGN_SCORE);
    const intent = translationIntent(text, lang.primary ? lang.language : "", code.hasSnippet, quoted?.language ?? "");
    const p = topicProbabilities(this.weights, text);
    const scores = {
      multilingual_expert: Math.max(lang.otherScore, intent.found ? 0.9 : 0),
      general: p[0],
      technical: p[1],
      coding: code.hasSnippet ? Math.max(p[2], 0.95) : p[2],
    };
    const verdict = (domain: Domain, confidence: number, reasons: string[], strong: boolean): MessageVerdict => ({ domain, confidence, reasons, scores, strong });
    if (text.trim() === "") return verdict("general", 1, ["empty message"], false);

    // Operator keyword overrides.
    const folded = fold(text);
    for (const [domain, re] of this.keywordRules) {
      if (re.test(folded)) return verdict(domain, 1, [`operator keyword for ${domain}`], true);
    }

    // 2. Another language, or a translation request.
    if (!lang.primary) return verdict("multilingual_expert", lang.otherScore, [lang.reason], true);
    if (intent.found) return verdict("multilingual_expert", 0.9, [lang.reason, intent.reason], true);

    // 3-5. Code snippets, then the learned topic.
    if (code.hasSnippet) return verdict("coding", scores.coding, [lang.reason, code.fences > 0 ? "contains a code block" : "contains code"], true);
    let best: TopicDomain = "general";
    for (const d of TOPIC_DOMAINS) if (scores[d] > scores[best] && scores[d] >= cfg.topicMinProbability) best = d;
    return verdict(best, scores[best], [lang.reason, `${TOPIC_REASON[best]} (classifier p=${round(scores[best])})`], false);
  }
}

/** Creates a {@link Router} from a configuration (validated, defaults filled in). */
export function createRouter(config: RouterConfigInput = {}): Router {
  return new Router(config);
}
