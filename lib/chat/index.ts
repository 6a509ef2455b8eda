/**
 * Chat templates: the model's Jinja `tokenizer.chat_template` rendered with `@huggingface/jinja`,
 * or a built-in template per architecture (`llama` Mistral-style `[INST]`, `qwen2` ChatML, `phi3`
 * `<|system|>…<|end|>`, `gemma3` `<start_of_turn>`, `command-r` turn tokens), or an override from
 * configuration, in that priority: override, file, built-in.
 *
 * Messages use the OpenAI shape (`ChatMessage`, the one message type of the package). Content is
 * flattened to text before rendering by {@link flattenContent}, as the router reads it: text parts
 * are concatenated and each image part becomes an image marker — `<start_of_image>` for Gemma 3
 * (the token its template emits for an image), `[image]` for the others, or `imageMarker` when
 * given. A model loaded with a vision projector (`mmproj`) evaluates each image's embeddings at its
 * marker; without one the marker only records where the image was.
 *
 * Tool calls: {@link planTools} renders tools and tool turns in the family's format (see `lib/chat/tools.ts`).
 * @module
 */
export { ChatTemplate } from "./ChatTemplate.js";
export { flattenContent, hasImageParts } from "./content.js";
export type { ChatTemplateSource, RenderOptions } from "./ChatTemplate.js";
export { BUILTIN_CHAT_TEMPLATES, IMAGE_MARKERS } from "./builtin.js";
export type { ChatTemplateArch } from "./builtin.js";
export { planTools, toolFormatOf } from "./tools.js";
export type { CallShape, ParsedCall, PlanOptions, TemplateMessage, ToolFormatName, ToolPlan } from "./tools.js";
