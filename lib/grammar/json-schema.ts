/**
 * JSON Schema → GBNF. The grammar generates compact JSON (no whitespace between tokens) that is
 * valid against the schema; an instance it cannot produce is fine, an invalid one is a bug.
 *
 * Supported: `type` (one or a list, `"null"` included; `nullable: true`), `properties`, `required`,
 * `additionalProperties` (`false`; `true` or a schema adds free-form pairs after the declared
 * ones; absent with `properties`: declared properties only, which is always valid), `enum`,
 * `const`, `items`, `prefixItems` (and draft-07 array `items` / `additionalItems`), `minItems` /
 * `maxItems`, `anyOf`, `$defs` / `definitions` with local `$ref`s (recursion included), string
 * `minLength` / `maxLength` / `pattern` / `format` (`date`, `time`, `date-time`, `uuid`, `email`),
 * integer `minimum` / `maximum` / `exclusiveMinimum` / `exclusiveMaximum`, number `minimum` /
 * `maximum` with integer values. Annotations (`$schema`, `$id`, `title`, `description`, `default`,
 * `examples`, `$comment`, `deprecated`, `readOnly`, `writeOnly`) are ignored. Any other keyword is a
 * {@link GrammarError} naming it and where it is: nothing is silently dropped.
 *
 * Object properties come in the order `properties` lists them. Numbers are bounded (16 integer
 * digits, 16 fraction digits, 3 exponent digits) so a generation cannot spin in one number.
 * @module
 */
import { GrammarError } from "../errors.js";
import { patternToGbnf } from "./regex.js";

type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"]);
const KEYWORDS = new Set([
  "type", "nullable", "properties", "required", "additionalProperties", "enum", "const", "items", "prefixItems",
  "additionalItems", "minItems", "maxItems", "anyOf", "$defs", "definitions", "$ref", "minLength", "maxLength",
  "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
]);
const TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"] as const;
type JsonType = (typeof TYPES)[number];

/** Rules shared by every generated grammar (compact JSON). */
const PRIMITIVES: Record<string, string> = {
  char: `[^"\\\\\\x00-\\x1f] | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} )`,
  string: `"\\"" char* "\\""`,
  integer: `"-"? ( "0" | [1-9] [0-9]{0,15} )`,
  number: `"-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?`,
  boolean: `"true" | "false"`,
  null: `"null"`,
  value: `object | array | string | number | boolean | null`,
  object: `"{" ( string ":" value ( "," string ":" value )* )? "}"`,
  array: `"[" ( value ( "," value )* )? "]"`,
  d2: `[0-9] [0-9]`,
  date: `[0-9]{4} "-" ( ( "01" | "03" | "05" | "07" | "08" | "10" | "12" ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | ( "04" | "06" | "09" | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) )`,
  time: `( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )`,
  "date-time": `date "T" time`,
  uuid: `[0-9a-f]{8} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{12}`,
  "email-part": `[a-zA-Z0-9_+-]{1,32}`,
  "email-label": `[a-zA-Z0-9]{1,20} ( "-" [a-zA-Z0-9]{1,20} )?`,
  email: `email-part ( "." email-part ){0,3} "@" email-label ( "." email-label ){1,3}`,
};

/** The generic JSON grammar (`response_format: {"type": "json_object"}`): any JSON object. */
export const JSON_OBJECT_GBNF = grammarText(new Map([["root", "object"]]));

function grammarText(rules: Map<string, string>): string {
  const used = new Map(rules);
  // Add the primitives the rules reach (transitively), in a stable order.
  const pending = [...rules.values()];
  while (pending.length) {
    const body = pending.pop()!;
    for (const name of Object.keys(PRIMITIVES))
      if (!used.has(name) && new RegExp(`(^|[\\s(|])${name.replace(/-/g, "\\-")}($|[\\s)|*+?{])`).test(body)) {
        used.set(name, PRIMITIVES[name]!);
        pending.push(PRIMITIVES[name]!);
      }
  }
  return [...used].map(([n, b]) => `${n} ::= ${b}`).join("\n") + "\n";
}

/** The JSON Schema types a value has (an integer is also a number). */
function typesOf(v: unknown): JsonType[] {
  if (v === null) return ["null"];
  if (Array.isArray(v)) return ["array"];
  if (typeof v === "number") return Number.isInteger(v) ? ["integer", "number"] : ["number"];
  return [typeof v as JsonType];
}

const lit = (s: string) => JSON.stringify(s);  // a GBNF string literal (same escapes as JSON)

class Converter {
  readonly rules = new Map<string, string>([["root", ""]]);
  readonly #byBody = new Map<string, string>();
  readonly #refs = new Map<string, string>();

  constructor(
    private readonly root: Schema,
    /** Prepended to every rule name, so several schemas can share one grammar. */
    private readonly prefix = "",
  ) {}

  fail(path: string, what: string): never {
    throw new GrammarError("GRAMMAR_INVALID", `JSON schema at ${path}: ${what}`);
  }

  /** A rule holding `body`, reusing an identical one. */
  rule(hint: string, body: string): string {
    const known = this.#byBody.get(body);
    if (known) return known;
    let name = hint.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/^-+|-+$/g, "").toLowerCase() || "schema";
    if (PRIMITIVES[name] !== undefined || name === "root" || /^[0-9]/.test(name)) name = `s-${name}`;
    name = this.prefix + name;
    for (let k = 2; this.rules.has(name); k++) name = `${name.replace(/-\d+$/, "")}-${k}`;
    this.rules.set(name, body);
    this.#byBody.set(body, name);
    return name;
  }

  resolve(ref: string, path: string): { schema: Schema; pointer: string } {
    if (!ref.startsWith("#")) this.fail(path, `$ref '${ref}' is not local (only '#...' references are supported)`);
    let cur: unknown = this.root;
    const parts = ref.slice(1).split("/").slice(1).map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
    for (const p of parts) {
      if (cur === null || typeof cur !== "object" || !(p in (cur as object))) this.fail(path, `$ref '${ref}' does not resolve`);
      cur = (cur as Record<string, unknown>)[p];
    }
    if (typeof cur !== "boolean" && (cur === null || typeof cur !== "object" || Array.isArray(cur))) this.fail(path, `$ref '${ref}' is not a schema`);
    return { schema: cur as Schema, pointer: ref };
  }

  /** A GBNF expression for the values `schema` allows. */
  visit(schema: Schema, path: string, hint: string): string {
    if (schema === true) return "value";
    if (schema === false) this.fail(path, "the schema `false` allows no value");
    if (schema === null || typeof schema !== "object" || Array.isArray(schema)) this.fail(path, "a schema must be an object or a boolean");
    for (const k of Object.keys(schema))
      if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) this.fail(path, `unsupported keyword '${k}'`);

    if (typeof schema.$ref === "string") {
      const others = Object.keys(schema).filter((k) => !ANNOTATIONS.has(k) && k !== "$ref" && k !== "$defs" && k !== "definitions");
      if (others.length) this.fail(path, `'${others[0]}' next to '$ref' is not supported`);
      return this.ref(schema.$ref, path);
    } else if (schema.$ref !== undefined) {
      this.fail(path, "'$ref' must be a string");
    }
    const nullable = schema.nullable === true;
    if (schema.nullable !== undefined && typeof schema.nullable !== "boolean") this.fail(path, "'nullable' must be a boolean");
    let expr: string;
    if (schema.const !== undefined) {
      expr = lit(JSON.stringify(schema.const));
    } else if (schema.enum !== undefined) {
      if (!Array.isArray(schema.enum) || schema.enum.length === 0) this.fail(path, "'enum' must be a non-empty array");
      // Next to a `type`, only the values of that type are valid.
      const values = schema.type === undefined ? schema.enum : schema.enum.filter((v) => typesOf(v).some((t) => ([] as unknown[]).concat(schema.type).includes(t)));
      if (values.length === 0) this.fail(path, "no 'enum' value has the schema's 'type'");
      expr = this.rule(hint, values.map((v) => lit(JSON.stringify(v))).join(" | "));
    } else if (schema.anyOf !== undefined) {
      if (!Array.isArray(schema.anyOf) || schema.anyOf.length === 0) this.fail(path, "'anyOf' must be a non-empty array");
      const own = Object.keys(schema).filter((k) => !ANNOTATIONS.has(k) && !["anyOf", "$defs", "definitions", "nullable"].includes(k));
      if (own.length) this.fail(path, `'${own[0]}' next to 'anyOf' is not supported (put it inside each branch)`);
      expr = this.rule(hint, schema.anyOf.map((s, i) => this.visit(s as Schema, `${path}/anyOf/${i}`, `${hint}-${i}`)).join(" | "));
    } else {
      expr = this.typed(schema, path, hint);
    }
    return nullable ? this.rule(`${hint}-or-null`, `${expr} | null`) : expr;
  }

  ref(ref: string, path: string): string {
    const known = this.#refs.get(ref);
    if (known) return known;
    const { schema } = this.resolve(ref, path);
    const name = this.rule(ref === "#" ? "root-ref" : ref.split("/").pop()!, `@pending ${ref}`);
    this.#refs.set(ref, name);  // before visiting: a recursive schema refers back to this name
    const body = this.visit(schema, ref, `${name}-body`);
    this.#byBody.delete(`@pending ${ref}`);
    this.rules.set(name, body);
    return name;
  }

  typed(s: Record<string, unknown>, path: string, hint: string): string {
    let types: JsonType[];
    if (s.type === undefined) {
      types = s.properties !== undefined ? ["object"] : s.items !== undefined || s.prefixItems !== undefined ? ["array"] : [...TYPES];
      if (types.length === TYPES.length) {
        const specific = ["minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "required", "additionalProperties"].filter((k) => s[k] !== undefined);
        if (specific.length) this.fail(path, `'${specific[0]}' without a 'type' is not supported`);
        return "value";
      }
    } else {
      const list = Array.isArray(s.type) ? s.type : [s.type];
      for (const t of list) if (!TYPES.includes(t as JsonType)) this.fail(path, `unknown type '${String(t)}'`);
      if (list.length === 0) this.fail(path, "'type' must not be empty");
      types = list as JsonType[];
    }
    const alts = types.map((t) => this.ofType(t, s, path, types.length > 1 ? `${hint}-${t}` : hint));
    return alts.length === 1 ? alts[0]! : this.rule(hint, alts.join(" | "));
  }

  ofType(t: JsonType, s: Record<string, unknown>, path: string, hint: string): string {
    switch (t) {
      case "null":
      case "boolean":
        return t;
      case "string":
        return this.string(s, path, hint);
      case "integer":
      case "number":
        return this.number(t, s, path, hint);
      case "object":
        return this.object(s, path, hint);
      case "array":
        return this.array(s, path, hint);
    }
  }

  string(s: Record<string, unknown>, path: string, hint: string): string {
    const min = this.count(s.minLength, "minLength", path) ?? 0;
    const max = this.count(s.maxLength, "maxLength", path);
    if (s.format !== undefined) {
      if (!["date", "time", "date-time", "uuid", "email"].includes(s.format as string)) this.fail(path, `format '${String(s.format)}' is not supported (date, time, date-time, uuid, email are)`);
      if (s.pattern !== undefined || s.minLength !== undefined || s.maxLength !== undefined) this.fail(path, "'format' together with 'pattern' or a length is not supported");
      return this.rule(hint, `"\\"" ${s.format as string} "\\""`);
    }
    if (s.pattern !== undefined) {
      if (typeof s.pattern !== "string") this.fail(path, "'pattern' must be a string");
      if (s.minLength !== undefined || s.maxLength !== undefined) this.fail(path, "'pattern' together with 'minLength' / 'maxLength' is not supported");
      let body: string;
      try {
        body = patternToGbnf(s.pattern);
      } catch (e) {
        this.fail(`${path}/pattern`, (e as Error).message);
      }
      return this.rule(hint, `"\\"" ${body} "\\""`);
    }
    if (min === 0 && max === undefined) return "string";
    if (max !== undefined && max < min) this.fail(path, "maxLength < minLength");
    return this.rule(hint, `"\\"" char{${min},${max ?? ""}} "\\""`);
  }

  count(v: unknown, key: string, path: string): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) this.fail(path, `'${key}' must be a non-negative integer`);
    if (v > 4096) this.fail(path, `'${key}' above 4096 is not supported`);
    return v;
  }

  bound(v: unknown, key: string, path: string): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(path, `'${key}' must be a number`);
    return v;
  }

  number(t: "integer" | "number", s: Record<string, unknown>, path: string, hint: string): string {
    let lo = this.bound(s.minimum, "minimum", path);
    let hi = this.bound(s.maximum, "maximum", path);
    const xlo = this.bound(s.exclusiveMinimum, "exclusiveMinimum", path);
    const xhi = this.bound(s.exclusiveMaximum, "exclusiveMaximum", path);
    if (lo === undefined && hi === undefined && xlo === undefined && xhi === undefined) return t;
    if (t === "number") {
      if (xlo !== undefined || xhi !== undefined) this.fail(path, "'exclusiveMinimum' / 'exclusiveMaximum' on type number are not supported (use integer, or inclusive bounds)");
      for (const [k, v] of [["minimum", lo], ["maximum", hi]] as const)
        if (v !== undefined && !Number.isInteger(v)) this.fail(path, `'${k}' ${v}: only integer bounds are supported for type number`);
      if (lo !== undefined && hi !== undefined && hi < lo) this.fail(path, "maximum < minimum");
      return this.rule(hint, numberRange(lo, hi));
    }
    if (xlo !== undefined) lo = Math.max(lo ?? -Infinity, Math.floor(xlo) + 1);
    if (xhi !== undefined) hi = Math.min(hi ?? Infinity, Math.ceil(xhi) - 1);
    if (lo !== undefined) lo = Math.ceil(lo);
    if (hi !== undefined) hi = Math.floor(hi);
    if (lo !== undefined && hi !== undefined && hi < lo) this.fail(path, "the integer bounds leave no value");
    for (const v of [lo, hi]) if (v !== undefined && Math.abs(v) > 1e15) this.fail(path, "integer bounds beyond ±1e15 are not supported");
    return this.rule(hint, intRange(lo, hi));
  }

  object(s: Record<string, unknown>, path: string, hint: string): string {
    const props = s.properties;
    if (props !== undefined && (props === null || typeof props !== "object" || Array.isArray(props))) this.fail(path, "'properties' must be an object");
    const required = s.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== "string")) this.fail(path, "'required' must be an array of strings");
    const names = Object.keys((props as Record<string, unknown>) ?? {});
    for (const r of required as string[]) if (!names.includes(r)) this.fail(path, `required property '${r}' is not in 'properties'`);
    const ap = s.additionalProperties;
    if (props === undefined && (ap === undefined || ap === true)) return "object";
    if (ap !== undefined && typeof ap !== "boolean" && (ap === null || typeof ap !== "object")) this.fail(path, "'additionalProperties' must be a boolean or a schema");
    const kv = names.map((n) => `${lit(JSON.stringify(n) + ":")} ${this.visit((props as Record<string, Schema>)[n]!, `${path}/properties/${n}`, `${hint}-${n}`)}`);
    // Extra pairs after the declared ones, when the schema asks for them explicitly.
    const extra = ap === true || (ap && typeof ap === "object") ? `string ":" ${this.visit(ap as Schema, `${path}/additionalProperties`, `${hint}-extra`)}` : undefined;
    // rest(i, first): properties i.. where `first` means nothing was written yet (no comma).
    const memo = new Map<string, string>();
    const rest = (i: number, first: boolean): string => {
      const key = `${i}:${first}`;
      const known = memo.get(key);
      if (known !== undefined) return known;
      let body: string;
      if (i === names.length) {
        body = extra ? (first ? `( ${extra} ( "," ${extra} )* )?` : `( "," ${extra} )*`) : "";
      } else {
        const mine = `${first ? "" : '"," '}${kv[i]} ${rest(i + 1, false)}`.trim();
        body = (required as string[]).includes(names[i]!) ? mine : `( ${mine} ) | ( ${rest(i + 1, first) || '""'} )`;
      }
      const out = body === "" ? "" : this.rule(`${hint}-from-${i}${first ? "" : "-more"}`, body);
      memo.set(key, out);
      return out;
    };
    return this.rule(hint, `"{" ${rest(0, true)} "}"`.replace(/\s+/g, " "));
  }

  array(s: Record<string, unknown>, path: string, hint: string): string {
    const min = this.count(s.minItems, "minItems", path) ?? 0;
    const max = this.count(s.maxItems, "maxItems", path);
    if (max !== undefined && max < min) this.fail(path, "maxItems < minItems");
    let prefix: unknown[] = [];
    let items: unknown = s.items;
    if (Array.isArray(s.items)) {  // draft-07 tuple form
      prefix = s.items;
      items = s.additionalItems;
    } else if (s.additionalItems !== undefined) {
      this.fail(path, "'additionalItems' without an array 'items' is not supported");
    }
    if (s.prefixItems !== undefined) {
      if (!Array.isArray(s.prefixItems)) this.fail(path, "'prefixItems' must be an array");
      if (Array.isArray(s.items)) this.fail(path, "'prefixItems' with an array 'items' is ambiguous");
      prefix = s.prefixItems;
    }
    // Tuple entries are all written (as far as maxItems allows); more items only from `items`.
    const p = prefix.slice(0, max ?? prefix.length).map((x, i) => this.visit(x as Schema, `${path}/prefixItems/${i}`, `${hint}-${i}`));
    const more = items === undefined ? (prefix.length ? undefined : "value") : items === false ? undefined : this.visit(items as Schema, `${path}/items`, `${hint}-item`);
    const lo = Math.max(0, min - p.length);
    if (lo > 0 && more === undefined) this.fail(path, "minItems needs more items than the tuple allows");
    const hiMore = more === undefined ? 0 : max === undefined ? undefined : Math.max(0, max - p.length);
    let tail = "";
    if (more !== undefined && hiMore !== 0) {
      if (p.length) {
        tail = `( "," ${more} ){${lo},${hiMore ?? ""}}`;
      } else if (lo > 0) {
        tail = `${more} ( "," ${more} ){${lo - 1},${hiMore === undefined ? "" : hiMore - 1}}`;
      } else {
        tail = `( ${more} ( "," ${more} ){0,${hiMore === undefined ? "" : hiMore - 1}} )?`;
      }
    }
    const head = p.join(' "," ');
    return this.rule(hint, `"[" ${head} ${tail} "]"`.replace(/\s+/g, " "));
  }
}

/** GBNF for the integers in [lo, hi] (either side may be open), no leading zeros. */
function intRange(lo: number | undefined, hi: number | undefined): string {
  const alts: string[] = [];
  const big = 16;  // digits of an unbounded side
  const pos = (a: number, b: number | undefined) => (b === undefined ? atLeast(a, big) : digitRanges(a, b));
  if (lo === undefined || lo < 0) {
    // Negative part: -(n) for n in [max(1, -hi), -lo]
    const nlo = Math.max(1, hi === undefined ? 1 : -hi);
    const nhi = lo === undefined ? undefined : -lo;
    if (nhi === undefined || nlo <= nhi) alts.push(`"-" ( ${pos(nlo, nhi)} )`);
  }
  if (hi === undefined || hi >= 0) alts.push(pos(Math.max(0, lo ?? 0), hi));
  return alts.join(" | ");
}

/** n >= a with at most `digits` digits. */
function atLeast(a: number, digits: number): string {
  const len = String(a).length;
  const parts = [digitRanges(a, 10 ** len - 1)];
  if (len < digits) parts.push(`[1-9] [0-9]{${len},${digits - 1}}`);
  return parts.join(" | ");
}

/** Alternatives of digit-class sequences covering [a, b] (0 <= a <= b), one per equal-length run. */
function digitRanges(a: number, b: number): string {
  const out: string[] = [];
  const split = (lo: number, hi: number) => {
    // Numbers of equal length only.
    const ll = String(lo).length, hl = String(hi).length;
    if (ll < hl) {
      split(lo, 10 ** ll - 1);
      split(10 ** ll, hi);
      return;
    }
    const ls = String(lo), hs = String(hi);
    // Common prefix, then the first differing digit position.
    let i = 0;
    while (i < ls.length && ls[i] === hs[i]) i++;
    if (i === ls.length) {
      out.push(lit(ls));
      return;
    }
    const prefix = ls.slice(0, i);
    const restLen = ls.length - i - 1;
    const lowTail = ls.slice(i + 1), highTail = hs.slice(i + 1);
    const allZero = /^0*$/.test(lowTail), allNine = /^9*$/.test(highTail);
    const d0 = Number(ls[i]), d1 = Number(hs[i]);
    const any = restLen ? ` [0-9]{${restLen}}` : "";
    const pre = prefix ? `${lit(prefix)} ` : "";
    if (allZero && allNine) {
      out.push(`${pre}[${d0}-${d1}]${any}`);
      return;
    }
    let from = d0, to = d1;
    if (!allZero) {
      split(Number(ls), Number(prefix + String(d0) + "9".repeat(restLen)));
      from = d0 + 1;
    }
    if (!allNine) to = d1 - 1;
    if (from <= to) out.push(`${pre}[${from}-${to}]${any}`);
    if (!allNine) split(Number(prefix + String(d1) + "0".repeat(restLen)), Number(hs));
  };
  split(a, b);
  return out.join(" | ");
}

/**
 * GBNF for the numbers in [lo, hi] with integer bounds: x = ±(k + f), k the integer part in range
 * with any fraction, or k at the bound with a zero fraction. (Near a negative upper bound this
 * leaves out some values, e.g. -1.5 for hi = -1; everything it produces is in range.)
 */
function numberRange(lo: number | undefined, hi: number | undefined): string {
  const frac = `( "." [0-9]{1,16} )?`;
  const zeros = `( "." "0"{1,16} )?`;
  const alts: string[] = [];
  const side = (sign: string, a: number, b: number | undefined) => {
    if (b === undefined) {
      alts.push(`${sign}( ${intRange(a, undefined)} ) ${frac}`);
      return;
    }
    if (b - 1 >= a) alts.push(`${sign}( ${intRange(a, b - 1)} ) ${frac}`);
    if (b >= a) alts.push(`${sign}${lit(String(b))} ${zeros}`);
  };
  if (hi === undefined || hi >= 0) side("", Math.max(0, lo ?? 0), hi);
  if (lo === undefined || lo < 0) side('"-" ', hi !== undefined && hi < 0 ? -hi : 0, lo === undefined ? undefined : -lo);
  return alts.join(" | ");
}

/**
 * GBNF for a JSON Schema.
 * @throws {@link GrammarError} (`GRAMMAR_INVALID`) naming an unsupported or invalid keyword.
 */
export function jsonSchemaToGbnf(schema: unknown): string {
  if (typeof schema !== "boolean" && (schema === null || typeof schema !== "object" || Array.isArray(schema)))
    throw new GrammarError("GRAMMAR_INVALID", "JSON schema at #: a schema must be an object or a boolean");
  const c = new Converter(schema as Schema);
  c.rules.set("root", c.visit(schema as Schema, "#", "root-value"));
  return grammarText(c.rules);
}

/**
 * One grammar embedding several JSON Schemas (tool-call arguments): `schemas[i]`'s values are the
 * rule `schemas[i].name`; `rules` (with `root`) use them. Each schema's own rules are prefixed with
 * its name. Errors as {@link jsonSchemaToGbnf}, the message starting with `label`.
 */
export function jsonSchemasToGbnf(rules: ReadonlyMap<string, string>, schemas: readonly { name: string; schema: unknown; label: string }[]): string {
  const all = new Map(rules);
  for (const { name, schema, label } of schemas) {
    try {
      if (typeof schema !== "boolean" && (schema === null || typeof schema !== "object" || Array.isArray(schema)))
        throw new GrammarError("GRAMMAR_INVALID", "JSON schema at #: a schema must be an object or a boolean");
      const c = new Converter(schema as Schema, `${name}-`);
      c.rules.delete("root");
      const expr = c.visit(schema as Schema, "#", "value");
      for (const [n, b] of c.rules) all.set(n, b);
      all.set(name, expr);
    } catch (err) {
      if (err instanceof GrammarError) throw new GrammarError("GRAMMAR_INVALID", `${label}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return grammarText(all);
}
