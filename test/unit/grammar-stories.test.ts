// Constrained generation on a real (tiny, not instruction-tuned) model: stories260K writes under
// each schema of the set with several seeds; every output that stops normally must parse and be
// valid per ajv (with ajv-formats) against its schema. Also: GBNF through generate(), bad input.
// (Dead ends are tested natively: a byte-fallback vocabulary can always go on.)
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../lib/engine/index.js";
import type { Model } from "../../lib/engine/types.js";
import { GrammarError } from "../../lib/errors.js";
import { packageRoot } from "../../lib/native.js";
import { SCHEMAS } from "../fixtures/grammar/schemas.js";

const MODEL = join(packageRoot, "..", "shared", "models", "stories260K.gguf");
const present = existsSync(MODEL);
if (!present) console.warn(`grammar-stories: ${MODEL} is absent; skipping the real-model grammar tests`);

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

function validator(schema: Record<string, unknown>): ValidateFunction {
  // Draft-07 schemas (zod 3 style, array `items`) need the draft-07 validator; the rest are 2020-12.
  const draft07 = typeof schema.$schema === "string" || JSON.stringify(schema).includes('"additionalItems"');
  const ajv = draft07 ? new Ajv({ strict: false }) : new Ajv2020({ strict: false });
  addFormats(ajv);  // ajv itself knows OpenAPI's `nullable` (what zodResponseFormat sends)
  return ajv.compile(schema);
}

describe.skipIf(!present)("constrained generation on stories260K", () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(MODEL, { threads: 1, contextSize: 512 });
  });
  afterAll(async () => model?.close());

  it("every output that stops normally is valid per ajv, over the whole schema set", async () => {
    let normal = 0, total = 0;
    const failures: string[] = [];
    for (const c of SCHEMAS) {
      const validate = validator(c.schema);
      for (const seed of [1, 2, 3]) {
        const gen = model.generate("Once upon a time", { jsonSchema: c.schema, maxTokens: 160, temperature: 0.8, seed });
        let text = "";
        for await (const chunk of gen) text += chunk.text;
        const stats = await gen.stats;
        total++;
        if (stats.stopReason !== "eos") continue;
        normal++;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          failures.push(`${c.name} seed ${seed}: not JSON: ${text}`);
          continue;
        }
        if (!validate(value)) failures.push(`${c.name} seed ${seed}: ${text} -> ${JSON.stringify(validate.errors)}`);
      }
    }
    console.log(`grammar-stories: ${normal} of ${total} constrained generations stopped normally; all were checked with ajv`);
    expect(failures).toEqual([]);
    expect(SCHEMAS.length).toBeGreaterThanOrEqual(30);
    expect(normal).toBeGreaterThanOrEqual(SCHEMAS.length);
  }, 600_000);

  it("closes a bounded schema's JSON before max_tokens", async () => {
    const schema = { type: "object", properties: { name: { type: "string", maxLength: 24 }, n: { type: "integer", minimum: 0, maximum: 9 }, tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 } }, required: ["name", "n", "tags"], additionalProperties: false };
    const validate = validator(schema);
    for (const seed of [11, 12, 13, 14, 15]) {
      // {"name":"","n":0,"tags":[]} is 28 characters, about as many tokens in this 512-token vocabulary.
      const gen = model.generate("Once upon a time", { jsonSchema: schema, maxTokens: 40, temperature: 1, seed });
      let text = "";
      for await (const chunk of gen) text += chunk.text;
      const stats = await gen.stats;
      expect(stats.stopReason, text).toBe("eos");
      expect(stats.generatedTokens).toBeLessThanOrEqual(40);
      expect(validate(JSON.parse(text)), text).toBe(true);
    }
  });

  it("takes a GBNF grammar and ends at its accept state", async () => {
    const gen = model.generate("Once upon a time", { grammar: 'root ::= " there was a " ("cat" | "dog") "."', maxTokens: 50, temperature: 0 });
    let text = "";
    for await (const chunk of gen) text += chunk.text;
    expect(text).toMatch(/^ there was a (cat|dog)\.$/);
    const { stopReason, generatedTokens } = await gen.stats;
    expect(stopReason).toBe("eos");
    // Completing the grammar with the last allowed token is a normal stop, not "maxTokens".
    const exact = model.generate("Once upon a time", { grammar: 'root ::= " there was a " ("cat" | "dog") "."', maxTokens: generatedTokens, temperature: 0 });
    for await (const _ of exact) void _;
    expect((await exact.stats).stopReason).toBe("eos");
  });

  it("rejects bad grammars and schemas before generating", () => {
    expect(() => model.generate("x", { grammar: "root ::= nope" })).toThrow(GrammarError);
    expect(() => model.generate("x", { jsonSchema: { type: "string", format: "hostname" } })).toThrow(/format 'hostname'/);
    expect(() => model.generate("x", { grammar: 'root ::= "a"', jsonSchema: {} })).toThrow(/either grammar or jsonSchema/);
  });
});
