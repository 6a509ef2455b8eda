/**
 * Semantic router: picks the expert domain of a chat request whose model is omitted or `"auto"`.
 * See `lib/router/README.md` for the policy, the signals and how the topic model is trained.
 * @module
 */
import { Router } from "./router.js";
import type { ChatMessage, RouteDecision, RouteOptions } from "./types.js";

export { Router, createRouter } from "./router.js";
export { RouterConfigSchema, RouterSectionSchema, parseRouterConfig, routerConfigFromSection, type RouterConfig, type RouterConfigInput, type RouterSection } from "./config.js";
export { RouterInputError } from "./errors.js";
export { classifyTopic, decodeTopicModel, readShippedTopicModel, topicWeightsHash, type TopicWeights } from "./classifier.js";
export { DOMAINS, TOPIC_DOMAINS } from "./types.js";
export type { Domain, TopicDomain, ChatMessage, ContentPart, TextContentPart, ImageContentPart, RouteDecision, RouteOptions, SerializedTopicModel } from "./types.js";

let defaultRouter: Router | undefined;

/**
 * Routes a chat request with the default configuration. Pure and deterministic: the same
 * messages always give the same decision.
 * @throws {@link RouterInputError} (`ROUTER_BAD_INPUT`) for malformed messages.
 * @example
 * ```ts
 * route([{ role: "user", content: "Write a regex for ISO dates" }]).domain; // "coding"
 * ```
 */
export function route(messages: readonly ChatMessage[], options?: RouteOptions): RouteDecision {
  defaultRouter ??= new Router();
  return defaultRouter.route(messages, options);
}
