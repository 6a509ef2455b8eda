// Structured output end to end: the real server with the real engine on stories260K (a tiny real
// model, not instruction tuned), queried with the official `openai` SDK unchanged:
// `chat.completions.parse()` with zodResponseFormat for a zod 3 schema (zod/v3: draft-07,
// `definitions`, `nullable`) and a zod 4 one, `response_format` json_object / json_schema on both
// endpoints, the `grammar` extension, and 400s naming the bad field.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z as z3 } from "zod/v3";
import { z as z4 } from "zod/v4";
import { packageRoot } from "../../lib/native.js";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";

const MODEL = join(packageRoot, "..", "shared", "models", "stories260K.gguf");
const present = existsSync(MODEL);
if (!present) console.warn(`structured-output e2e: ${MODEL} is absent; skipping`);

// stories260K has no chat template of its own.
const TEMPLATE = "{% for m in messages %}{{ m.content }}\n{% endfor %}";
const user = (content: string) => [{ role: "user" as const, content }];

describe.skipIf(!present)("structured output through the openai SDK (stories260K)", () => {
  const dir = mkdtempSync(join(tmpdir(), "capibara-structured-"));
  let system: CapibaraSystem;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    const expert = { name: "stories", domain: "general", priority: 1, model_path: MODEL, n_ctx: 512, n_threads: 1, chat_template: TEMPLATE, sampling: { temperature: 0.8, max_tokens: 200 } };
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ experts: [expert] }));
    system = await createSystem(file);
    server = await startServer(system, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("parse() with a zod 3 schema (draft-07, definitions, nullable) returns a parsed object", async () => {
    const Pet = z3.object({ kind: z3.enum(["cat", "dog"]), age: z3.number().int().min(0).max(20) });
    const Story = z3.object({ title: z3.string().max(30), hero: Pet, sidekick: Pet.nullable(), moral: z3.string().max(30).nullable() });
    const format = zodResponseFormat(Story, "story");
    const sent = JSON.stringify(format.json_schema.schema);
    expect(sent).toContain("draft-07");
    for (const seed of [1, 2, 3]) {
      const res = await client.chat.completions.parse({ model: "stories", messages: user("Once upon a time"), response_format: format, seed, max_tokens: 200 });
      const msg = res.choices[0]!.message;
      expect(res.choices[0]!.finish_reason).toBe("stop");
      expect(msg.parsed).not.toBeNull();
      expect(Story.parse(msg.parsed)).toEqual(msg.parsed);
    }
  }, 120_000);

  it("parse() with a zod 4 schema", async () => {
    const Answer = z4.object({ answer: z4.boolean(), confidence: z4.number().int().min(1).max(5), tags: z4.array(z4.string().max(12)).max(3) });
    const res = await client.chat.completions.parse({ model: "stories", messages: user("Is the sky blue?"), response_format: zodResponseFormat(Answer, "answer"), seed: 4 });
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(Answer.parse(res.choices[0]!.message.parsed)).toBeTruthy();
  }, 60_000);

  it("json_object, json_schema and grammar on /v1/completions; json_object on chat, streamed", async () => {
    const obj = await client.completions.create({ model: "stories", prompt: "Once", max_tokens: 120, seed: 5, response_format: { type: "json_object" } } as never);
    const text = (obj as unknown as { choices: { text: string; finish_reason: string }[] }).choices[0]!;
    if (text.finish_reason === "stop") expect(typeof JSON.parse(text.text)).toBe("object");
    expect(text.text.startsWith("{")).toBe(true);

    const schema = { type: "object", properties: { n: { type: "integer", minimum: 1, maximum: 9 } }, required: ["n"], additionalProperties: false };
    const res = await client.completions.create({ model: "stories", prompt: "Once", seed: 6, response_format: { type: "json_schema", json_schema: { name: "n", schema, strict: true } } } as never);
    const c = (res as unknown as { choices: { text: string }[] }).choices[0]!;
    expect(JSON.parse(c.text).n).toBeGreaterThanOrEqual(1);

    const g = await client.completions.create({ model: "stories", prompt: "Once upon a time", grammar: 'root ::= " there was a " ("cat" | "dog")' } as never);
    expect((g as unknown as { choices: { text: string }[] }).choices[0]!.text).toMatch(/^ there was a (cat|dog)$/);

    const stream = await client.chat.completions.create({ model: "stories", messages: user("Once"), stream: true, seed: 7, max_tokens: 60, response_format: { type: "json_object" } });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed.startsWith("{")).toBe(true);
  }, 120_000);

  it("answers 400 naming the problem for unsupported schemas and bad grammars", async () => {
    const bad = async (body: Record<string, unknown>) => {
      const r = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "stories", messages: user("x"), ...body }) });
      return { status: r.status, body: (await r.json()) as { error: { message: string; param: string | null } } };
    };
    const a = await bad({ response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { a: { type: "string", format: "hostname" } } } } } });
    expect(a.status).toBe(400);
    expect(a.body.error.message).toMatch(/format 'hostname'/);
    expect(a.body.error.param).toBe("response_format.json_schema.schema");
    const b = await bad({ response_format: { type: "json_schema", json_schema: { name: "x", schema: { oneOf: [{ type: "string" }] } } } });
    expect(b.status).toBe(400);
    expect(b.body.error.message).toMatch(/unsupported keyword 'oneOf'/);
    const c = await bad({ grammar: "root ::= missing" });
    expect(c.status).toBe(400);
    expect(c.body.error.message).toMatch(/undefined rule 'missing'/);
    expect(c.body.error.param).toBe("grammar");
    const d = await bad({ grammar: 'root ::= "a"', response_format: { type: "json_object" } });
    expect(d.status).toBe(400);
    const e = await bad({ response_format: { type: "xml" } });
    expect(e.status).toBe(400);
  });
});
