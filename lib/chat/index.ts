/**
 * Chat templates: the model's Jinja template, or a built-in one per architecture.
 * @module
 */
export { ChatTemplate } from "./ChatTemplate.js";
export type { ChatTemplateSource, RenderOptions } from "./ChatTemplate.js";
export { BUILTIN_CHAT_TEMPLATES, IMAGE_MARKERS } from "./builtin.js";
export type { ChatTemplateArch } from "./builtin.js";
