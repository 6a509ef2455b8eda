/**
 * Validates chat messages and extracts what the policy looks at: images anywhere, the whole
 * conversation's size, and the text of every message (the user messages decide, the others give
 * context to follow-ups).
 * @module
 */
import { flattenContent } from "../chat/content.js";
import { RouterInputError } from "./errors.js";
import type { ChatMessage } from "./types.js";

/** What the router reads from a conversation. */
export interface ConversationView {
  /** Number of image parts in any message. */
  images: number;
  /** Estimated prompt tokens over every message (counting stops soon after the threshold is passed). */
  estimatedTokens: number;
  /** Text of every message (content flattened as the chat template does, images as newlines), in order. */
  texts: string[];
  /** Indices (into `texts`) of the user messages, in order. */
  userIndices: number[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** CJK ideographs, kana and Hangul cost about one token each; other text about `charsPerToken` characters. */
const DENSE_SCRIPT = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/g;

/**
 * Estimates tokens of a text. Past `cap` tokens the exact figure no longer matters, so the scan
 * stops early and huge inputs cost almost nothing.
 */
function estimateTokens(text: string, charsPerToken: number, cap = Number.POSITIVE_INFINITY): number {
  if (text.length / charsPerToken > cap) return Math.ceil(text.length / charsPerToken);
  const dense = text.match(DENSE_SCRIPT)?.length ?? 0;
  return Math.ceil((text.length - dense) / charsPerToken + dense);
}

function partError(i: number, j: number, what: string): RouterInputError {
  return new RouterInputError(`messages[${i}].content[${j}]: ${what}`);
}

/**
 * Checks the shape of `messages` and builds the {@link ConversationView}.
 * @throws {@link RouterInputError} (`ROUTER_BAD_INPUT`) when `messages` is not an array of
 * `{ role: string, content: string | ContentPart[] | null }`.
 */
export function readConversation(messages: readonly ChatMessage[], charsPerToken: number, tokenCap: number): ConversationView {
  if (!Array.isArray(messages)) throw new RouterInputError("messages must be an array of chat messages");
  let images = 0;
  let tokens = 0;
  const texts: string[] = [];
  const userIndices: number[] = [];
  messages.forEach((m: unknown, i) => {
    if (!isRecord(m)) throw new RouterInputError(`messages[${i}] must be an object`);
    if (typeof m.role !== "string") throw new RouterInputError(`messages[${i}].role must be a string`);
    const content = m.content;
    if (Array.isArray(content)) {
      content.forEach((p: unknown, j) => {
        if (!isRecord(p) || typeof p.type !== "string") throw partError(i, j, "must be an object with a string `type`");
        if (p.type === "text") {
          if (typeof p.text !== "string") throw partError(i, j, "text part needs a string `text`");
        } else if (p.type === "image_url") {
          const img = p.image_url;
          const ok = typeof img === "string" || (isRecord(img) && typeof img.url === "string");
          if (!ok) throw partError(i, j, "image_url part needs `image_url: { url: string }`");
          images++;
        } else if (p.type === "image") {
          images++;  // in-process image bytes ({ type: "image", data })
        }
      });
    } else if (typeof content !== "string" && content !== null && content !== undefined) {
      throw new RouterInputError(`messages[${i}].content must be a string, an array of parts or null`);
    }
    // The words the model reads (the template flattens the same way); an image keeps the words on
    // either side apart, and part types of other kinds are skipped.
    const text = flattenContent(content as ChatMessage["content"], "\n", () => "");
    // Each message is scanned at most once, and none once the conversation is known to be long.
    if (tokens <= tokenCap) tokens += estimateTokens(text, charsPerToken, tokenCap);
    texts.push(text);
    if (m.role === "user") userIndices.push(i);
  });
  return { images, estimatedTokens: tokens, texts, userIndices };
}
