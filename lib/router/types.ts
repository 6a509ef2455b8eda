/**
 * Public types of the semantic router.
 * @module
 */

/** The five expert domains, in policy order (the first rule that applies wins). */
export const DOMAINS = ["multimodal_expert", "multilingual_expert", "coding", "technical", "general"] as const;

/** One of the five expert domains. */
export type Domain = (typeof DOMAINS)[number];

/** The three domains decided by the learned topic classifier. */
export const TOPIC_DOMAINS = ["general", "technical", "coding"] as const;

/** A domain decided by the learned topic classifier. */
export type TopicDomain = (typeof TOPIC_DOMAINS)[number];

/** A text part of an OpenAI-style message. */
export interface TextContentPart {
  type: "text";
  text: string;
}

/** An image part of an OpenAI-style message (`url` may be a data URL). */
export interface ImageContentPart {
  type: "image_url";
  image_url: string | { url: string; detail?: string };
}

/** Any content part; unknown part types are accepted and ignored (e.g. `input_audio`). */
export type ContentPart = TextContentPart | ImageContentPart | { type: string; [key: string]: unknown };

/** An OpenAI-style chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool" | "developer" | (string & {});
  content: string | ContentPart[] | null;
  name?: string;
}

/** The router's choice for one request. */
export interface RouteDecision {
  /** The chosen domain. */
  domain: Domain;
  /** How sure the router is of `domain`, in [0, 1]. */
  confidence: number;
  /**
   * Evidence of the last user message for every domain in [0, 1]: rule strength for the
   * multimodal and multilingual domains, classifier probability (raised by code syntax for
   * `coding`) for the topic domains. A follow-up's `domain` comes from earlier in the
   * conversation, so it may differ from the highest score.
   */
  scores: Record<Domain, number>;
  /** Why, in words, e.g. `"contains an image"`, `"language: fr"`, `"follow-up: stays with coding from message 1"`. */
  reasons: string[];
}

/** Per-call options of {@link route}. */
export interface RouteOptions {
  /** Overrides the configured long-prompt threshold (estimated tokens) for this call. */
  longPromptTokens?: number;
  /**
   * The decision for the previous turn of this conversation, when the caller kept it (in-process
   * callers; the HTTP API is stateless and never needs it). A follow-up without a topic of its own
   * then stays with `previous.domain` without looking back through the messages.
   */
  previous?: Pick<RouteDecision, "domain">;
}
