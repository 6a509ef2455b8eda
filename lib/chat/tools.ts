/**
 * Tool calls per model family: how tools and tool turns go through the chat template, the grammar
 * that constrains a call (arguments by the tool's `parameters` schema), and the parser that turns
 * the model's output back into OpenAI tool calls.
 *
 * Formats (compact JSON inside):
 * - `hermes` (qwen2.5): `<tool_call>\n{"name":…,"arguments":{…}}\n</tool_call>`, one block per call;
 * - `phi4` (phi-4-mini): `<|tool_call|>[{"name":…,"arguments":{…}}]<|/tool_call|>`, tools in the
 *   system message (`message.tools`, as its template reads them);
 * - `command-r` (command-r / aya): ``Action: ```json\n[{"tool_name":…,"parameters":{…}}]\n``` ``;
 * - `generic` (mistral v0.2, gemma 3: no tool tokens): the whole answer is JSON, `{"tool_calls":[…]}`
 *   or `{"response":"…"}`, always under a grammar (llama.cpp's generic format).
 *
 * A template whose source mentions `tools` gets them as the `tools` variable (phi4: on the system
 * message); otherwise the tools and the format are described in a system message. A template that
 * does not mention `tool_calls` gets tool turns the way llama.cpp polyfills them: an assistant's
 * calls become its text in the family's format, a `tool` result a user turn
 * `{"tool_response":{…}}`, and consecutive turns of one role are merged (so `[INST]` templates that
 * require alternating roles accept the history).
 * @module
 */
import { randomUUID } from "node:crypto";
import type { ChatMessage, Tool, ToolCall, ToolChoice } from "../engine/types.js";
import { InvalidArgumentError } from "../errors.js";
import { jsonSchemasToGbnf } from "../grammar/json-schema.js";

/** A tool-call format (see the module comment). */
export type ToolFormatName = "hermes" | "phi4" | "command-r" | "generic";

/** Where calls sit in a family's JSON: depth of a call object (1 = a root object) and its keys. */
export interface CallShape {
  depth: number;
  nameKey: string;
  argsKey: string;
}

/** A parsed call (arguments as compact JSON text). */
export interface ParsedCall {
  name: string;
  arguments: string;
}

/** A message as the template sees it (tool fields kept, `arguments` parsed for templates that `tojson` them). */
export type TemplateMessage = Omit<ChatMessage, "tool_calls"> & {
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: unknown } }[];
  tools?: string;
};

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The family format of a template (by its tool markers), else of the architecture. */
export function toolFormatOf(templateSource: string, arch: string): ToolFormatName {
  if (templateSource.includes("<tool_call>")) return "hermes";
  if (templateSource.includes("<|tool_call|>")) return "phi4";
  if (/Action:|START_ACTION/.test(templateSource)) return "command-r";
  if (arch === "qwen2") return "hermes";
  if (arch === "phi3") return "phi4";
  if (arch === "command-r" || arch === "cohere2") return "command-r";
  return "generic";
}

/**
 * Checks tools and the choice.
 * @throws {@link InvalidArgumentError} naming the tool without a valid name, a duplicate, or a
 * `toolChoice` naming an unknown function.
 */
export function checkTools(tools: readonly Tool[], choice: ToolChoice | undefined): void {
  if (!Array.isArray(tools)) throw new InvalidArgumentError("INVALID_ARGUMENT", "tools must be an array");
  const seen = new Set<string>();
  tools.forEach((t, i) => {
    const name = t?.function?.name;
    if (t?.type !== "function") throw new InvalidArgumentError("INVALID_ARGUMENT", `tools[${i}].type must be "function"`);
    if (typeof name !== "string" || !NAME.test(name))
      throw new InvalidArgumentError("INVALID_ARGUMENT", `tools[${i}].function.name must be 1-64 characters of a-z, A-Z, 0-9, _ or -`);
    if (seen.has(name)) throw new InvalidArgumentError("INVALID_ARGUMENT", `tools[${i}].function.name '${name}' is given twice`);
    seen.add(name);
  });
  if (choice === undefined || choice === "auto" || choice === "none" || choice === "required") return;
  const wanted = typeof choice === "object" && choice !== null ? choice.function?.name : undefined;
  if (typeof wanted !== "string") throw new InvalidArgumentError("INVALID_ARGUMENT", `toolChoice must be "auto", "none", "required" or {type:"function",function:{name}}`);
  if (!seen.has(wanted))
    throw new InvalidArgumentError("INVALID_ARGUMENT", `toolChoice names the function '${wanted}', which is not among the tools (${[...seen].join(", ") || "none"})`);
}

/** Parses a call's `arguments` text. @throws {@link InvalidArgumentError} naming `where` when it is not a JSON object. */
export function parseArguments(text: string, where: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError("INVALID_ARGUMENT", `${where} is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InvalidArgumentError("INVALID_ARGUMENT", `${where} must be a JSON object`);
  return v as Record<string, unknown>;
}

const str = (s: string) => JSON.stringify(s);
const lit = (s: string) => JSON.stringify(s);  // a GBNF literal (same escapes as JSON)

interface Format {
  /** Text that opens the calls (null: the whole answer is JSON). */
  start: string | null;
  /** GBNF expression of one call of `name` with arguments rule `args`. */
  call(name: string, args: string): string;
  /** GBNF of one or more calls (`calls` is `call` or `call (sep call)*`). */
  wrap(one: string, parallel: boolean): string;
  /** The calls as the model writes them. */
  render(calls: readonly ParsedCall[]): string;
  /** Calls and content of a whole output. */
  parse(text: string): { content: string; calls: ParsedCall[] };
  /** The instruction telling the model the format. */
  instruction: string;
  /** Where calls sit in the JSON (for streaming their arguments). */
  shape: CallShape;
}

function jsonCalls(v: unknown, nameKey: string, argsKey: string): ParsedCall[] | null {
  const list = Array.isArray(v) ? v : [v];
  const out: ParsedCall[] = [];
  for (const c of list) {
    if (c === null || typeof c !== "object") return null;
    const o = c as Record<string, unknown>;
    if (typeof o[nameKey] !== "string") return null;
    const args = o[argsKey] ?? {};
    out.push({ name: o[nameKey] as string, arguments: typeof args === "string" ? args : JSON.stringify(args) });
  }
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Calls between `open` and `close` (close optional at the end of the text); the rest is content. */
function parseBlocks(text: string, open: string, close: string, nameKey: string, argsKey: string): { content: string; calls: ParsedCall[] } {
  const calls: ParsedCall[] = [];
  let content = "";
  let at = 0;
  for (;;) {
    const i = text.indexOf(open, at);
    if (i < 0) break;
    const j = text.indexOf(close, i + open.length);
    const body = text.slice(i + open.length, j < 0 ? text.length : j).trim();
    const parsed = jsonCalls(tryJson(body), nameKey, argsKey);
    if (!parsed) break;  // not a call after all: the rest stays text
    content += text.slice(at, i);
    calls.push(...parsed);
    at = j < 0 ? text.length : j + close.length;
  }
  return { content: (content + text.slice(at)).trim(), calls };
}

const FORMATS: Record<ToolFormatName, Format> = {
  hermes: {
    start: "<tool_call>",
    call: (name, args) => `"<tool_call>\\n{\\"name\\":" ${lit(str(name))} ",\\"arguments\\":" ${args} "}\\n</tool_call>"`,
    wrap: (one, parallel) => (parallel ? `${one} ( "\\n" ${one} )*` : one),
    render: (calls) => calls.map((c) => `<tool_call>\n{"name":${str(c.name)},"arguments":${c.arguments}}\n</tool_call>`).join("\n"),
    parse: (text) => parseBlocks(text, "<tool_call>", "</tool_call>", "name", "arguments"),
    shape: { depth: 1, nameKey: "name", argsKey: "arguments" },
    instruction: 'For each function call, return a JSON object with the function name and arguments within <tool_call></tool_call> tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>',
  },
  phi4: {
    start: "<|tool_call|>",
    call: (name, args) => `"{\\"name\\":" ${lit(str(name))} ",\\"arguments\\":" ${args} "}"`,
    wrap: (one, parallel) => `"<|tool_call|>[" ${parallel ? `${one} ( "," ${one} )*` : one} "]<|/tool_call|>"`,
    render: (calls) => `<|tool_call|>[${calls.map((c) => `{"name":${str(c.name)},"arguments":${c.arguments}}`).join(",")}]<|/tool_call|>`,
    parse: (text) => parseBlocks(text, "<|tool_call|>", "<|/tool_call|>", "name", "arguments"),
    shape: { depth: 2, nameKey: "name", argsKey: "arguments" },
    instruction: 'To call functions, answer <|tool_call|>[{"name": <function-name>, "arguments": <args-json-object>}, ...]<|/tool_call|>',
  },
  "command-r": {
    start: "Action:",
    call: (name, args) => `"{\\"tool_name\\":" ${lit(str(name))} ",\\"parameters\\":" ${args} "}"`,
    // A token that completes the lazy trigger may bring a space or newline of its own.
    wrap: (one, parallel) => `"Action:" [ \\n]{0,2} "\`\`\`json\\n[" ${parallel ? `${one} ( "," ${one} )*` : one} "]\\n\`\`\`"`,
    render: (calls) => `Action: \`\`\`json\n[${calls.map((c) => `{"tool_name":${str(c.name)},"parameters":${c.arguments}}`).join(",")}]\n\`\`\``,
    parse: (text) => {
      const i = text.indexOf("Action:");
      if (i < 0) return { content: text.trim(), calls: [] };
      const m = /^Action:\s*```(?:json)?\s*([\s\S]*?)(?:```|$)/.exec(text.slice(i));
      const calls = m ? jsonCalls(tryJson(m[1]!.trim()), "tool_name", "parameters") : null;
      return calls ? { content: text.slice(0, i).trim(), calls } : { content: text.trim(), calls: [] };
    },
    shape: { depth: 2, nameKey: "tool_name", argsKey: "parameters" },
    instruction: 'To call functions, write \'Action:\' followed by a JSON list of actions in a ```json block:\nAction: ```json\n[{"tool_name": <function-name>, "parameters": <args-json-object>}]\n```',
  },
  generic: {
    start: null,
    call: (name, args) => `"{\\"name\\":" ${lit(str(name))} ",\\"arguments\\":" ${args} "}"`,
    wrap: (one, parallel) => `"{\\"tool_calls\\":[" ${parallel ? `${one} ( "," ${one} )*` : one} "]}"`,
    render: (calls) => JSON.stringify({ tool_calls: calls.map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments) as unknown })) }),
    parse: (text) => {
      const v = tryJson(text.trim()) as { tool_calls?: unknown; response?: unknown } | undefined;
      if (v && typeof v === "object" && v.tool_calls !== undefined) {
        const calls = jsonCalls(v.tool_calls, "name", "arguments");
        if (calls) return { content: "", calls };
      }
      if (v && typeof v === "object" && typeof v.response === "string") return { content: v.response, calls: [] };
      return { content: text.trim(), calls: [] };
    },
    shape: { depth: 3, nameKey: "name", argsKey: "arguments" },
    instruction:
      'Respond in JSON only: either {"tool_calls": [{"name": <function-name>, "arguments": <args-json-object>}]} to call functions, or {"response": <your answer>}.',
  },
};

/** What a generation with tools needs: the prompt's messages and variables, its grammar, its parser. */
export interface ToolPlan {
  format: ToolFormatName;
  messages: TemplateMessage[];
  variables: Record<string, unknown>;
  /** GBNF of the calls (from the first token, or from `start` on when `lazy`); undefined: free text. */
  grammar: string | undefined;
  /** The grammar applies once the output reaches `start` (choice `auto` in a format with a start string). */
  lazy: boolean;
  /** The text that opens the calls (null: the whole output is parsed at the end). */
  start: string | null;
  parse(text: string): { content: string; calls: ParsedCall[] };
  /** Where calls sit in the format's JSON (for streaming their arguments). */
  shape: CallShape;
}

/** Options of {@link planTools}. */
export interface PlanOptions {
  templateSource: string;
  arch: string;
  tools: readonly Tool[];
  choice?: ToolChoice | undefined;
  parallel?: boolean | undefined;
}

function grammarFor(f: Format, tools: readonly Tool[], choice: ToolChoice | undefined, parallel: boolean, freeAnswer: boolean): string {
  const chosen = typeof choice === "object" ? tools.filter((t) => t.function.name === choice.function.name) : tools;
  const schemas = chosen.map((t, i) => ({
    name: `tool${i}-args`,
    schema: t.function.parameters ?? { type: "object" },
    label: `tools[${tools.indexOf(t)}].function.parameters`,
  }));
  const rules = new Map<string, string>([
    ["root", freeAnswer ? `calls | "{\\"response\\":" string "}"` : "calls"],
    ["calls", f.wrap("call", parallel && typeof choice !== "object")],
    ["call", chosen.map((t, i) => f.call(t.function.name, `tool${i}-args`)).join(" | ")],
  ]);
  return jsonSchemasToGbnf(rules, schemas);
}

function toolsText(tools: readonly Tool[]): string {
  return tools.map((t) => JSON.stringify(t)).join("\n");
}

/**
 * The messages with tool turns in a form the template can render (see the module comment),
 * for any conversation, with or without tools.
 */
export function templateMessages(messages: readonly ChatMessage[], templateSource: string, format: ToolFormatName): TemplateMessage[] {
  const native = templateSource.includes("tool_calls");
  const out: TemplateMessage[] = [];
  messages.forEach((m, i) => {
    const calls = m.tool_calls ?? [];
    if (native) {
      const { tool_calls: _calls, ...rest } = m;
      out.push({
        ...rest,
        ...(calls.length
          ? { tool_calls: calls.map((c, j) => ({ ...c, function: { name: c.function.name, arguments: parseArguments(c.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) } })) }
          : {}),
      });
      return;
    }
    let msg: TemplateMessage;
    if (m.role === "tool") {
      const content = typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => (p.type === "text" ? p.text : "")).join("");
      msg = { role: "user", content: JSON.stringify({ tool_response: { ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}), content } }) };
    } else if (calls.length) {
      calls.forEach((c, j) => parseArguments(c.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`));
      const text = FORMATS[format].render(calls.map((c) => ({ name: c.function.name, arguments: JSON.stringify(JSON.parse(c.function.arguments)) })));
      const before = typeof m.content === "string" && m.content ? `${m.content}\n` : "";
      msg = { role: m.role, content: before + text };
    } else {
      const { tool_calls: _c, tool_call_id: _id, ...rest } = m;
      msg = rest;
    }
    const prev = out[out.length - 1];
    if (prev && prev.role === msg.role && msg.role !== "system" && typeof prev.content === "string" && typeof msg.content === "string") prev.content += `\n${msg.content}`;
    else out.push(msg);
  });
  return out;
}

/**
 * Plans a generation with tools. @throws {@link InvalidArgumentError} for bad tools, choice or
 * tool-call arguments in the messages; GrammarError for a `parameters` schema it cannot
 * express (naming the tool).
 */
export function planTools(messages: readonly ChatMessage[], o: PlanOptions): ToolPlan {
  checkTools(o.tools, o.choice);
  const format = toolFormatOf(o.templateSource, o.arch);
  const f = FORMATS[format];
  let msgs = templateMessages(messages, o.templateSource, format);
  const active = o.choice !== "none" && o.tools.length > 0;
  const variables: Record<string, unknown> = {};
  if (active) {
    if (format === "phi4" && o.templateSource.includes("tools")) {
      // phi-4-mini's template reads the tools from the system message.
      const sys = msgs[0]?.role === "system" ? msgs[0] : undefined;
      msgs = sys ? [{ ...sys, tools: JSON.stringify(o.tools) }, ...msgs.slice(1)] : [{ role: "system", content: "", tools: JSON.stringify(o.tools) }, ...msgs];
    } else if (/\btools\b/.test(o.templateSource)) {
      variables.tools = o.tools;
    } else {
      const text = `You can call these functions:\n${toolsText(o.tools)}\n${f.instruction}`;
      const sys = msgs[0]?.role === "system" && typeof msgs[0].content === "string" ? msgs[0] : undefined;
      msgs = sys ? [{ ...sys, content: `${sys.content as string}\n\n${text}` }, ...msgs.slice(1)] : [{ role: "system", content: text }, ...msgs];
    }
  }
  const forced = o.choice === "required" || typeof o.choice === "object";
  const grammar = active ? grammarFor(f, o.tools, o.choice, o.parallel ?? true, !forced && format === "generic") : undefined;
  return {
    format,
    messages: msgs,
    variables,
    grammar,
    lazy: active && !forced && f.start !== null,
    start: active ? f.start : null,
    parse: active ? (text) => f.parse(text) : (text) => ({ content: text, calls: [] }),
    shape: f.shape,
  };
}

/** A new call id, `call_` and 24 hex digits. */
export function newCallId(): string {
  return `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
}

/** Parsed calls in OpenAI's shape. */
export function toToolCalls(calls: readonly ParsedCall[]): ToolCall[] {
  return calls.map((c) => ({ id: newCallId(), type: "function", function: { name: c.name, arguments: c.arguments } }));
}
