/**
 * A fast check of the usual request body, ahead of the zod schemas of ./openai.ts: plain text
 * messages (or a prompt) and sampling values. It accepts only bodies it can check completely and
 * returns them as they are, which is what the schemas give for them (no defaults, nothing to
 * strip); anything else, valid or not, goes through the schemas, which also word the errors.
 * test/unit/plain-body.test.ts checks on generated bodies that it never accepts one the schemas
 * reject, and that it returns the same object.
 *
 * Why: on a gateway's path to a remote's first token, the schema's parse of a small chat body took
 * about 0.2 ms: code that runs once a request is cold, and zod runs much of it (bench/README,
 * "Server: a gateway's overhead"). This check runs a tenth as much.
 * @module
 */
import type { ChatCompletionRequest, CompletionRequestBody } from "./openai.js";

type Check = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === "string";
const bool: Check = (v) => typeof v === "boolean";
const between = (lo: number, hi: number): Check => (v) => typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi;
const intFrom = (lo: number): Check => (v) => Number.isSafeInteger(v) && (v as number) >= lo;
const positive: Check = (v) => typeof v === "number" && Number.isFinite(v) && v > 0;
const stop: Check = (v) => typeof v === "string" || (Array.isArray(v) && v.length <= 16 && v.every(str));
const streamOptions: Check = (v) => isObject(v) && Object.keys(v).every((k) => k === "include_usage" && (v[k] === null || typeof v[k] === "boolean"));

const ROLES = new Set(["system", "user", "assistant", "tool", "developer"]);

/** Text-only messages: a role, string (or no) content, an optional name. */
const messages: Check = (v) =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((m) => {
    if (!isObject(m) || !ROLES.has(m.role as string)) return false;
    for (const k in m) {
      if (k === "content" ? !(m.content === null || typeof m.content === "string") : k === "name" ? typeof m.name !== "string" : k !== "role") return false;
    }
    return true;
  });

/** Fields of both endpoints; each may also be null ("unset"), as the schemas allow. */
const COMMON: Record<string, Check> = {
  model: str,
  stream: bool,
  stream_options: streamOptions,
  max_tokens: intFrom(1),
  temperature: between(0, 2),
  top_p: between(0, 1),
  top_k: intFrom(0),
  min_p: between(0, 1),
  repeat_penalty: positive,
  frequency_penalty: between(-2, 2),
  presence_penalty: between(-2, 2),
  seed: intFrom(Number.MIN_SAFE_INTEGER),
  stop,
  n: (v) => v === 1,
};
const CHAT: Record<string, Check> = { ...COMMON, max_completion_tokens: intFrom(1), continue_final_message: bool };
const REQUIRED_CHAT: Record<string, Check> = { messages };
const REQUIRED_TEXT: Record<string, Check> = { prompt: str };

function plain(body: unknown, fields: Record<string, Check>, required: Record<string, Check>): boolean {
  if (!isObject(body)) return false;
  for (const k in required) if (!required[k]!(body[k])) return false;
  for (const k in body) {
    if (Object.hasOwn(required, k)) continue;
    // Own keys only: "toString" or "constructor" in a body must not find Object's.
    const check = Object.hasOwn(fields, k) ? fields[k] : undefined;
    const v = body[k];
    if (check === undefined || (v !== null && !check(v))) return false;
  }
  return true;
}

/** The body as a chat request when it is a plain one, else null (then the schema decides). */
export function plainChatBody(body: unknown): ChatCompletionRequest | null {
  return plain(body, CHAT, REQUIRED_CHAT) ? (body as ChatCompletionRequest) : null;
}

/** The body as a completion request when it is a plain one, else null (then the schema decides). */
export function plainCompletionBody(body: unknown): CompletionRequestBody | null {
  return plain(body, COMMON, REQUIRED_TEXT) ? (body as CompletionRequestBody) : null;
}
