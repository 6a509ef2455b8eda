/**
 * One chat-message type and one way to flatten content: the router's exported message types are the
 * engine's, and the chat template and the router read the same text from the same content.
 */
import { describe, expect, expectTypeOf, test } from "vitest";
import { ChatTemplate, ChatTemplateError, flattenContent, hasImageParts, type ChatMessage, type ContentPart, type ImageUrlContentPart, type TextContentPart } from "../../lib/index.js";
import { readConversation } from "../../lib/router/messages.js";
import type * as router from "../../lib/router/index.js";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

const conversation: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: [{ type: "text", text: "Compare" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }, { type: "text", text: "and" }, { type: "image", data: png }, { type: "text", text: " which is brighter?" }] },
  { role: "assistant", content: null },
  { role: "user", content: [{ type: "text", text: "Write a Rust function" }, { type: "text", text: " that parses a CSV line." }] },
];

describe("chat content", () => {
  test("the router's message types are the package's one type", () => {
    expectTypeOf<router.ChatMessage>().toEqualTypeOf<ChatMessage>();
    expectTypeOf<router.ContentPart>().toEqualTypeOf<ContentPart>();
    expectTypeOf<router.TextContentPart>().toEqualTypeOf<TextContentPart>();
    expectTypeOf<router.ImageContentPart>().toEqualTypeOf<ImageUrlContentPart>();
  });

  test("flattenContent: strings as they are, null as empty, parts in order with images as the marker", () => {
    expect(flattenContent("hi there", "<img>")).toBe("hi there");
    expect(flattenContent(null, "<img>")).toBe("");
    expect(flattenContent([], "<img>")).toBe("");
    expect(flattenContent(conversation[1]!.content, "<img>")).toBe("Compare<img>and<img> which is brighter?");
    expect(flattenContent(conversation[3]!.content, "<img>")).toBe("Write a Rust function that parses a CSV line.");
  });

  test("flattenContent: another part type is refused unless the caller says what it becomes", () => {
    const odd = [{ type: "text", text: "a" }, { type: "input_audio", input_audio: {} }, { type: "text", text: "b" }] as unknown as ContentPart[];
    expect(() => flattenContent(odd, "")).toThrow(/unsupported content part type 'input_audio'/);
    expect(flattenContent(odd, "", (p) => `[${String(p.type)}]`)).toBe("a[input_audio]b");
    expect(() => flattenContent(42 as unknown as string, "")).toThrow(TypeError);
  });

  test("the chat template renders each message's flattened content", () => {
    const t = ChatTemplate.resolve({ override: "{% for m in messages %}{{ m.role }}={{ m.content }}|{% endfor %}" });
    const want = conversation.map((m) => `${m.role}=${flattenContent(m.content, "<M>")}|`).join("");
    expect(t.render(conversation, { imageMarker: "<M>", addGenerationPrompt: false })).toBe(want);
    const odd = [{ role: "user", content: [{ type: "video", url: "x" }] }] as unknown as ChatMessage[];
    expect(() => t.render(odd)).toThrow(ChatTemplateError);
  });

  test("the router reads the same words, an image keeping its neighbours apart", () => {
    const view = readConversation(conversation, 4, 1e9);
    expect(view.texts).toEqual(conversation.map((m) => flattenContent(m.content, "\n")));
    expect(view.images).toBe(2);
    expect(view.userIndices).toEqual([1, 3]);
  });

  test("hasImageParts finds image_url and in-process image parts", () => {
    expect(hasImageParts(conversation)).toBe(true);
    expect(hasImageParts([conversation[0]!, conversation[3]!])).toBe(false);
    expect(hasImageParts([{ role: "user", content: [{ type: "image", data: png }] }])).toBe(true);
  });
});
