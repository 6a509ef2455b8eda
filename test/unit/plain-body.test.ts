// The fast check of plain request bodies (lib/server/plain-body.ts) against the zod schemas it
// stands in front of: on generated bodies, valid and not, it never accepts one the schema rejects,
// and what it accepts is what the schema returns.
import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema, CompletionRequestSchema, parseBody } from "../../lib/server/openai.js";
import { plainChatBody, plainCompletionBody } from "../../lib/server/plain-body.js";

/** A small deterministic generator (mulberry32), so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [0, 1, 2, 0.5, -1, -2, -2.5, 2.5, 3, 16, 1.5, 1e20, Number.MAX_SAFE_INTEGER + 2, Infinity, -Infinity, NaN];
const ODD = [null, undefined, "", "x", true, false, [], {}, ["a"], { include_usage: true }];
/** Candidate values of each field: in range, out of range, of the wrong type. */
const FIELD_VALUES: Record<string, unknown[]> = {
  model: ["auto", "qwen_coder", 3, null],
  stream: [true, false, "true", null],
  stream_options: [{ include_usage: true }, { include_usage: null }, {}, { include_usage: "yes" }, { other: 1 }, null, []],
  max_tokens: [...NUMBERS, null],
  max_completion_tokens: [...NUMBERS, null],
  temperature: NUMBERS,
  top_p: NUMBERS,
  top_k: NUMBERS,
  min_p: NUMBERS,
  repeat_penalty: NUMBERS,
  frequency_penalty: NUMBERS,
  presence_penalty: NUMBERS,
  seed: NUMBERS,
  stop: ["\n", ["a", "b"], Array.from({ length: 17 }, () => "s"), Array.from({ length: 16 }, () => "s"), [1], null],
  n: [1, 2, 0, null],
  continue_final_message: [true, false, 1, null],
  prompt: ["once upon a time", "", 5, null],
  // Fields only the schema knows: the fast check must leave these bodies to it.
  tools: [[], [{ type: "function", function: { name: "f" } }]],
  response_format: [{ type: "json_object" }],
  grammar: ["root ::= \"a\""],
  unknown_field: [1],
  toString: ["x"],
  constructor: [1],
};

const ROLES = ["system", "user", "assistant", "tool", "developer", "robot", 1, undefined];
const CONTENTS = ["hello", "", null, undefined, 5, [{ type: "text", text: "hi" }], { text: "x" }];

function message(r: () => number, pick: <T>(a: readonly T[]) => T): unknown {
  if (r() < 0.03) return pick(ODD);
  const m: Record<string, unknown> = {};
  const role = pick(ROLES);
  if (role !== undefined) m.role = role;
  const content = pick(CONTENTS);
  if (content !== undefined || r() < 0.2) m.content = content;
  if (r() < 0.15) m.name = pick(["bob", null, 3]);
  if (r() < 0.05) m.tool_call_id = "c1";
  return m;
}

function body(r: () => number, chat: boolean): unknown {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  if (r() < 0.02) return pick(ODD);
  const b: Record<string, unknown> = {};
  if (chat && r() < 0.97) b.messages = r() < 0.05 ? pick(ODD) : Array.from({ length: r() < 0.05 ? 0 : 1 + Math.floor(r() * 2) }, () => message(r, pick));
  if (!chat && r() < 0.9) b.prompt = pick(FIELD_VALUES.prompt!);
  for (const [k, values] of Object.entries(FIELD_VALUES)) {
    const rare = ["tools", "response_format", "grammar", "unknown_field", "toString", "constructor"].includes(k);
    if (r() < (rare ? 0.02 : 0.12)) b[k] = pick(values);
  }
  return b;
}

/** What the schema makes of a body: its output, or null when it rejects it. */
function bySchema(b: unknown, chat: boolean): unknown {
  try {
    return parseBody(chat ? ChatCompletionRequestSchema : CompletionRequestSchema, b);
  } catch {
    return null;
  }
}

describe("plain request bodies", () => {
  it.each([
    ["chat", true],
    ["completion", false],
  ] as const)("%s: accepts only what the schema accepts, and returns what the schema returns", (_name, chat) => {
    const r = rng(chat ? 1 : 2);
    let fast = 0;
    let valid = 0;
    for (let i = 0; i < 10_000; i++) {
      const b = body(r, chat);
      const quick = chat ? plainChatBody(b) : plainCompletionBody(b);
      const schema = bySchema(b, chat);
      if (schema !== null) valid++;
      if (quick === null) continue;
      fast++;
      expect(schema, `body ${i}: ${JSON.stringify(b)}`).not.toBeNull();
      expect(quick).toEqual(schema);
    }
    // Both sides are exercised: many plain bodies take the fast path, and it is not the only one.
    expect(fast).toBeGreaterThan(300);
    expect(valid).toBeGreaterThan(fast);
  });

  it("takes the bodies clients usually send", () => {
    const usual = {
      model: "auto",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Write a regex for ISO dates", name: "ana" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      top_p: 1,
      max_tokens: 256,
      stop: ["\n\n"],
      seed: 42,
      n: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
    };
    expect(plainChatBody(usual)).toBe(usual);
    expect(plainCompletionBody({ model: "qwen_coder", prompt: "def f(", max_tokens: 8, stream: false })).not.toBeNull();
    expect(plainChatBody({ ...usual, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] })).toBeNull();
    expect(plainChatBody({ ...usual, toString: "x" })).toBeNull();
  });
});
