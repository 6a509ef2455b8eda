// JSON Schema → GBNF and the native grammar engine on the real 151k qwen2 vocabulary (shipped demo
// vocabulary): every valid instance of the schema set is accepted token by token and ends in an
// accepting state, every invalid text is rejected; the full mask agrees with per-token checks;
// unsupported keywords and bad GBNF are typed errors naming the problem.
import { beforeAll, describe, expect, it } from "vitest";
import { GrammarError } from "../../lib/errors.js";
import { GrammarCache, GrammarMatcher, checkGbnf } from "../../lib/grammar/compiled.js";
import { JSON_OBJECT_GBNF, jsonSchemaToGbnf } from "../../lib/grammar/json-schema.js";
import { loadDemoVocab } from "../../lib/demo/index.js";
import { Tokenizer } from "../../lib/tokenizer/index.js";
import { SCHEMAS, compact } from "../fixtures/grammar/schemas.js";

let tok: Tokenizer;
let cache: GrammarCache;

beforeAll(() => {
  tok = Tokenizer.fromData(loadDemoVocab("qwen2-bpe"));
  cache = new GrammarCache(tok);
});

async function matcher(gbnf: string): Promise<GrammarMatcher> {
  return new GrammarMatcher(await cache.get(gbnf), tok.size);
}

/** Whether the grammar accepts `text` as a complete output (tokenized as the model would write it). */
async function accepts(gbnf: string, text: string): Promise<boolean> {
  const m = await matcher(gbnf);
  for (const t of tok.tokenize(text, { addSpecial: false, parseSpecial: false })) {
    if (!m.allows(t)) return false;
    m.accept(t);
  }
  return m.accepting;
}

describe("JSON Schema to grammar", () => {
  for (const c of SCHEMAS) {
    it(`${c.name}: accepts the valid instances and rejects the invalid texts`, async () => {
      const gbnf = jsonSchemaToGbnf(c.schema);
      for (const v of c.valid) expect(await accepts(gbnf, compact(v)), `${compact(v)}\n${gbnf}`).toBe(true);
      for (const s of c.invalid) expect(await accepts(gbnf, s), `${s}\n${gbnf}`).toBe(false);
    });
  }

  it("json_object: any JSON object, nothing else", async () => {
    for (const s of ["{}", '{"a":[1,2,{"b":null}],"c":"d"}']) expect(await accepts(JSON_OBJECT_GBNF, s)).toBe(true);
    for (const s of ["[]", '"x"', "{", '{"a":}']) expect(await accepts(JSON_OBJECT_GBNF, s)).toBe(false);
  });

  it("names every unsupported keyword instead of ignoring it", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: "object", properties: { a: { oneOf: [{ type: "string" }] } } }, /#\/properties\/a: unsupported keyword 'oneOf'/],
      [{ allOf: [{ type: "string" }] }, /unsupported keyword 'allOf'/],
      [{ type: "object", minProperties: 1 }, /unsupported keyword 'minProperties'/],
      [{ type: "string", format: "ipv4" }, /format 'ipv4' is not supported/],
      [{ type: "string", pattern: "(a)\\1" }, /backreferences/],
      [{ type: "string", pattern: "a(?=b)" }, /lookaround/],
      [{ type: "number", minimum: 0.5 }, /only integer bounds/],
      [{ type: "number", exclusiveMinimum: 0 }, /exclusiveMinimum/],
      [{ $ref: "#/$defs/missing" }, /does not resolve/],
      [{ $ref: "https://example.com/s.json" }, /not local/],
      [{ type: "strng" }, /unknown type 'strng'/],
      [{ type: "object", properties: { a: {} }, required: ["b"] }, /required property 'b'/],
      [{ type: "string", if: { minLength: 1 } }, /unsupported keyword 'if'/],
    ];
    for (const [schema, re] of cases) {
      let err: unknown;
      try {
        jsonSchemaToGbnf(schema);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(schema)).toBeInstanceOf(GrammarError);
      expect((err as GrammarError).code).toBe("GRAMMAR_INVALID");
      expect((err as Error).message).toMatch(re);
    }
  });
});

describe("native grammar engine", () => {
  it("reports GBNF errors with their position", () => {
    for (const [text, re] of [
      ["root ::= foo", /undefined rule 'foo'/],
      ['root ::= "a" | root "b"', /left recursion/],
      ["root ::= [a-", /end of grammar/],
      ['rooot ::= "a"', /no 'root' rule/],
    ] as const) {
      expect(() => checkGbnf(text)).toThrow(GrammarError);
      expect(() => checkGbnf(text)).toThrow(re);
    }
  });

  it("the full mask agrees with per-token checks along a constrained walk", async () => {
    const c = SCHEMAS.find((s) => s.name === "order")!;
    const m = await matcher(jsonSchemaToGbnf(c.schema));
    const tokens = tok.tokenize(compact(c.valid[0]), { addSpecial: false, parseSpecial: false });
    // Check a spread of vocabulary ids at every step (all 151k per step would take too long here).
    const probe = Array.from({ length: 2000 }, (_, i) => (i * 7919) % tok.size);
    for (const t of tokens) {
      const n = m.computeMask();
      expect(n).toBeGreaterThan(0);
      for (const id of [...probe, t]) expect((m.mask[id >>> 5]! >>> (id & 31)) & 1, `token ${id}`).toBe(m.allows(id) ? 1 : 0);
      m.accept(t);
    }
    expect(m.accepting).toBe(true);
    expect(m.complete).toBe(true);
    // End of generation is allowed exactly here.
    const eos = tok.eos!;
    expect(m.allows(eos)).toBe(true);
  });

  it("forces the text only the grammar allows", async () => {
    const m = await matcher(jsonSchemaToGbnf({ type: "object", properties: { answer: { type: "integer" } }, required: ["answer"], additionalProperties: false }));
    const forced = m.forced(16);
    expect(tok.detokenize(forced)).toBe('{"answer":');
    expect(m.allows(tok.eos!)).toBe(false);
  });
});
