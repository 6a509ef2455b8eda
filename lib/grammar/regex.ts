/**
 * JSON Schema `pattern` → GBNF over the JSON-encoded characters of a string (so `"` comes out as
 * `\"`, a newline as `\n`). Semantics follow ECMAScript with the `u` flag, as ajv applies it.
 *
 * Subset: literals; `.`; escapes `\d \D \w \W \s \S \n \r \t \f \v \0 \xHH \uHHHH \u{...}` and
 * escaped punctuation; classes `[...]` with ranges, negation and `\d \w \s` inside; groups `( )`,
 * `(?: )`, `(?<name> )`; alternation `|`; quantifiers `* + ? {m} {m,} {m,n}` (lazy forms too: same
 * language); `^` at the start and `$` at the end (an unanchored side matches any text there, as a
 * JSON Schema pattern does). Not supported (an error names them): backreferences, lookaround,
 * `\b \B`, anchors elsewhere, other escapes.
 * @module
 * @internal
 */

type Ranges = [number, number][];
const MAX = 0x10ffff;
const SURROGATES: [number, number] = [0xd800, 0xdfff];

function normalize(r: Ranges): Ranges {
  const s = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of s) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(r)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

function subtract(r: Ranges, cut: Ranges): Ranges {
  return complement([...complement(r), ...cut]);
}

const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: Ranges = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
const gbnfChar = (c: number) => (c < 0x10000 ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`);

/** A GBNF expression matching the JSON encoding of one character of the set. */
function classExpr(set: Ranges): string {
  const r = subtract(set, [SURROGATES]);
  if (r.length === 0) throw new Error("a character class matches nothing");
  // Characters JSON must escape: '"', '\' and controls are emitted in their escaped form.
  const plain = subtract(r, [[0x00, 0x1f], [0x22, 0x22], [0x5c, 0x5c]]);
  const alts: string[] = [];
  if (plain.length) alts.push(`[${plain.map(([lo, hi]) => (lo === hi ? gbnfChar(lo) : `${gbnfChar(lo)}-${gbnfChar(hi)}`)).join("")}]`);
  for (const [lo, hi] of r)
    for (let c = lo; c <= Math.min(hi, 0x5c); c++)
      if (c < 0x20 || c === 0x22 || c === 0x5c) alts.push(JSON.stringify(JSON.stringify(String.fromCharCode(c)).slice(1, -1)));
  return alts.length === 1 ? alts[0]! : `( ${alts.join(" | ")} )`;
}

class RegexParser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new Error(`pattern '${this.s}': ${what} at offset ${this.i}`);
  }

  peek(): string | undefined {
    return this.s[this.i];
  }

  alternation(): string {
    const alts = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : `( ${alts.join(" | ")} )`;
  }

  sequence(): string {
    const items: string[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      if (c === "^" || c === "$") this.fail(`anchor '${c}' inside the pattern is not supported`);
      let atom = this.atom();
      atom = this.quantified(atom);
      items.push(atom);
    }
    return items.length ? items.join(" ") : '""';
  }

  quantified(atom: string): string {
    const c = this.peek();
    let min: number, max: number | undefined;
    if (c === "*") [min, max] = [0, undefined];
    else if (c === "+") [min, max] = [1, undefined];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{" && /^\{\d+(,\d*)?\}/.test(this.s.slice(this.i))) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i))!;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? undefined : Number(m[3]);
      if (max !== undefined && max < min) this.fail("quantifier {m,n} with n < m");
      if (min > 1000 || (max ?? 0) > 1000) this.fail("quantifier bound above 1000");
      this.i += m[0].length - 1;
    } else {
      return atom;
    }
    this.i++;
    if (this.peek() === "?") this.i++;  // lazy: same set of matches
    if (this.peek() === "*" || this.peek() === "+" || (this.peek() === "{" && /^\{\d/.test(this.s.slice(this.i)))) this.fail("nested quantifier");
    const q = max === undefined ? (min === 0 ? "*" : min === 1 ? "+" : `{${min},}`) : min === 0 && max === 1 ? "?" : `{${min},${max}}`;
    return `( ${atom} )${q}`;
  }

  atom(): string {
    const c = this.s[this.i]!;
    if (c === "(") {
      this.i++;
      if (this.s.startsWith("?:", this.i)) this.i += 2;
      else if (/^\?<[A-Za-z_$][\w$]*>/.test(this.s.slice(this.i))) this.i = this.s.indexOf(">", this.i) + 1;
      else if (this.peek() === "?") this.fail("lookaround and other group modifiers are not supported");
      const inner = this.alternation();
      if (this.peek() !== ")") this.fail("missing ')'");
      this.i++;
      return `( ${inner} )`;
    }
    if (c === "[") return classExpr(this.charClass());
    if (c === ".") {
      this.i++;
      return classExpr(complement(LINE_TERMINATORS));
    }
    if (c === "\\") return classExpr(this.escape(false));
    if (c === "*" || c === "+" || c === "?" || c === "{") this.fail(`quantifier '${c}' without an element`);
    if (c === "]" || c === "}") this.fail(`unescaped '${c}'`);
    const cp = this.s.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return classExpr([[cp, cp]]);
  }

  /** The set of one escape (after the backslash position). */
  escape(inClass: boolean): Ranges {
    this.i++;
    const e = this.s[this.i];
    if (e === undefined) this.fail("pattern ends with '\\'");
    this.i++;
    switch (e) {
      case "d": return DIGIT;
      case "D": if (inClass) this.fail("'\\D' inside a class is not supported"); return complement(DIGIT);
      case "w": return WORD;
      case "W": if (inClass) this.fail("'\\W' inside a class is not supported"); return complement(WORD);
      case "s": return SPACE;
      case "S": if (inClass) this.fail("'\\S' inside a class is not supported"); return complement(SPACE);
      case "n": return [[0x0a, 0x0a]];
      case "r": return [[0x0d, 0x0d]];
      case "t": return [[0x09, 0x09]];
      case "f": return [[0x0c, 0x0c]];
      case "v": return [[0x0b, 0x0b]];
      case "0": return [[0, 0]];
      case "x": {
        const m = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i));
        if (!m) this.fail("'\\x' needs two hex digits");
        this.i += 2;
        const v = parseInt(m[0], 16);
        return [[v, v]];
      }
      case "u": {
        const m = /^(?:([0-9a-fA-F]{4})|\{([0-9a-fA-F]{1,6})\})/.exec(this.s.slice(this.i));
        if (!m) this.fail("'\\u' needs four hex digits or {...}");
        this.i += m[0].length;
        const v = parseInt(m[1] ?? m[2]!, 16);
        if (v > MAX) this.fail("code point above U+10FFFF");
        return [[v, v]];
      }
      default:
        if (/[\^$\\.*+?()[\]{}|/\-]/.test(e)) return [[e.charCodeAt(0), e.charCodeAt(0)]];
        this.i -= 2;
        this.fail(`escape '\\${e}' is not supported`);
    }
  }

  charClass(): Ranges {
    this.i++;
    const negate = this.peek() === "^";
    if (negate) this.i++;
    const set: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("missing ']'");
      if (c === "]" && !first) break;
      first = false;
      const lo = this.classAtom();
      if (this.peek() === "-" && this.s[this.i + 1] !== "]" && this.s[this.i + 1] !== undefined) {
        this.i++;
        const hi = this.classAtom();
        if (lo.length !== 1 || hi.length !== 1 || lo[0]![0] !== lo[0]![1] || hi[0]![0] !== hi[0]![1]) this.fail("a range needs single characters at both ends");
        if (hi[0]![0] < lo[0]![0]) this.fail("range out of order");
        set.push([lo[0]![0], hi[0]![0]]);
      } else {
        set.push(...lo);
      }
    }
    this.i++;
    return negate ? complement(set) : normalize(set);
  }

  classAtom(): Ranges {
    if (this.peek() === "\\") {
      if (this.s[this.i + 1] === "b") {
        this.i += 2;
        return [[8, 8]];
      }
      return this.escape(true);
    }
    const cp = this.s.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return [[cp, cp]];
  }
}

/**
 * A GBNF expression for the JSON-encoded contents of strings matching `pattern` (no quotes).
 * @throws Error naming the unsupported construct.
 */
export function patternToGbnf(pattern: string): string {
  let body = pattern;
  const start = body.startsWith("^");
  if (start) body = body.slice(1);
  const end = body.endsWith("$") && !body.endsWith("\\$");
  if (end) body = body.slice(0, -1);
  const p = new RegexParser(body);
  if (/\\[1-9bBk]/.test(body.replace(/\\\\/g, ""))) {
    const m = /\\[1-9bBk]/.exec(body.replace(/\\\\/g, "  "))!;
    p.i = m.index;
    p.fail(`'${m[0]}' (backreferences and word boundaries) is not supported`);
  }
  const expr = p.alternation();
  if (p.i < body.length) p.fail(`unexpected '${body[p.i]}'`);
  const any = "char*";
  return [start ? "" : any, `( ${expr} )`, end ? "" : any].filter(Boolean).join(" ");
}
