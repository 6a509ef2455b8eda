/**
 * Language identification for routing: is the user writing in a primary language (English or
 * Spanish) or in another one? Non-Latin scripts are decided by script alone. Latin-script text is
 * decided by the `eld` n-gram detector, which is reliable on sentences but not on two-word
 * greetings, combined with small lexicons of function words and greetings that settle short texts.
 * @module
 */
import { eld } from "eld/small";
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

// Words that mark a language in short messages. A word listed under two languages ("me", "come",
// "de") is ignored: only words exclusive to one list vote.
const EN_WORDS = `
the a an is are was were be you your yours i i'm im my me we our it it's its this that these those there
what what's whats how how's why who whom where when which can could would should will shall may might must
please thanks thank hello hi hey hiya good morning afternoon evening night bye goodbye see later yes yeah
ok okay sorry and or of to for with about from in on at by do does did don't doesn't not have has had
write explain tell give make help need want show list find get know think like just also some any all
today tomorrow yesterday day week great fine well nice cool awesome cheers welcome mate guys folks
fix check review create generate build show convert optimize refactor implement add remove find calculate
summarize compare recommend suggest plan prepare describe translate tell should whats difference between
`;
const ES_WORDS = `
hola buenas buenos dias tardes noches gracias que como el los las una unos unas es son esta estas estoy
estan eres soy por para con del y o mi mis tu tus su sus nos les lo al pero porque tambien muy mas menos
escribe explica explicame dame dime cuentame necesito quiero quieres puedes podrias ayuda ayudame
adios hasta luego manana hoy ayer si bien tal cual cuales cuanto cuanta cuantos donde quien quienes
cuando sobre desde entre hay hace hacer tengo tiene tienes algo alguien nada todo todos todas cosa cosas
genial vale oye mucho mucha muchos muchas poco ese esa eso este estos esas esos aqui alli ahi
hablame pasalo dimelo hazlo ponlo mandame escribeme explicamelo
arregla corrige revisa haz hazme crea genera construye muestra muestrame convierte pasa optimiza refactoriza
implementa anade quita elimina busca encuentra calcula resume compara recomienda recomiendame sugiere
sugiereme pon ponme organiza planifica prepara traduce ensename porque debo deberia
codigo funcion consulta archivo fichero pregunta respuesta ejemplo diferencia puedo hago mejor peor sirve
consiste ahora siempre nunca hacia otra usando quiero la le se te en un de no
`;
/** French, German, Portuguese, Italian, Dutch, Turkish, Swedish; shared words with en/es listed on purpose so they stop voting. */
const OTHER_WORDS = `
bonjour salut merci je vous est c'est les des et pour avec ca oui tres suis bonsoir bonne nuit comment
pourquoi quel quelle quels aujourd'hui peux pouvez voudrais s'il plait fait il elle nous dans sur pas mais
j'ai qu'est-ce ou au aux du ne moi toi leur cette ces sont avez avoir etre faire tu que te se la le en un
hallo guten morgen tag abend danke bitte ich du sie wie geht dir mir ist und nicht das der die ein eine
kannst konnen was wer warum gute nacht schon tschuss mit fur auf ja nein ihr wir sind haben habe wo es in
ola oi obrigado obrigada tudo bem voce nao sim bom boa noite estou tchau muito meu minha com em voces uma
ajudar preciso pode fazer isso ate logo fala gostaria queria para por como no a o e me una si con
ciao buongiorno buonasera buonanotte grazie prego stai sto sono io che cosa perche questo questa della
puoi aiutarmi ho bisogno tutto molto anche sei siamo ti gli delle il mi come
hoi goedemorgen goedemiddag goedenavond dank je jij ik het een niet wat hoe gaat kun kunt helpen met van
voor bedankt alsjeblieft mij wij zijn hebt heb is
merhaba nasilsin tesekkur ederim evet hayir gunaydin iyi ben sen bu ne nasil
hej tack jag hur mar god dag
arrivederci addio salve ciao dziekuje dzien dobry czesc prosze tak nie jak sie masz
`;
function wordSet(list: string): Set<string> {
  return new Set(fold(list).split(/\s+/).filter(Boolean));
}
const LEXICONS: ReadonlyArray<Set<string>> = [wordSet(EN_WORDS), wordSet(ES_WORDS), wordSet(OTHER_WORDS)];
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
