/**
 * Feature extraction for the topic classifier, shared by training and inference so both see
 * exactly the same features: hashed word unigrams and bigrams, character 3-6-grams within words,
 * code-punctuation tokens and code markers, and the concepts of known words
 * (`data/router/concepts.tsv`), L2-normalised.
 * @module
 */
import { readTsv } from "./data.js";
import { codeSignals, fold } from "./text.js";

/** log2 of the hashed feature space. */
export const FEATURE_BITS = 17;
/** Size of the hashed feature space. */
export const FEATURE_DIM = 1 << FEATURE_BITS;
/** The topic text is cut to this many characters: the request is at the start, the rest is material. */
const MAX_TOPIC_CHARS = 3000;

const MASK = FEATURE_DIM - 1;
const SEED_WORD = 0x811c9dc5;
const SEED_CHAR = 0x9747b28c;
const SEED_BIGRAM = 0x5bd1e995;
const SEED_PUNCT = 0x27d4eb2f;
const SEED_MARK = 0x165667b1;
const SEED_CONCEPT = 0x3c6ef372;

/** FNV-1a over `s[start, end)`, seeded per feature family so families do not collide systematically. */
function hashRange(s: string, start: number, end: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** A sparse, L2-normalised feature vector. */
export interface SparseFeatures {
  index: Int32Array;
  value: Float32Array;
}

const TOKEN = /[a-z0-9_]+|[{}()[\];=<>#$|&*\\/@%^~!?+-]/g;

/**
 * Concept of each vocabulary word (folded), as a feature hash and a weight. A word the training
 * rows never used still brings its concept, which the classifier has learnt from the words that
 * share it: this is how the model generalises past its lexicons.
 */
const CONCEPTS = ((): Map<string, [number, number]> => {
  const map = new Map<string, [number, number]>();
  for (const { word, concept, weight } of readTsv("concepts.tsv")) {
    const name = `concept:${concept}`;
    const w = Number(weight);
    if (!concept || !Number.isFinite(w)) throw new Error(`data/router/concepts.tsv: bad row for "${word}"`);
    map.set(fold(word ?? ""), [hashRange(name, 0, name.length, SEED_CONCEPT), w]);
  }
  return map;
})();

/** The concept of a folded token: the word itself, else its singular. */
function conceptOf(tok: string): [number, number] | undefined {
  return CONCEPTS.get(tok) ?? (tok.length > 3 && tok.endsWith("s") ? CONCEPTS.get(tok.slice(0, -1)) : undefined);
}

const conceptHash = (concept: string): number => hashRange(`concept:${concept}`, 0, concept.length + 8, SEED_CONCEPT);

/**
 * True when the start of `text` names a word of `concept` in the concept vocabulary: `code`
 * ("regex", "Python", "función"), `engineering` ("latency", "voltaje") or `everyday` ("recipe",
 * "cumpleaños").
 */
export function namesConcept(text: string, concept: "code" | "engineering" | "everyday"): boolean {
  const h = conceptHash(concept);
  for (const m of fold(text.length > 400 ? text.slice(0, 400) : text).matchAll(/[a-z0-9_]+/g)) if (conceptOf(m[0])?.[0] === h) return true;
  return false;
}
const CODE_MARKS = ["fence", "inline", "codeline", "snippet"] as const;

/**
 * Word shapes that generalise to words never seen in training: acronyms (TCP, GPU), alphanumerics
 * (IPv6, 5G), camelCase and snake_case identifiers, dotted names (os.path), calls (foo()), file
 * names (.yml) and CLI flags (--force).
 */
const SHAPES: ReadonlyArray<[string, RegExp]> = [
  ["acronym", /\b[A-Z]{2,}[0-9]*s?\b/g],
  ["alnum", /\b(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{2,}\b/g],
  ["camel", /\b[a-z]+[A-Z][A-Za-z]*\b/g],
  ["snake", /\b[a-z]+_[a-z_]+\b/g],
  ["dotted", /\b[A-Za-z_]\w*\.[A-Za-z_]\w*\b/g],
  ["call", /\b\w+\(\)/g],
  ["file", /\.(?:py|js|ts|tsx|jsx|json|ya?ml|toml|sh|rs|go|java|cpp|c|h|rb|php|sql|md|csv|txt|html|css)\b/g],
  ["flag", /(?:^|\s)--?[a-z][\w-]*/g],
];

/** Extracts the features of one message text. */
export function featurize(text: string): SparseFeatures {
  const raw = text.length > MAX_TOPIC_CHARS ? text.slice(0, MAX_TOPIC_CHARS) : text;
  const counts = new Map<number, number>();
  const add = (h: number, by = 1): void => {
    const k = h & MASK;
    counts.set(k, (counts.get(k) ?? 0) + by);
  };
  const code = codeSignals(raw);
  const marks = [code.fences > 0, code.inline > 0, code.codeLines > 0, code.hasSnippet];
  marks.forEach((on, i) => on && add(hashRange(CODE_MARKS[i] as string, 0, (CODE_MARKS[i] as string).length, SEED_MARK)));

  // In a message typed in capitals every word looks like an acronym: skip that shape there.
  const upper = raw.match(/[A-Z]/g)?.length ?? 0;
  const shouting = upper > 8 && upper > 0.6 * (raw.match(/[A-Za-z]/g)?.length ?? 0);
  for (const [name, re] of SHAPES) {
    if (shouting && name === "acronym") continue;
    const n = Math.min(3, raw.match(re)?.length ?? 0);
    for (let i = 0; i < n; i++) add(hashRange(name, 0, name.length, SEED_MARK));
  }

  const t = fold(raw);
  let prevWord = 0;
  for (const m of t.matchAll(TOKEN)) {
    const tok = m[0];
    if (tok.length === 1 && !/[a-z0-9]/.test(tok)) {
      add(hashRange(tok, 0, 1, SEED_PUNCT));
      continue;
    }
    const hw = hashRange(tok, 0, tok.length, SEED_WORD);
    add(hw);
    const concept = conceptOf(tok);
    if (concept) add(concept[0], concept[1]);
    if (prevWord !== 0) add(mix(prevWord, hw) ^ SEED_BIGRAM);
    prevWord = hw;
    if (tok.length < 3 || tok.length > 24) continue;
    const padded = ` ${tok} `;
    for (let n = 3; n <= 6; n++) {
      for (let i = 0; i + n <= padded.length; i++) add(hashRange(padded, i, i + n, SEED_CHAR));
    }
  }
  const index = new Int32Array(counts.size);
  const value = new Float32Array(counts.size);
  let norm = 0;
  let j = 0;
  for (const [k, c] of counts) {
    // Square-root damping keeps one repeated word from dominating a message.
    const v = Math.sqrt(c);
    index[j] = k;
    value[j++] = v;
    norm += v * v;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < value.length; i++) value[i] = (value[i] as number) * inv;
  return { index, value };
}
