/**
 * The OpenAI wire format: request schemas (zod) and response / stream-chunk builders for
 * `/v1/chat/completions` and `/v1/completions`.
 * @module
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ChatMessage, StopReason, ToolCall } from "../engine/types.js";
import type { ChatStats, SamplingOptions } from "../system.js";
import { BadRequestError } from "./errors.js";
import { grammarOf, structuredFields } from "./structured.js";
import { messageToolFields, messageTools, toolFields } from "./tools.js";

const opt = <T extends z.ZodType>(t: T) => t.nullish();

const ContentPartSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({
    type: z.literal("image_url"),
    image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.string().optional() })]),
  }),
]);

const MessageSchema = z.object({
  role: z.enum(["system", "user", "assistant", "tool", "developer"]),
  content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
  ...messageToolFields,
});

// Fields shared by both endpoints. OpenAI clients send null for "unset", so every field is nullish.
const common = {
  model: opt(z.string()),
  stream: opt(z.boolean()),
  stream_options: opt(z.object({ include_usage: opt(z.boolean()) })),
  max_tokens: opt(z.number().int().positive()),
  temperature: opt(z.number().min(0).max(2)),
  top_p: opt(z.number().min(0).max(1)),
  top_k: opt(z.number().int().min(0)),
  min_p: opt(z.number().min(0).max(1)),
  repeat_penalty: opt(z.number().positive()),
  frequency_penalty: opt(z.number().min(-2).max(2)),
  presence_penalty: opt(z.number().min(-2).max(2)),
  seed: opt(z.number().int()),
  stop: opt(z.union([z.string(), z.array(z.string()).max(16)])),
  n: opt(z.number().int()),
  ...structuredFields,
};

/** Body of `POST /v1/chat/completions`. */
export const ChatCompletionRequestSchema = z.object({
  ...common,
  messages: z.array(MessageSchema).min(1),
  max_completion_tokens: opt(z.number().int().positive()),
  // vLLM's assistant prefill: the answer continues the last message, an assistant one.
  continue_final_message: opt(z.boolean()),
  ...toolFields,
});

/** Body of `POST /v1/completions`. */
export const CompletionRequestSchema = z.object({ ...common, prompt: z.string() });

/** A validated chat completion request. */
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequestSchema>;
/** A validated completion request. */
export type CompletionRequestBody = z.output<typeof CompletionRequestSchema>;

/**
 * Validates a body against a schema.
 * @throws {@link BadRequestError} naming the first bad field.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError("the request body must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || null;
    throw new BadRequestError(`${param ?? "body"}: ${issue.message}`, param);
  }
  const data = result.data as z.output<T> & { n?: number | null };
  if (data.n !== undefined && data.n !== null && data.n !== 1) throw new BadRequestError("only n = 1 is supported", "n");
  return data;
}

/** Sampling options of a request, in the system's terms. */
export function samplingOf(body: CompletionRequestBody | ChatCompletionRequest): SamplingOptions {
  const maxTokens = ("max_completion_tokens" in body ? body.max_completion_tokens : undefined) ?? body.max_tokens;
  const defined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
  return {
    maxTokens: defined(maxTokens),
    temperature: defined(body.temperature),
    topP: defined(body.top_p),
    topK: defined(body.top_k),
    minP: defined(body.min_p),
    repeatPenalty: defined(body.repeat_penalty),
    frequencyPenalty: defined(body.frequency_penalty),
    presencePenalty: defined(body.presence_penalty),
    seed: defined(body.seed),
    stop: body.stop === null || body.stop === undefined ? undefined : typeof body.stop === "string" ? [body.stop] : body.stop,
    grammar: grammarOf(body),
  };
}

/** Messages in the engine's shape (image URLs given as strings become `{url}`). */
export function messagesOf(body: ChatCompletionRequest): ChatMessage[] {
  return body.messages.map((m) => ({
    role: m.role,
    content:
      m.content === undefined || m.content === null || typeof m.content === "string"
        ? (m.content ?? null)
        : m.content.map((p) => (p.type === "text" ? p : { type: "image_url", image_url: typeof p.image_url === "string" ? { url: p.image_url } : p.image_url })),
    ...(m.name ? { name: m.name } : {}),
    ...messageTools(m),
  }));
}

/** OpenAI's finish reason for an engine stop reason (`tool_calls` when the answer made calls). */
export function finishReason(stop: StopReason, toolCalls = 0): "stop" | "length" | "tool_calls" {
  if (toolCalls > 0) return "tool_calls";
  return stop === "maxTokens" || stop === "contextFull" ? "length" : "stop";
}

/** Token counts in OpenAI's shape. */
export function usageOf(stats: ChatStats) {
  return {
    prompt_tokens: stats.promptTokens,
    completion_tokens: stats.generatedTokens,
    total_tokens: stats.promptTokens + stats.generatedTokens,
    prompt_tokens_details: { cached_tokens: stats.cachedPromptTokens },
  };
}

/** Identity of one response: id, creation time and the expert that served it (`model`). */
export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

/** A new response identity; `kind` picks the OpenAI id prefix. */
export function responseMeta(kind: "chat" | "text", model: string): ResponseMeta {
  return { id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

/** One `chat.completion.chunk` (content or tool-call delta, role on the first, finish reason on the last). */
export function chatChunk(meta: ResponseMeta, delta: { role?: "assistant"; content?: string; tool_calls?: unknown[] }, finish: string | null) {
  return { ...meta, object: "chat.completion.chunk", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

/** One `text_completion` stream chunk. */
export function textChunk(meta: ResponseMeta, text: string, finish: string | null) {
  return { ...meta, object: "text_completion", choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] };
}

/** The final usage chunk of a stream (`stream_options.include_usage`). */
export function usageChunk(meta: ResponseMeta, object: "chat.completion.chunk" | "text_completion", stats: ChatStats) {
  return { ...meta, object, choices: [], usage: usageOf(stats) };
}

/** A whole `chat.completion` (content null when the answer is only tool calls). */
export function chatCompletion(meta: ResponseMeta, text: string, stats: ChatStats, toolCalls: readonly ToolCall[] = []) {
  const message = toolCalls.length
    ? { role: "assistant", content: text || null, refusal: null, tool_calls: toolCalls }
    : { role: "assistant", content: text, refusal: null };
  return {
    ...meta,
    object: "chat.completion",
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(stats.stopReason, toolCalls.length) }],
    usage: usageOf(stats),
  };
}

/** A whole `text_completion`. */
export function textCompletion(meta: ResponseMeta, text: string, stats: ChatStats) {
  return { ...meta, object: "text_completion", choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason(stats.stopReason) }], usage: usageOf(stats) };
}
