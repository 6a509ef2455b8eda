/**
 * Language identification for routing: is the user writing in a primary language (English or
 * Spanish) or in another one? Non-Latin scripts are decided by script alone. Latin-script text is
 * decided by the `eld` n-gram detector, which is reliable on sentences but not on two-word
 * greetings, combined with small lexicons of function words and greetings that settle short texts.
 * @module
 */
import { eld } from "eld/small";
import { readTsv } from "./data.js";
import { fold } from "./text.js";

/** The language verdict. */
export interface LanguageVerdict {
  /** ISO 639-1 code (or script name for scripts without a single language), `""` when unknown. */
  language: string;
  /** True for English, Spanish, or text with no language evidence (code, numbers, empty). */
  primary: boolean;
  /** How strongly the evidence points to a non-primary language, in [0, 1]. */
  otherScore: number;
  /** Why, in words. */
  reason: string;
}

const SCRIPTS: ReadonlyArray<[RegExp, string]> = [
  [/[\u3040-\u30ff]/u, "ja"],
  [/\p{Script=Hangul}/u, "ko"],
  [/\p{Script=Han}/u, "zh"],
  [/\p{Script=Cyrillic}/u, "ru"],
  [/\p{Script=Arabic}/u, "ar"],
  [/\p{Script=Hebrew}/u, "he"],
  [/\p{Script=Greek}/u, "el"],
  [/\p{Script=Devanagari}/u, "hi"],
  [/\p{Script=Thai}/u, "th"],
];

/** Names the non-Latin language of `text` by its most telling script (kana before Han, so Japanese wins). */
function scriptLanguage(text: string): string {
  for (const [re, lang] of SCRIPTS) if (re.test(text)) return lang;
  return "non-Latin script";
}

// Words that mark a language in short messages (data/router/language-words.tsv). A word listed
// under two languages ("me", "come", "de") is ignored: only words exclusive to one list vote.
const WORD_LISTS = ["en", "es", "other"] as const;
const LEXICONS: ReadonlyArray<Set<string>> = ((): Array<Set<string>> => {
  const sets = WORD_LISTS.map(() => new Set<string>());
  for (const { word, language } of readTsv("language-words.tsv")) {
    const i = WORD_LISTS.indexOf(language as (typeof WORD_LISTS)[number]);
    if (i < 0) throw new Error(`data/router/language-words.tsv: unknown language "${language}" for "${word}"`);
    sets[i]?.add(fold(word ?? ""));
  }
  return sets;
})();
const EXCLUSIVE = new Map<string, number>();
{
  const seen = new Map<string, number>();
  LEXICONS.forEach((set, i) => set.forEach((w) => seen.set(w, seen.has(w) && seen.get(w) !== i ? -1 : i)));
  for (const [w, i] of seen) if (i >= 0) EXCLUSIVE.set(w, i);
}

const PRIMARY_LANGS = new Set(["en", "es"]);
/** Letters that English and Spanish never use, typical of French, German, Portuguese, Turkish, Nordic... */
const FOREIGN_LETTERS = /[àâæçèêëîïôœùûÿäößãõåøłśźżčřšžğışđąęń]/u;
/** Marks only Spanish uses among the languages it shares most words with (Portuguese, Catalan, Italian). */
const SPANISH_MARKS = /[¿¡ñ]|(?<!\p{L})(?:qué|cómo|cuál|cuándo|dónde|quién|cuánto|cuánta|también|aquí|allí|más)(?!\p{L})|\p{L}+(?:ción|sión|ciones|siones)(?!\p{L})/gu;
/** Spanish imperatives with enclitic pronouns carry a written accent: háblame, pásalo, explícamelo. */
const SPANISH_ENCLITIC = /^[a-zñ]*[áéíóú][a-zñ]*(?:me|lo|la|le|los|las|nos|melo|mela|selo|sela)$/;
const LATIN = /\p{Script=Latin}/u;
/** Any character outside the Latin blocks: only then is the per-character script count needed. */
const BEYOND_LATIN = /[^\u0000-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf\u2100-\u214f]/;
const LATIN_LETTERS = /[a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]/g;
const SAMPLE_CHARS = 600;
/** Evidence needed to call a text non-primary: one unknown word ("np", "k") is not enough. */
const OTHER_EVIDENCE = 0.6;
const LETTER = /\p{L}/u;

/**
 * Identifies whether `prose` (text with code and quotations already removed) is written in a
 * primary language.
 * @param foreignScriptShare - share of non-Latin letters above which the script decides alone.
 */
export function identifyLanguage(prose: string, foreignScriptShare: number): LanguageVerdict {
  // The first sentences tell the language as well as a whole document, at a fraction of the cost.
  const sample = prose.length > SAMPLE_CHARS ? prose.slice(0, SAMPLE_CHARS) : prose;
  let latin = 0;
  let other = 0;
  let nonLatinText = "";
  if (!BEYOND_LATIN.test(sample)) latin = sample.match(LATIN_LETTERS)?.length ?? 0;
  else {
    for (const ch of sample) {
      if (!LETTER.test(ch)) continue;
      if (LATIN.test(ch)) latin++;
      else {
        other++;
        if (nonLatinText.length < 64) nonLatinText += ch;
      }
    }
  }
  if (latin + other === 0) return { language: "", primary: true, otherScore: 0, reason: "no prose to identify" };
  if (other / (latin + other) >= foreignScriptShare) {
    const language = scriptLanguage(nonLatinText);
    return { language, primary: false, otherScore: 1, reason: `language: ${language} (script)` };
  }

  const words = fold(sample).match(/[\p{L}']+/gu) ?? [];
  // Votes of exclusive words: [en, es, other].
  const lex = [0, 0, 0];
  for (const w of words) {
    const i = EXCLUSIVE.get(w);
    if (i !== undefined) lex[i] = (lex[i] as number) + 1;
  }
  const lower = sample.toLowerCase();
  for (const w of lower.match(/\p{L}+/gu) ?? []) if (SPANISH_ENCLITIC.test(w)) lex[1] = (lex[1] as number) + 1;
  lex[1] = (lex[1] as number) + (lower.match(SPANISH_MARKS)?.length ?? 0);
  const [en, es, lexOther] = lex as [number, number, number];
  const lexPrimary = en + es;
  const foreignLetters = FOREIGN_LETTERS.test(lower) ? 1 : 0;
  const lexLanguage = es > en ? "es" : "en";
  // Clear lexical evidence settles it without the n-gram detector (most English/Spanish traffic).
  if (lexPrimary >= 3 && lexOther === 0 && !foreignLetters) {
    return { language: lexLanguage, primary: true, otherScore: 0.05, reason: `language: ${lexLanguage}` };
  }

  const detected = eld.detect(sample);
  const scores = detected.getScores();
  let bestPrimary = 0;
  let primaryLang = "";
  let bestOther = 0;
  let otherLang = "";
  for (const [lang, score] of Object.entries(scores)) {
    if (PRIMARY_LANGS.has(lang)) {
      if (score > bestPrimary) {
        bestPrimary = score;
        primaryLang = lang;
      }
    } else if (score > bestOther) {
      bestOther = score;
      otherLang = lang;
    }
  }
  // eld's margin is trusted more as the text grows; on one or two words the lexicon leads.
  const eldWeight = Math.min(2, 0.5 * words.length);
  const margin = Math.max(-1, Math.min(1, (bestOther - bestPrimary) / 0.1));
  const evidence = eldWeight * margin + (lexOther - lexPrimary) + foreignLetters;
  const otherScore = 1 / (1 + Math.exp(-2 * evidence));
  if (evidence > OTHER_EVIDENCE) {
    const language = otherLang || "other";
    return { language, primary: false, otherScore, reason: `language: ${language}` };
  }
  const language = lexPrimary > 0 ? lexLanguage : primaryLang || "en";
  return { language, primary: true, otherScore, reason: `language: ${language}` };
}
