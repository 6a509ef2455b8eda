/**
 * Loads the training lexicons and frames of the topic classifier from data/router/train/:
 * `lexicon.tsv` (set, id, language, label, weight, text), `frames.tsv` (set, language, frame) and
 * `snippets.jsonl` (code with what goes wrong in it).
 */
import { readFileSync } from "node:fs";
import type { TopicDomain } from "../../lib/router/types.js";
import type { Lang } from "./dataset.js";

/** One lexicon item: its slots per language (one slot for most sets, two for pairs). */
export interface Item {
  id: number;
  label: TopicDomain;
  /** How many requests the item yields in its main use. */
  weight: number;
  en: string[];
  es: string[];
  /** For language-neutral sets (`any`): the item's slots. */
  any: string[];
}

const TRAIN_DIR = new URL("../../data/router/train/", import.meta.url);
const unescape = (s: string): string => s.replace(/\\(n|\\)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));

function tsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, TRAIN_DIR), "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  return lines.slice(1).map((l) => l.split("\t"));
}

const lexicon = new Map<string, Item[]>();
for (const [set, id, language, label, weight, text] of tsv("lexicon.tsv") as Array<[string, string, "en" | "es" | "any", TopicDomain, string, string]>) {
  const items = lexicon.get(set) ?? [];
  lexicon.set(set, items);
  const n = Number(id);
  let item = items.find((it) => it.id === n);
  if (!item) {
    item = { id: n, label, weight: Number(weight), en: [], es: [], any: [] };
    items.push(item);
  }
  item[language] = unescape(text).split(" | ");
}

const frameTable = new Map<string, string[]>();
for (const [set, language, frame] of tsv("frames.tsv") as Array<[string, string, string]>) {
  const key = `${set}/${language}`;
  frameTable.set(key, [...(frameTable.get(key) ?? []), unescape(frame)]);
}

/** The items of a lexicon set, in file order. */
export function items(set: string): Item[] {
  const found = lexicon.get(set);
  if (!found) throw new Error(`data/router/train/lexicon.tsv has no set "${set}"`);
  return found;
}

/** The items of a single-language set (e.g. `artifacts`), as their first slot. */
export function terms(set: string, lang: Lang): string[] {
  return items(set).filter((it) => it[lang].length > 0).map((it) => it[lang][0] as string);
}

/** The frames of a set in one language. */
export function frames(set: string, lang: Lang): string[] {
  const found = frameTable.get(`${set}/${lang}`);
  if (!found) throw new Error(`data/router/train/frames.tsv has no frames "${set}" in ${lang}`);
  return found;
}

/** A code snippet with what goes wrong in it. */
export interface Snippet {
  language: string;
  code: string;
  problem: Record<Lang, string>;
}

/** The code snippets, in file order. */
export function snippets(): Snippet[] {
  return readFileSync(new URL("snippets.jsonl", TRAIN_DIR), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Snippet);
}
