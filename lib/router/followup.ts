/**
 * Follow-ups: does a user message carry a topic of its own, or does it continue the conversation
 * ("and in Kotlin?", "how so?", "make it shorter", "¿y con menos líneas?", "thanks")? The
 * vocabulary is data (`data/router/followup.tsv`); the rule is structural, so it applies to
 * subjects it has never seen: a message without new content words, or a short one that opens
 * with a continuation or points back at the conversation, is a follow-up.
 * @module
 */
import { readTsv } from "./data.js";
import { fold } from "./text.js";

type Kind = "continuation" | "anaphor" | "switch" | "filler" | "request";
const KINDS: readonly Kind[] = ["continuation", "anaphor", "switch", "filler", "request"];

function phraseMatcher(phrases: readonly string[], flags: string): RegExp {
  // Longest first, so "what about" wins over "what".
  const alts = [...phrases].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+"));
  return new RegExp(`(?<![\\p{L}\\p{N}'])(?:${alts.join("|")})(?![\\p{L}\\p{N}'])`, flags);
}

const vocabulary = ((): Record<Kind, string[]> => {
  const out = Object.fromEntries(KINDS.map((k) => [k, [] as string[]])) as Record<Kind, string[]>;
  for (const row of readTsv("followup.tsv")) {
    const kind = row.kind as Kind;
    if (!KINDS.includes(kind)) throw new Error(`data/router/followup.tsv: unknown kind "${row.kind}" for "${row.phrase}"`);
    out[kind].push(fold(row.phrase ?? ""));
  }
  return out;
})();

const SWITCH = phraseMatcher(vocabulary.switch, "u");
const REQUEST = phraseMatcher(vocabulary.request, "u");
const CONTINUATION_START = new RegExp(`^(?:(?:ok|okay|vale|great|genial|thanks|gracias|cool|perfect|perfecto|nice|hmm|ah|oh)[\\s,.!]+)?${phraseMatcher(vocabulary.continuation, "u").source}`, "u");
/** Multi-word anaphors ("your code", "la receta") are matched as phrases; single ones as words. */
const ANAPHOR_PHRASES = phraseMatcher(vocabulary.anaphor.filter((p) => /\s/.test(p)), "gu");
const ANAPHOR_WORDS = new Set(vocabulary.anaphor.filter((p) => !/\s/.test(p)));
const NON_CONTENT = new Set([...vocabulary.filler, ...vocabulary.continuation, ...vocabulary.anaphor].filter((p) => !/\s/.test(p)));
/** Spanish imperatives with an enclitic pronoun point back at what was said: ordénalo, hazlo, explícamelo. */
const ENCLITIC = /^\p{L}*[áéíóú]\p{L}*(?:lo|la|los|las|le|les|melo|mela|selo|sela)$|^\p{L}+[aei]r(?:lo|la|los|las|melo|mela|selo|sela)$|^(?:hazlo|ponlo|dilo|dalo|hazla|ponla)$/u;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’]*/gu;
/** A follow-up longer than this many words is rare; longer messages state their own request. */
const MAX_FOLLOW_UP_WORDS = 14;

/** How a message relates to the conversation before it. */
export interface FollowUpShape {
  /** True when the message carries no topic of its own. */
  followUp: boolean;
  /** True when the message announces a new topic ("different question: ..."). */
  switches: boolean;
  /** Number of words. */
  words: number;
  /** True when the message points back at the conversation ("it", "that one", "eso", ordénalo). */
  anaphor: boolean;
}

/** Word stems seen in earlier messages: a word the conversation already used is not new content. */
export type SeenStems = ReadonlySet<string>;

const stem = (w: string): string => (w.length > 5 ? w.slice(0, 5) : w);

/** Collects the stems of `texts` (earlier messages, user and assistant). */
export function seenStems(texts: readonly string[], maxCharsEach = 2000): Set<string> {
  const seen = new Set<string>();
  for (const t of texts) {
    for (const m of fold(t.length > maxCharsEach ? t.slice(0, maxCharsEach) : t).matchAll(WORD)) seen.add(stem(m[0]));
  }
  return seen;
}

/**
 * Decides whether `text` is a follow-up of the conversation whose earlier words are `seen`.
 * Call it only when an earlier user message exists; a first message always has its own topic.
 */
export function followUpShape(text: string, seen: SeenStems): FollowUpShape {
  const raw = text.length > 400 ? text.slice(0, 400) : text;
  // Opening Spanish marks and quotes do not hide a continuation ("vale, ¿y si...?").
  const t = fold(raw).replace(/[¿¡"“«(]/g, "").trim();
  const words = raw.match(WORD) ?? [];
  if (SWITCH.test(t)) return { followUp: false, switches: true, words: words.length, anaphor: false };
  if (words.length > MAX_FOLLOW_UP_WORDS) return { followUp: false, switches: false, words: words.length, anaphor: false };
  let anaphor = ANAPHOR_PHRASES.test(t);
  ANAPHOR_PHRASES.lastIndex = 0;
  let content = 0;
  for (const w of words) {
    const f = fold(w).replace(/’/g, "'");
    if (ANAPHOR_WORDS.has(f) || ENCLITIC.test(w.toLowerCase())) {
      anaphor = true;
      continue;
    }
    if (NON_CONTENT.has(f) || /^\d+$/.test(f) || seen.has(stem(f))) continue;
    content++;
  }
  const continuation = CONTINUATION_START.test(t);
  const request = REQUEST.test(t);
  const followUp =
    content === 0 ||
    (anaphor && content <= 3) ||
    (continuation && content <= 2 && !request) ||
    (words.length <= 5 && content <= 1 && !request);
  return { followUp, switches: false, words: words.length, anaphor };
}
