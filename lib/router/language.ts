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

// Words that mark a language in short messages. A word listed under both the primary and the
// other languages ("me", "come", "de") is ignored: only exclusive words vote.
const PRIMARY_WORDS = `
the a an is are was were be you your yours i i'm im my me we our it it's its this that these those there
what what's whats how how's why who whom where when which can could would should will shall may might must
please thanks thank hello hi hey hiya good morning afternoon evening night bye goodbye see later yes yeah
ok okay sorry and or of to for with about from in on at by do does did don't doesn't not have has had
write explain tell give make help need want show list find get know think like just also some any all
today tomorrow yesterday day week great fine well nice cool awesome cheers welcome mate guys folks
hola buenas buenos dias tardes noches gracias que como el los las una unos unas es son esta estas estoy
estan eres soy por para con del y o mi mis tu tus su sus nos les lo al pero porque tambien muy mas menos
escribe explica explicame dame dime cuentame necesito quiero quieres puedes podrias ayuda ayudame
adios hasta luego manana hoy ayer si bien tal cual cuales cuanto cuanta cuantos donde quien quienes
cuando sobre desde entre hay hace hacer tengo tiene tienes algo alguien nada todo todos todas cosa cosas
genial vale oye mucho mucha muchos muchas poco ese esa eso este estos esas esos aqui alli ahi
fix check review create generate build show convert optimize refactor implement add remove find calculate
summarize compare recommend suggest plan prepare describe translate tell why which should
hablame pasalo dimelo hazlo ponlo mandame escribeme explicamelo
arregla corrige revisa haz hazme crea genera construye muestra muestrame convierte pasa optimiza refactoriza
implementa anade quita elimina busca encuentra calcula resume compara recomienda recomiendame sugiere
sugiereme pon ponme organiza planifica prepara describe traduce ensename cual porque cuando debo deberia
codigo funcion consulta archivo fichero pregunta respuesta ejemplo diferencia
`;
const OTHER_WORDS = `
bonjour salut merci je vous est c'est les des et pour avec ca oui tres suis bonsoir bonne nuit comment
pourquoi quel quelle quels aujourd'hui peux pouvez voudrais s'il plait fait il elle nous dans sur pas mais
j'ai je suis qu'est-ce ou au aux du ne moi toi leur cette ces sont avez avoir etre faire bien sur
hallo guten morgen tag abend danke bitte ich du sie wie geht dir mir ist und nicht das der die ein eine
kannst konnen was wer warum gute nacht schon tschuss mit fur auf ja nein ihr wir sind haben habe wo
ola oi obrigado obrigada tudo bem voce nao sim bom boa noite estou tchau muito meu minha com em voces
ajudar preciso pode fazer isso ate logo fala obrigadao voces nos gostaria queria
ciao buongiorno buonasera buonanotte grazie prego stai sto sono io che cosa perche questo questa della
puoi aiutarmi ho bisogno tutto molto anche sei siamo ti gli della delle il
hoi goedemorgen goedemiddag goedenavond dank je jij ik het een niet wat hoe gaat kun kunt helpen met van
voor bedankt alsjeblieft mij wij zijn hebt heb
merhaba nasilsin tesekkur ederim evet hayir gunaydin iyi ben sen bu ne nasil
hej tack jag hur mar god dag
`;
function wordSet(list: string): Set<string> {
  return new Set(fold(list).split(/\s+/).filter(Boolean));
}
const primarySet = wordSet(PRIMARY_WORDS);
const otherSet = wordSet(OTHER_WORDS);
for (const w of [...primarySet]) {
  if (otherSet.has(w)) {
    primarySet.delete(w);
    otherSet.delete(w);
  }
}

const PRIMARY_LANGS = new Set(["en", "es"]);
/** Letters that English and Spanish never use, typical of French, German, Portuguese, Turkish, Nordic... */
const FOREIGN_LETTERS = /[àâæçèêëîïôœùûÿäößãõåøłśźżčřšžğışđ]/u;
/** Spanish imperatives with enclitic pronouns carry a written accent: háblame, pásalo, explícamelo. */
const SPANISH_ENCLITIC = /^[a-zñ]*[áéíóú][a-zñ]*(?:me|lo|la|le|los|las|nos|melo|mela|selo|sela)$/;
const LATIN = /\p{Script=Latin}/u;
const LETTER = /\p{L}/u;

/**
 * Identifies whether `prose` (text with code and quotations already removed) is written in a
 * primary language.
 * @param foreignScriptShare - share of non-Latin letters above which the script decides alone.
 */
export function identifyLanguage(prose: string, foreignScriptShare: number): LanguageVerdict {
  // A sample is enough: the first few thousand characters tell the language as well as a megabyte.
  const sample = prose.length > 4000 ? prose.slice(0, 4000) : prose;
  let latin = 0;
  let other = 0;
  let nonLatinText = "";
  for (const ch of sample) {
    if (!LETTER.test(ch)) continue;
    if (LATIN.test(ch)) latin++;
    else {
      other++;
      if (nonLatinText.length < 64) nonLatinText += ch;
    }
  }
  if (latin + other === 0) return { language: "", primary: true, otherScore: 0, reason: "no prose to identify" };
  if (other / (latin + other) >= foreignScriptShare) {
    const language = scriptLanguage(nonLatinText);
    return { language, primary: false, otherScore: 1, reason: `language: ${language} (script)` };
  }

  const words = fold(sample).match(/[\p{L}']+/gu) ?? [];
  let lexPrimary = 0;
  let lexOther = 0;
  for (const w of words) {
    if (primarySet.has(w)) lexPrimary++;
    else if (otherSet.has(w)) lexOther++;
  }
  for (const w of sample.toLowerCase().match(/[\p{L}]+/gu) ?? []) if (SPANISH_ENCLITIC.test(w)) lexPrimary++;
  const foreignLetters = FOREIGN_LETTERS.test(sample.toLowerCase()) ? 1 : 0;

  const detected = eld.detect(sample);
  const scores = detected.getScores();
  let bestPrimary = 0;
  let bestOther = 0;
  let otherLang = "";
  for (const [lang, s] of Object.entries(scores)) {
    if (PRIMARY_LANGS.has(lang)) bestPrimary = Math.max(bestPrimary, s);
    else if (s > bestOther) {
      bestOther = s;
      otherLang = lang;
    }
  }
  // eld's margin is trusted more as the text grows; on one or two words the lexicon leads.
  const eldWeight = Math.min(2, 0.5 * words.length);
  const margin = Math.max(-1, Math.min(1, (bestOther - bestPrimary) / 0.1));
  const evidence = eldWeight * margin + (lexOther - lexPrimary) + foreignLetters;
  const otherScore = 1 / (1 + Math.exp(-2 * evidence));
  const language = evidence > 0 ? otherLang || detected.language || "other" : bestPrimary > 0 ? detected.language || "en" : "";
  if (evidence > 0) return { language, primary: false, otherScore, reason: `language: ${language}` };
  return { language, primary: true, otherScore, reason: language ? `language: ${language}` : "language: en/es (default)" };
}
