/**
 * Translation intent in English and Spanish: "translate ...", "how do you say X in Japanese",
 * "¿cómo se dice ... en francés?", "write this in German". Asking how to phrase something in
 * English or Spanish without naming a language ("¿cómo se dice 'gracias' de forma educada?") is
 * not translation.
 * @module
 */
import { readTsv } from "./data.js";
import { fold } from "./text.js";

/** Language names in English and Spanish (data/router/language-names.tsv), as regex alternatives. */
const NAMES = readTsv("language-names.tsv");
const namesOf = (keep: (names: string) => boolean): string =>
  NAMES.filter((r) => keep(r.names ?? ""))
    .map((r) => r.name as string)
    .join("|");
const PRIMARY = namesOf((n) => n === "en" || n === "es");
const OTHER = namesOf((n) => n === "other");

/** Asking for a translation: any named language counts, even the one the user writes in. */
const TRANSLATE = /\b(?:translat\w*|traduc\w*|traduz\w*)\b/;
/** A bare translation request ("translate this", "traduce esto"): verbs only, no named language. */
const TRANSLATE_VERB =
  /\b(?:translate|translating|traduce|traducir|traduceme|traducelo|traducela|traduzca\w*|traduz\w*)\b|\btranslation\s+(?:please|of\s+(?:this|that|the\s+following)|for\s+(?:this|me))\b|\btraduccion\s+(?:por\s+favor|de\s+(?:esto|este|esta|lo\s+siguiente))\b/;
/** Technical terms that contain the word: network address translation, translation lookaside buffer... */
const TECHNICAL_TRANSLATION = /\b(?:(?:network\s+)?address|binary|machine|neural\s+machine)\s+translations?\b|\btranslation\s+(?:lookaside|layer|table)s?\b|\btraduccion\s+(?:de\s+direcciones|automatica|binaria)\b/g;
/** Asking how something is said or what it means: counts when the language differs from the user's. */
const SAY = /\b(?:say|said|saying|dice|decir|digo|mean|means|meaning|significa\w*|word|words|palabras?|called|llama|llaman|spell\w*|deletrea|pronounc\w*|pronunci\w*|equivalent|equivalente|expression|expresion|idiom|modismo|phrase|frase)\b/;
/** Asking for output written in a language: counts for non-primary languages only. */
const PRODUCE = /\b(?:write|written|escrib\w*|redacta\w*|compose)\b/;
/** Asking the assistant to answer in a language: counts for non-primary languages, whatever the subject. */
const ANSWER = /\b(?:reply|respond\w*|answer|contesta\w*|speak|talk|habla\w*|tell|say\s+it|dimelo|dilo|cuentamelo|explain|explica\w*)\b/;
/** A named language with the preposition or noun that makes it a target ("in French", "palabra en ruso", "German word for"). */
const TARGET = new RegExp(
  `\\b(?:in|into|to|from|en|al|a|del|de)\\s+(?:the\\s+|el\\s+|la\\s+|lengua\\s+|idioma\\s+)?(${PRIMARY}|${OTHER})\\b(?![-\\d])|\\b(${PRIMARY}|${OTHER})\\s+(?:word|words|translation|version|equivalent|for)\\b`,
  "g",
);
/** A letter outside the Latin script: a foreign word the user asks about ("what does 你好 mean?"). */
const NON_LATIN_LETTER = /[^\P{L}\p{Script=Latin}]/u;
/** "in five languages", "en varios idiomas": several languages at once. */
const MANY_LANGUAGES = /\b(?:in|into|en|a)\s+(?:\d+|two|three|four|five|several|many|different|other|multiple|dos|tres|cuatro|cinco|varios|varias|muchos|distintos|diferentes|otros)\s+(?:languages|idiomas|lenguas)\b/;
const PRIMARY_NAME = new RegExp(`^(?:${PRIMARY})$`);
const ENGLISH_NAME = new RegExp(`^(?:${namesOf((n) => n === "en")})$`);
/** Programming languages and formats: "translate this Java to Kotlin" is code conversion, not translation. */
const PROGRAMMING = /\b(?:python|java|javascript|typescript|kotlin|swift|rust|golang|go|c\+\+|c#|ruby|php|perl|scala|haskell|elixir|sql|bash|shell|powershell|lua|dart|json|yaml|xml|html|css|regex|code|codigo|function|funcion|program|programa|script|query|consulta|pseudocode|pseudocodigo|assembly|ensamblador)\b/;

/** Translation intent found in a message. */
export interface TranslationIntent {
  /** True when the user asks for a translation or how something is said in another language. */
  found: boolean;
  /** Why, in words. */
  reason: string;
}

/**
 * Looks for translation intent in `text` (the full last user message).
 * @param userLanguage - `"en"` or `"es"` when known: asking in Spanish how something is said in
 *   Spanish is a usage question, not a translation.
 * @param hasCode - the message carries a code snippet; a bare "translate" then means converting code.
 * @param quotedLanguage - the language of a quoted phrase when it is not English or Spanish
 *   ("what does 'je ne sais quoi' mean?"), else `""`.
 */
export function translationIntent(text: string, userLanguage: string, hasCode: boolean, quotedLanguage = ""): TranslationIntent {
  // Only the head of a long message carries the request; the rest is material.
  const t = fold(text.length > 2000 ? text.slice(0, 2000) : text).replace(TECHNICAL_TRANSLATION, " ");
  const translate = TRANSLATE.test(t);
  const say = SAY.test(t);
  const produce = PRODUCE.test(t);
  const answer = ANSWER.test(t);
  if (!translate && !say && !produce && !answer) return NONE;
  if (say && NON_LATIN_LETTER.test(text.slice(0, 2000))) return found("asks about a word in another script");
  if (say && quotedLanguage) return found(`asks about a phrase in ${quotedLanguage}`);
  if (MANY_LANGUAGES.test(t)) return found("asks for several languages");
  let named = false;
  for (const m of t.matchAll(TARGET)) {
    const name = (m[1] ?? m[2]) as string;
    named = true;
    const primary = PRIMARY_NAME.test(name);
    const lang = ENGLISH_NAME.test(name) ? "en" : "es";
    if (translate || (say && (!primary || lang !== userLanguage))) return found(`asks how something is said in ${name}`);
    if (answer && !primary) return found(`asks for an answer in ${name}`);
    // "Write a program that prints 'hello' in Japanese" asks for code, not for Japanese.
    if (produce && !primary && !PROGRAMMING.test(t)) return found(`asks for an answer in ${name}`);
  }
  if (!named && TRANSLATE_VERB.test(t) && !hasCode && !PROGRAMMING.test(t)) return found("asks for a translation");
  return NONE;
}

const NONE: TranslationIntent = { found: false, reason: "" };
function found(reason: string): TranslationIntent {
  return { found: true, reason };
}
