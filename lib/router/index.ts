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
 * messages (and options) always give the same decision. Also exported at the package's top level
 * (`import { route } from "capibara"`).
 * @param messages - OpenAI-style chat messages; the last user message decides, a follow-up without
 *   a topic of its own stays with the conversation's domain.
 * @param options - per-call options, e.g. `{ previous }`: the previous turn's decision as a hint.
 * @throws {@link RouterInputError} (`ROUTER_BAD_INPUT`) for malformed messages or options.
 * @example
 * ```ts
 * route([{ role: "user", content: "Write a regex for ISO dates" }]).domain; // "coding"
 * const first = route([{ role: "user", content: "Write a Kotlin data class for a user" }]);
 * route([...history, { role: "user", content: "and in Swift?" }], { previous: first }).domain; // "coding"
 * ```
 */
export function route(messages: readonly ChatMessage[], options?: RouteOptions): RouteDecision {
  defaultRouter ??= new Router();
  return defaultRouter.route(messages, options);
}
