/**
 * The one way chat content becomes text, shared by the chat template (what the model reads) and
 * the router (what it classifies), so both see the same words.
 * @module
 */
import type { ChatMessage } from "../engine/types.js";

/**
 * Flattens a message's content: a string as it is, null (or absent) as `""`, a part array as its
 * text parts concatenated in order (as llama.cpp joins them) with each image part (`image_url` or
 * `image`) replaced by `imageMarker`. A part of any other type becomes what `other` returns for it,
 * or throws what `other` throws; without `other` it throws a `TypeError`.
 * @throws `TypeError` when `content` is not a string, an array or null.
 */
export function flattenContent(content: ChatMessage["content"] | undefined, imageMarker: string, other?: (part: { type: unknown }) => string): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw new TypeError("message content must be a string, an array of parts or null");
  let text = "";
  for (const part of content as readonly { type: unknown; text?: unknown }[]) {
    if (part.type === "text") text += String(part.text);
    else if (part.type === "image_url" || part.type === "image") text += imageMarker;
    else if (other) text += other(part);
    else throw new TypeError(`unsupported content part type '${String(part.type)}'`);
  }
  return text;
}

/** Whether a message has an image part (`image_url` or `image`). */
export function hasImageParts(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === "image_url" || p.type === "image"));
}
