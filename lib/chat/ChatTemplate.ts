/**
 * Chat prompt rendering with the model's Jinja chat template (`tokenizer.chat_template`), through
 * `@huggingface/jinja`, with a built-in template per architecture when the file has none.
 * @module
 */
import { Template } from "@huggingface/jinja";
import type { ChatMessage } from "../engine/types.js";
import type { TemplateMessage } from "./tools.js";
import { flattenContent } from "./content.js";
import { ChatTemplateError } from "../errors.js";
import type { Tokenizer } from "../tokenizer/Tokenizer.js";
import { BUILTIN_CHAT_TEMPLATES, IMAGE_MARKERS, type ChatTemplateArch } from "./builtin.js";

/** Options of {@link ChatTemplate.render}. */
export interface RenderOptions {
  /** Append the opening of an assistant turn (default `true`). */
  addGenerationPrompt?: boolean;
  /**
   * Leave the last message, an assistant one, open: the prompt ends with its text, so the model
   * continues it instead of starting a new turn (vLLM's `continue_final_message`, an assistant
   * prefill). `addGenerationPrompt` is then ignored.
   */
  continueFinalMessage?: boolean;
  /** Extra variables for the template (e.g. `tools`, `enable_thinking`). */
  variables?: Record<string, unknown>;
  /** What image parts become in this rendering (default: the template's marker). */
  imageMarker?: string;
}

/** Where a template comes from, in priority order. */
export interface ChatTemplateSource {
  /** Template text from configuration; wins over everything. */
  override?: string | undefined;
  /** `tokenizer.chat_template` of the GGUF file. */
  fileTemplate?: string | undefined;
  /** GGUF `general.architecture`, for the built-in fallback and the image marker. */
  arch?: string | undefined;
  /** Text of the BOS / EOS tokens (the `bos_token` / `eos_token` variables). */
  bosToken?: string | undefined;
  eosToken?: string | undefined;
  /** What an image part becomes; default: `<start_of_image>` for gemma3, `[image]` otherwise. */
  imageMarker?: string | undefined;
}

const isBuiltinArch = (arch: string | undefined): arch is ChatTemplateArch =>
  arch !== undefined && Object.prototype.hasOwnProperty.call(BUILTIN_CHAT_TEMPLATES, arch);

/** A parsed chat template with its special-token variables. */
export class ChatTemplate {
  /** The Jinja source in use. */
  readonly source: string;
  /** `"override"`, `"file"` or `"builtin"`. */
  readonly origin: "override" | "file" | "builtin";
  readonly #template: Template;
  readonly #bos: string;
  readonly #eos: string;
  readonly #imageMarker: string;

  private constructor(source: string, origin: ChatTemplate["origin"], opts: ChatTemplateSource) {
    this.source = source;
    this.origin = origin;
    this.#bos = opts.bosToken ?? "";
    this.#eos = opts.eosToken ?? "";
    this.#imageMarker = opts.imageMarker ?? (isBuiltinArch(opts.arch) ? IMAGE_MARKERS[opts.arch] : "[image]");
    try {
      this.#template = new Template(source);
    } catch (err) {
      throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", `chat template (${origin}) does not parse: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Picks the template: the override, else the file's, else the architecture's built-in one.
   * Throws {@link ChatTemplateError} when none applies or the chosen one does not parse.
   */
  static resolve(src: ChatTemplateSource): ChatTemplate {
    if (src.override) return new ChatTemplate(src.override, "override", src);
    if (src.fileTemplate) return new ChatTemplate(src.fileTemplate, "file", src);
    if (isBuiltinArch(src.arch)) return new ChatTemplate(BUILTIN_CHAT_TEMPLATES[src.arch], "builtin", src);
    throw new ChatTemplateError(
      "CHAT_TEMPLATE_ERROR",
      `no chat template: the file has none and architecture '${src.arch ?? "unknown"}' has no built-in one ` +
        `(built-in: ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")}); configure a template override`,
    );
  }

  /**
   * The template for a model: `override`, else the tokenizer's `tokenizer.chat_template`, else the
   * architecture's built-in one; `bos_token` / `eos_token` are the tokenizer's BOS / EOS texts.
   */
  static forTokenizer(tokenizer: Tokenizer, options: Pick<ChatTemplateSource, "arch" | "override" | "imageMarker"> = {}): ChatTemplate {
    const text = (id: number | null) => (id === null ? "" : tokenizer.tokenText(id));
    return ChatTemplate.resolve({
      ...options,
      fileTemplate: tokenizer.chatTemplate ?? undefined,
      bosToken: text(tokenizer.bos),
      eosToken: text(tokenizer.eos),
    });
  }

  /** The built-in template of an architecture. */
  static builtin(arch: ChatTemplateArch, tokens: Pick<ChatTemplateSource, "bosToken" | "eosToken" | "imageMarker"> = {}): ChatTemplate {
    return new ChatTemplate(BUILTIN_CHAT_TEMPLATES[arch], "builtin", { ...tokens, arch });
  }

  /**
   * Renders a conversation to the prompt text. Message content is flattened by {@link flattenContent}:
   * text parts are concatenated and each image part becomes the image marker. Template errors (syntax,
   * `raise_exception`, e.g. roles that do not alternate) throw {@link ChatTemplateError}.
   */
  render(messages: readonly (ChatMessage | TemplateMessage)[], options: RenderOptions = {}): string {
    if (!Array.isArray(messages) || messages.length === 0)
      throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", "render: messages must be a non-empty array");
    const marker = options.imageMarker ?? this.#imageMarker;
    const flat = messages.map((m) => ({ ...m, content: this.#flatten(m, marker) }));
    if (options.continueFinalMessage) return this.#renderOpen(flat, options.variables);
    return this.#renderFlat(flat, options.addGenerationPrompt ?? true, options.variables);
  }

  #renderFlat(flat: readonly object[], addGenerationPrompt: boolean, variables: Record<string, unknown> | undefined): string {
    try {
      return this.#template.render({ ...variables, messages: flat, add_generation_prompt: addGenerationPrompt, bos_token: this.#bos, eos_token: this.#eos });
    } catch (err) {
      throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", `chat template (${this.origin}) failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * The conversation rendered as a finished one, cut right after the final assistant text (as
   * transformers' `continue_final_message` does). Templates may trim a message, so the trimmed
   * text is looked for and the text's own trailing whitespace is put back: the prompt then ends
   * exactly with the final message.
   */
  #renderOpen(flat: ReadonlyArray<{ role: string; content: string }>, variables: Record<string, unknown> | undefined): string {
    const last = flat.at(-1)!;
    if (last.role !== "assistant") throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", `continueFinalMessage: the last message is a ${last.role} message, not an assistant one`);
    const body = last.content.trim();
    const tail = last.content.slice(last.content.trimEnd().length);
    if (body === "") return this.#renderFlat(flat.slice(0, -1), true, variables) + last.content;
    const text = this.#renderFlat(flat, false, variables);
    const at = text.lastIndexOf(body);
    if (at < 0) throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", `chat template (${this.origin}) does not keep the final assistant text, so it cannot be continued`);
    return text.slice(0, at + body.length) + tail;
  }

  #flatten(m: ChatMessage | TemplateMessage, marker: string): string {
    try {
      return flattenContent(m.content, marker);
    } catch (err) {
      throw new ChatTemplateError("CHAT_TEMPLATE_ERROR", (err as Error).message, { cause: err });
    }
  }
}
