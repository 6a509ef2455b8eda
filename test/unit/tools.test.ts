// Tool calls: family formats, grammars (compiled by the native parser), parsers, tool turns through
// the built-in templates, bad input; and generate({ tools }) on random-weight demo models, where the
// grammar forces a call whose arguments must validate against the tool's schema.
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES, ChatTemplate } from "../../lib/chat/index.js";
import { checkTools, planTools, templateMessages, toolFormatOf, type ToolFormatName } from "../../lib/chat/tools.js";
import { buildDemoModels } from "../../lib/demo/index.js";
import { loadModel } from "../../lib/engine/index.js";
import type { ChatMessage, Model, Tool, TokenChunk, ToolCallDelta } from "../../lib/engine/types.js";
import { ToolCallGeneration } from "../../lib/engine/tools.js";
import { checkGbnf } from "../../lib/grammar/compiled.js";

const weather: Tool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather of a city",
    parameters: { type: "object", properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["c", "f"] } }, required: ["city", "unit"], additionalProperties: false },
  },
};
const time: Tool = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { tz: { type: "string", maxLength: 8 } }, required: ["tz"] } } };
const tools = [weather, time];

const history: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } }] },
  { role: "tool", tool_call_id: "call_1", content: "18 degrees" },
  { role: "tool", tool_call_id: "call_2", content: "sunny" },
];

const ARCH_FORMAT: Record<string, ToolFormatName> = { qwen2: "hermes", phi3: "phi4", "command-r": "command-r", llama: "generic", gemma3: "generic" };
const ARCHS = Object.keys(ARCH_FORMAT);

describe("tool formats", () => {
  it("picks the family format from the template's markers, else the architecture", () => {
    for (const [arch, f] of Object.entries(ARCH_FORMAT)) expect(toolFormatOf(BUILTIN_CHAT_TEMPLATES[arch as keyof typeof BUILTIN_CHAT_TEMPLATES], arch)).toBe(f);
    expect(toolFormatOf("{% if tools %}<tool_call>{% endif %}", "llama")).toBe("hermes");
    expect(toolFormatOf("<|tool_call|>", "qwen2")).toBe("phi4");
  });

  it("every family's grammar parses, for auto, required, named and single calls", () => {
    for (const [arch, format] of Object.entries(ARCH_FORMAT)) {
      const templateSource = BUILTIN_CHAT_TEMPLATES[arch as keyof typeof BUILTIN_CHAT_TEMPLATES];
      for (const choice of ["auto", "required", { type: "function" as const, function: { name: "get_time" } }] as const) {
        const plan = planTools([{ role: "user", content: "hi" }], { templateSource, arch, tools, choice, parallel: choice === "auto" });
        expect(plan.format).toBe(format);
        // Lazy (free text until the start string) for auto, except the generic format, which is JSON from the start.
        expect(plan.lazy).toBe(choice === "auto" && format !== "generic");
        checkGbnf(plan.grammar!);
        if (typeof choice === "object") expect(plan.grammar).not.toContain("get_weather");
      }
    }
  });

  it("parses what each format renders back into the same calls, and keeps the surrounding text", () => {
    const calls = [
      { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' },
      { name: "get_time", arguments: '{"tz":"UTC"}' },
    ];
    for (const [arch] of Object.entries(ARCH_FORMAT)) {
      const src = BUILTIN_CHAT_TEMPLATES[arch as keyof typeof BUILTIN_CHAT_TEMPLATES];
      const msgs = templateMessages([{ role: "assistant", content: null, tool_calls: calls.map((c, i) => ({ id: `c${i}`, type: "function" as const, function: c })) }], src, toolFormatOf(src, arch));
      const plan = planTools([{ role: "user", content: "x" }], { templateSource: src, arch, tools });
      const out = plan.parse(msgs[0]!.content as string);
      expect(out.calls).toEqual(calls);
      expect(out.content).toBe("");
    }
    const hermes = planTools([{ role: "user", content: "x" }], { templateSource: BUILTIN_CHAT_TEMPLATES.qwen2, arch: "qwen2", tools });
    expect(hermes.parse('Let me look.\n<tool_call>\n{"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>')).toEqual({ content: "Let me look.", calls: [{ name: "get_time", arguments: '{"tz":"CET"}' }] });
    expect(hermes.parse("<tool_call> not json")).toEqual({ content: "<tool_call> not json", calls: [] });
    const generic = planTools([{ role: "user", content: "x" }], { templateSource: BUILTIN_CHAT_TEMPLATES.llama, arch: "llama", tools });
    expect(generic.parse('{"response":"It is sunny."}')).toEqual({ content: "It is sunny.", calls: [] });
  });

  it("renders a tool-result history through every built-in template (roles alternate after the polyfill)", () => {
    for (const arch of Object.keys(ARCH_FORMAT)) {
      const src = BUILTIN_CHAT_TEMPLATES[arch as keyof typeof BUILTIN_CHAT_TEMPLATES];
      const t = ChatTemplate.builtin(arch as keyof typeof BUILTIN_CHAT_TEMPLATES);
      const plan = planTools(history, { templateSource: src, arch, tools });
      const text = t.render(plan.messages, { variables: plan.variables });
      expect(text).toContain("18 degrees");
      expect(text).toContain("sunny");
      expect(text).toContain("get_weather");
      expect(text).toContain("call_1");
    }
  });

  it("a template with tools support gets them as `tools`, phi-4-mini's on the system message", () => {
    const qwen = "{% for t in tools %}{{ t.function.name }};{% endfor %}{% for m in messages %}{{ m.role }}:{{ m.content }}{% if m.tool_calls %}{{ m.tool_calls[0].function.arguments.city }}{% endif %}|{% endfor %}<tool_call>";
    const plan = planTools(history, { templateSource: qwen, arch: "qwen2", tools });
    expect(plan.variables.tools).toBe(tools);
    expect(ChatTemplate.resolve({ override: qwen }).render(plan.messages, { variables: plan.variables })).toBe("get_weather;get_time;system:Be brief.|user:Weather in Paris?|assistant:Paris|tool:18 degrees|tool:sunny|<tool_call>");
    const phi = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% if m.tools %}<|tool|>{{ m.tools }}<|/tool|>{% endif %}<|end|>{% endfor %}";
    const p = planTools([{ role: "user", content: "hi" }], { templateSource: phi, arch: "phi3", tools: [time] });
    expect(ChatTemplate.resolve({ override: phi }).render(p.messages)).toBe(`<|system|><|tool|>${JSON.stringify([time])}<|/tool|><|end|><|user|>hi<|end|>`);
  });

  it("bad input names the problem", () => {
    expect(() => checkTools([{ type: "function", function: {} } as Tool], undefined)).toThrow(/tools\[0\]\.function\.name/);
    expect(() => checkTools(tools, { type: "function", function: { name: "nope" } })).toThrow(/'nope', which is not among the tools \(get_weather, get_time\)/);
    const bad: ChatMessage[] = [{ role: "user", content: "x" }, { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "get_time", arguments: "{tz:" } }] }];
    expect(() => planTools(bad, { templateSource: BUILTIN_CHAT_TEMPLATES.llama, arch: "llama", tools })).toThrow(/messages\[1\]\.tool_calls\[0\]\.function\.arguments is not JSON/);
    const badSchema: Tool = { type: "function", function: { name: "f", parameters: { type: "object", patternProperties: {} } } };
    expect(() => planTools([{ role: "user", content: "x" }], { templateSource: BUILTIN_CHAT_TEMPLATES.llama, arch: "llama", tools: [badSchema], choice: "required" })).toThrow(
      /tools\[0\]\.function\.parameters: JSON schema at #: unsupported keyword 'patternProperties'/,
    );
  });
});

describe("ToolCallGeneration", () => {
  const fake = (pieces: string[]) => ({
    stats: Promise.resolve({ promptTokens: 1, generatedTokens: pieces.length, prefillTokensPerSecond: 0, decodeTokensPerSecond: 0, cachedPromptTokens: 0, stopReason: "eos" as const }),
    async *[Symbol.asyncIterator]() {
      for (const [i, text] of pieces.entries()) yield { text, tokens: [i] };
    },
  });
  const hermes = planTools([{ role: "user", content: "x" }], { templateSource: BUILTIN_CHAT_TEMPLATES.qwen2, arch: "qwen2", tools });

  it("streams the text before the start string (held while it may be one), then the calls as they grow", async () => {
    const gen = new ToolCallGeneration(fake(["Let me <", "tool_call>\n{\"name\":\"get_time\",", "\"arguments\":{\"tz\":", "\"UTC\"}}\n</tool_call>"]), hermes);
    const chunks: TokenChunk[] = [];
    for await (const c of gen) chunks.push(c);
    expect(chunks.map((c) => c.text)).toEqual(["Let me ", "", "", "", ""]);
    const final = chunks.at(-1)!.toolCalls!;
    expect(final).toMatchObject([{ type: "function", function: { name: "get_time", arguments: '{"tz":"UTC"}' } }]);
    expect(chunks.map((c) => c.toolCallDeltas)).toEqual([
      undefined,
      undefined,
      [{ index: 0, id: final[0]!.id, type: "function", function: { name: "get_time", arguments: "" } }, { index: 0, function: { arguments: '{"tz":' } }],
      [{ index: 0, function: { arguments: '"UTC"}' } }],
      undefined,
    ]);
    expect(chunks.flatMap((c) => c.tokens)).toEqual([0, 1, 2, 3]);
    expect((await gen.stats).toolCalls).toBe(1);
  });

  // Every family's rendered calls, cut into pieces of a few characters as tokens would be.
  const calls = [
    { name: "get_weather", arguments: '{"city":"Paris \\"Nord\\" {x}","unit":"c","nested":{"a":[1,{"b":"]"}]}}' },
    { name: "get_time", arguments: '{"tz":"UTC"}' },
    { name: "get_time", arguments: "{}" },
  ];
  const isJsonPrefix = (s: string): boolean => {
    // A JSON prefix completes to JSON: finish a cut escape, close the open string and containers,
    // drop a dangling key or comma.
    for (const tail of ["", '"', "null", '":null', ":null"]) for (const head of [s, s.replace(/\\(u[0-9a-fA-F]{0,3})?$/, "")]) {
      let t = head + tail;
      const stack: string[] = [];
      let inStr = false;
      for (let i = 0; i < t.length; i++) {
        const c = t[i]!;
        if (inStr) {
          if (c === "\\") i++;
          else if (c === '"') inStr = false;
        } else if (c === '"') inStr = true;
        else if (c === "{") stack.push("}");
        else if (c === "[") stack.push("]");
        else if (c === "}" || c === "]") stack.pop();
      }
      t = t.replace(/,$/, "") + stack.reverse().join("");
      try {
        JSON.parse(t);
        return true;
      } catch {
        /* try the next tail */
      }
    }
    return false;
  };
  for (const [arch, format] of Object.entries(ARCH_FORMAT)) {
    it(`${format}: argument fragments concatenate to the final arguments, each prefix is JSON's, indices 0..n`, async () => {
      const src = BUILTIN_CHAT_TEMPLATES[arch as keyof typeof BUILTIN_CHAT_TEMPLATES];
      const rendered = templateMessages([{ role: "assistant", content: null, tool_calls: calls.map((c, i) => ({ id: `c${i}`, type: "function" as const, function: c })) }], src, format)[0]!.content as string;
      const plan = planTools([{ role: "user", content: "x" }], { templateSource: src, arch, tools, choice: "required" });
      for (const size of [1, 3, 7]) {
        const pieces = rendered.match(new RegExp(`[\\s\\S]{1,${size}}`, "g"))!;
        const gen = new ToolCallGeneration(fake(pieces), plan);
        const deltas: ToolCallDelta[] = [];
        let last: TokenChunk | undefined;
        for await (const c of gen) {
          deltas.push(...(c.toolCallDeltas ?? []));
          last = c;
        }
        const final = last!.toolCalls!;
        expect(final.map((c) => c.function)).toEqual(calls);
        const opens = deltas.filter((d) => d.id !== undefined);
        expect(opens.map((d) => d.index)).toEqual([0, 1, 2]);
        expect(opens.map((d) => ({ id: d.id, name: d.function.name, args: d.function.arguments, type: d.type }))).toEqual(final.map((c) => ({ id: c.id, name: c.function.name, args: "", type: "function" })));
        for (const [i, call] of final.entries()) {
          const mine = deltas.filter((d) => d.index === i);
          expect(mine[0]!.id).toBe(call.id);
          let acc = "";
          for (const d of mine.slice(1)) {
            expect(d).toEqual({ index: i, function: { arguments: d.function.arguments } });
            expect(d.function.arguments).not.toBe("");
            acc += d.function.arguments;
            // No leading whitespace: the arguments start at their "{".
            expect(acc[0]).toBe("{");
            expect(isJsonPrefix(acc), acc).toBe(true);
          }
          expect(acc).toBe(call.function.arguments);
          // More than one piece when the pieces are smaller than the arguments.
          if (size < call.function.arguments.length) expect(mine.length).toBeGreaterThan(2);
        }
      }
    });
  }

  it("a call the scanner cannot stream (arguments before the name) is sent whole at the end", async () => {
    const gen = new ToolCallGeneration(fake(['<tool_call>\n{"arguments": {"tz": "CET"}, "name": "get_time"}\n</tool_call>']), hermes);
    const chunks: TokenChunk[] = [];
    for await (const c of gen) chunks.push(c);
    const call = chunks.at(-1)!.toolCalls![0]!;
    expect(call.function).toEqual({ name: "get_time", arguments: '{"tz":"CET"}' });
    expect(chunks.flatMap((c) => c.toolCallDeltas ?? [])).toEqual([
      { index: 0, id: call.id, type: "function", function: { name: "get_time", arguments: "" } },
      { index: 0, function: { arguments: '{"tz":"CET"}' } },
    ]);
  });

  it("text that only looked like a start string is emitted", async () => {
    const gen = new ToolCallGeneration(fake(["a <to", "ol> b"]), hermes);
    let text = "";
    for await (const c of gen) text += c.text;
    expect(text).toBe("a <tool> b");
    expect((await gen.stats).toolCalls).toBe(0);
  });
});

describe("generate({ tools }) on random-weight demo models", () => {
  const models: Record<string, Model> = {};
  const ajv = new Ajv();
  const validWeather = ajv.compile(weather.function.parameters!);
  beforeAll(async () => {
    const config = await buildDemoModels();
    for (const e of config.experts) {
      const arch = ARCHS.find((a) => e.model_path?.includes(`/${a}.`));
      if (arch) models[arch] = await loadModel(e.model_path!, { threads: 1, contextSize: 512 });
    }
  }, 300_000);
  afterAll(async () => {
    for (const m of Object.values(models)) await m.close();
  });

  for (const arch of ARCHS) {
    it(`${arch} (${ARCH_FORMAT[arch]}): a named tool_choice forces a call whose arguments validate; stats count it`, async () => {
      const m = models[arch]!;
      for (const seed of [1, 2]) {
        const gen = m.generate([{ role: "user", content: "Weather in Paris?" }], { tools, toolChoice: { type: "function", function: { name: "get_weather" } }, maxTokens: 60, seed, temperature: 1 });
        const chunks: TokenChunk[] = [];
        for await (const c of gen) chunks.push(c);
        const calls = chunks.flatMap((c) => c.toolCalls ?? []);
        const stats = await gen.stats;
        expect(stats.stopReason).toBe("eos");
        expect(calls).toHaveLength(1);
        expect(calls[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
        expect(calls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
        expect(validWeather(JSON.parse(calls[0]!.function.arguments))).toBe(true);
        expect(stats.toolCalls).toBe(1);
        expect(chunks.map((c) => c.text).join("")).toBe("");
      }
    }, 120_000);
  }

  it("required with parallel calls may call several tools; each call is valid", async () => {
    const gen = models.qwen2!.generate([{ role: "user", content: "Weather and time?" }], { tools, toolChoice: "required", maxTokens: 120, seed: 3 });
    const calls = [];
    for await (const c of gen) calls.push(...(c.toolCalls ?? []));
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect((await gen.stats).toolCalls).toBe(calls.length);
    for (const c of calls) expect(["get_weather", "get_time"]).toContain(c.function.name);
  }, 120_000);

  it("rejects tools with a grammar, on a string prompt, and an unknown named function", () => {
    const m = models.llama!;
    expect(() => m.generate([{ role: "user", content: "x" }], { tools, grammar: 'root ::= "a"' })).toThrow(/either tools or grammar/);
    expect(() => m.generate("x", { tools })).toThrow(/tools need chat messages/);
    expect(() => m.generate([{ role: "user", content: "x" }], { tools, toolChoice: { type: "function", function: { name: "zzz" } } })).toThrow(/'zzz'/);
  });
});
