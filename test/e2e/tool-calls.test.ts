// Tool calls end to end: the real server with the real engine on random-weight demo models (qwen2:
// Hermes format; llama: the generic JSON format and a Mistral-style template that requires
// alternating roles), queried with the official `openai` SDK unchanged. Random weights call no tool
// of their own accord, so tool_choice is `required` or named and the grammar forces the call.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoModels } from "../../lib/demo/index.js";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";

const weatherParams = {
  type: "object",
  properties: { city: { type: "string", maxLength: 12 }, unit: { type: "string", enum: ["c", "f"] } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const weather: ChatCompletionTool = { type: "function", function: { name: "get_weather", description: "Weather of a city", parameters: weatherParams, strict: true } };
const clock: ChatCompletionTool = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { tz: { type: "string", maxLength: 8 } }, required: ["tz"], additionalProperties: false } } };
const valid = new Ajv().compile(weatherParams);
const named = { type: "function", function: { name: "get_weather" } } as const;
const ask = [{ role: "user" as const, content: "What is the weather in Paris?" }];

describe("tool calls through the openai SDK (random-weight demo models)", () => {
  const dir = mkdtempSync(join(tmpdir(), "capibara-tools-"));
  let system: CapibaraSystem;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    const demo = await buildDemoModels();
    const path = (arch: string) => demo.experts.find((e) => e.model_path?.includes(`/${arch}.`))!.model_path!;
    const expert = (name: string, arch: string, priority: number) => ({ name, domain: name, priority, model_path: path(arch), n_ctx: 512, n_threads: 1, sampling: { temperature: 1, max_tokens: 80 } });
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ experts: [expert("qwen", "qwen2", 1), expert("mistral", "llama", 2)] }));
    system = await createSystem(file);
    server = await startServer(system, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const model of ["qwen", "mistral"]) {
    it(`${model}: a named tool_choice gives tool_calls with valid arguments and finish_reason tool_calls`, async () => {
      const res = await client.chat.completions.create({ model, messages: ask, tools: [weather, clock], tool_choice: named, seed: 1 });
      const choice = res.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      const call = choice.message.tool_calls![0]!;
      expect(call.type).toBe("function");
      expect(call.id).toMatch(/^call_/);
      if (call.type !== "function") throw new Error("not a function call");
      expect(call.function.name).toBe("get_weather");
      expect(valid(JSON.parse(call.function.arguments))).toBe(true);
    }, 120_000);
  }

  it("chat.completions.stream(): tool_calls deltas the SDK accumulates and parses (strict tool)", async () => {
    const chunks: ChatCompletionChunk[] = [];
    const parsed: unknown[] = [];
    const pieces: string[] = [];
    const stream = client.chat.completions
      .stream({ model: "qwen", messages: ask, tools: [weather], tool_choice: "required", parallel_tool_calls: false, seed: 2 })
      .on("chunk", (c) => chunks.push(c))
      // The call's first delta (id, name) brings an empty piece.
      .on("tool_calls.function.arguments.delta", (e) => e.arguments_delta && pieces.push(e.arguments_delta))
      .on("tool_calls.function.arguments.done", (e) => parsed.push(e.parsed_arguments));
    const final = await stream.finalChatCompletion();
    expect(chunks.some((c) => c.choices[0]?.delta.role === "assistant")).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "tool_calls")).toBe(true);
    const calls = final.choices[0]!.message.tool_calls!;
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("get_weather");
    expect(parsed).toHaveLength(1);
    expect(valid(parsed[0])).toBe(true);
    expect(JSON.parse(call.function.arguments)).toEqual(parsed[0]);
    // The arguments stream in pieces as they are generated (the SDK re-parses the prefix after each).
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(call.function.arguments);
    expect(pieces[0]![0]).toBe("{");
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, id: call.id, type: "function", function: { name: "get_weather", arguments: "" } });
    for (const d of deltas.slice(1)) expect(d).toEqual({ index: 0, function: { arguments: expect.any(String) } });
  }, 120_000);

  for (const stream of [false, true]) it(`runTools(${stream ? "stream" : ""}): calls the function, sends its result back as a tool message and finishes`, async () => {
    const seen: unknown[] = [];
    const body = {
      model: "mistral",
      messages: ask,
      tool_choice: named,
      max_tokens: 40,
      seed: 3,
      tools: [{ type: "function" as const, function: { name: "get_weather", description: "Weather of a city", parameters: weatherParams, parse: JSON.parse, function: (args: unknown) => (seen.push(args), "18 degrees") } }],
    };
    const runner = stream ? client.chat.completions.runTools({ ...body, stream: true }) : client.chat.completions.runTools(body);
    const final = await runner.finalChatCompletion();
    expect(seen).toHaveLength(1);
    expect(valid(seen[0])).toBe(true);
    const tool = runner.messages.find((m) => m.role === "tool");
    expect(tool).toMatchObject({ role: "tool", content: "18 degrees" });
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    // The history with the tool result renders through the Mistral-style template (roles must alternate).
    const next = await client.chat.completions.create({ model: "mistral", messages: runner.messages, max_tokens: 5, seed: 4 });
    expect(next.choices[0]!.message.role).toBe("assistant");
  }, 180_000);

  it("auto (lazy grammar) and none: free text streams as content when no call starts", async () => {
    for (const tool_choice of ["auto", "none"] as const) {
      const res = await client.chat.completions.create({ model: "qwen", messages: ask, tools: [weather], tool_choice, max_tokens: 12, seed: 5 });
      const choice = res.choices[0]!;
      expect(typeof choice.message.content).toBe("string");
      if (!choice.message.content!.includes("<tool_call>")) {
        expect(choice.message.tool_calls ?? []).toHaveLength(0);
        expect(["length", "stop"]).toContain(choice.finish_reason);
      }
    }
  }, 60_000);

  it("answers 400 naming the problem", async () => {
    const bad = async (body: Record<string, unknown>) => {
      const r = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "qwen", messages: ask, ...body }) });
      return { status: r.status, error: ((await r.json()) as { error: { message: string; param: string | null } }).error };
    };
    const noName = await bad({ tools: [{ type: "function", function: { parameters: {} } }] });
    expect(noName.status).toBe(400);
    expect(noName.error.param).toBe("tools[0].function.name");
    const unknown = await bad({ tools: [weather], tool_choice: { type: "function", function: { name: "launch" } } });
    expect(unknown).toMatchObject({ status: 400, error: { param: "tool_choice" } });
    expect(unknown.error.message).toMatch(/'launch'/);
    const args = await bad({ messages: [...ask, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{city: Paris" } }] }, { role: "tool", tool_call_id: "c1", content: "x" }] });
    expect(args).toMatchObject({ status: 400, error: { param: "messages[1].tool_calls[0].function.arguments" } });
    expect(args.error.message).toMatch(/is not JSON/);
    const schema = await bad({ tools: [{ type: "function", function: { name: "f", parameters: { type: "object", patternProperties: {} } } }], tool_choice: "required" });
    expect(schema.status).toBe(400);
    expect(schema.error.message).toMatch(/tools\[0\]\.function\.parameters: .*'patternProperties'/);
    // A template that raises on the conversation is the request's fault, not a 500.
    const alternate = await bad({ model: "mistral", messages: [...ask, ...ask] });
    expect(alternate.status).toBe(400);
    expect(alternate.error.message).toMatch(/alternate/);
  }, 60_000);
});
