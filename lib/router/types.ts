/**
 * Public types of the semantic router.
 * @module
 */
import type { ImageUrlContentPart } from "../engine/types.js";

/** The five expert domains, in policy order (the first rule that applies wins). */
export const DOMAINS = ["multimodal_expert", "multilingual_expert", "coding", "technical", "general"] as const;

/** One of the five expert domains. */
export type Domain = (typeof DOMAINS)[number];

/** The three domains decided by the learned topic classifier. */
export const TOPIC_DOMAINS = ["general", "technical", "coding"] as const;

/** A domain decided by the learned topic classifier. */
export type TopicDomain = (typeof TOPIC_DOMAINS)[number];

/** The package's one chat message type (`lib/engine/types.ts`), re-exported for the router's callers. */
export type { ChatMessage, ContentPart, TextContentPart } from "../engine/types.js";

/**
 * An image part given by URL: the router's earlier name for {@link ImageUrlContentPart}. Untyped
 * (JSON) callers may also give `image_url` as a bare URL string or send part types of their own;
 * the router counts the first as an image and skips the others.
 */
export type ImageContentPart = ImageUrlContentPart;

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

/**
 * The topic classifier as stored: int8 weights with one dequantisation scale. On disk it is
 * `data/router/topic-model.json` (everything but the weights, plus their SHA-256) and
 * `data/router/topic-weights.i8.gz` (the gzipped int8 weights), written by `npm run train:router`.
 */
export interface SerializedTopicModel {
  /** Feature bits the weights were trained with (must match the feature extractor's). */
  bits: number;
  /** Class order of the weight rows. */
  classes: readonly string[];
  /** Dequantisation scale: weight = int8 * scale. */
  scale: number;
  /** Per-class bias. */
  bias: readonly number[];
  /** 2^bits * classes.length int8 weights, feature-major. */
  weights: Int8Array;
}
