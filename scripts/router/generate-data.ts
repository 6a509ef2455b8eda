/**
 * Generates the topic training set (general / technical / coding, English and Spanish) from the
 * lexicons in this folder: frames x topics x phrasings, with light noise (greetings, missing
 * accents, lower case). Deterministic. Lexicon items are split 90/10 by hash, so the held-out
 * rows ask about concepts, tasks and topics never seen in training.
 *
 * Usage: tsx scripts/router/generate-data.ts  (writes data/router/generated.jsonl)
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as C from "./lexicon-coding.js";
import * as G from "./lexicon-general.js";
import * as S from "./lexicon-slots.js";
import * as T from "./lexicon-technical.js";
import * as W from "./lexicon-terms.js";
import { holdOut, type Example, type Lang } from "./dataset.js";

/** mulberry32: small seeded PRNG so the data set is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20260601);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

/** Parses "a|b|..." lines. */
function rows(block: string): string[][] {
  return block.trim().split("\n").map((l) => l.split("|").map((s) => s.trim()));
}
const col = (r: string[], i: number): string => r[i] as string;

const fill = (frame: string, slots: Record<string, string>): string => frame.replace(/\{(\w+)\}/g, (_, k: string) => slots[k] ?? `{${k}}`);

const PREFIX: Record<Lang, string[]> = {
  en: ["", "", "", "", "Hey, ", "Please, ", "Quick question: ", "Hi! ", "Could you help me? ", "Hello, ", "So, "],
  es: ["", "", "", "", "Oye, ", "Por favor, ", "Una pregunta: ", "¡Hola! ", "¿Me ayudas? ", "Buenas, ", "A ver, "],
};
const SUFFIX: Record<Lang, string[]> = {
  en: ["", "", "", "", " Thanks!", " Keep it short.", " Please be detailed.", " Thank you.", " I'm a beginner."],
  es: ["", "", "", "", " ¡Gracias!", " Sé breve.", " Con detalle, por favor.", " Gracias.", " Soy principiante."],
};

/** Adds the noise users add: greetings, sign-offs, lower case, no accents, no final punctuation. */
function noisy(text: string, lang: Lang): string {
  let t = text;
  // Multi-line texts (code) keep their prefix on its own line so the code stays intact.
  const first = pick(PREFIX[lang]);
  if (first) t = first + (t.includes("\n") ? "\n" : "") + (first.endsWith(" ") && !t.includes("\n") ? lowerFirst(t) : t);
  t += t.includes("\n") ? "" : pick(SUFFIX[lang]);
  const r = rand();
  if (r < 0.12) t = t.toLowerCase();
  else if (r < 0.2) t = t.replace(/[.?!]+$/, "");
  if (lang === "es" && rand() < 0.15) t = t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[¿¡]/g, "");
  return t;
}
function lowerFirst(t: string): string {
  return /^[A-Z][a-z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}

const out: Example[] = [];
function emit(label: Example["label"], lang: Lang, key: string, text: string): void {
  out.push({ text: noisy(text, lang), label, lang, split: holdOut(key) ? "test" : "train" });
}
const L = (i: 0 | 1): Lang => (i === 0 ? "en" : "es");

function repeat(n: number, f: () => void): void {
  for (let i = 0; i < n; i++) f();
}

// ---- technical ----
const concepts = rows(T.TECH_CONCEPTS);
const pairs = rows(T.TECH_PAIRS);
const whys = rows(T.TECH_WHY);
for (const i of [0, 1] as const) {
  const frames = i === 0 ? T.TECH_FRAMES_EN : T.TECH_FRAMES_ES;
  const pairFrames = i === 0 ? T.TECH_PAIR_FRAMES_EN : T.TECH_PAIR_FRAMES_ES;
  // Spanish speakers often keep the English term ("¿qué es un load balancer?"): a quarter of the
  // Spanish rows code-switch.
  const term = (c: string[]): string => (i === 1 && rand() < 0.25 ? `el ${col(c, 0).replace(/^(?:an?|the)\s+/i, "")}` : col(c, i));
  for (const c of concepts) repeat(4, () => emit("technical", L(i), col(c, 0), fill(pick(frames), { c: term(c) })));
  for (const p of pairs) repeat(4, () => emit("technical", L(i), col(p, 0), fill(pick(pairFrames), { a: col(p, 2 * i), b: col(p, 2 * i + 1) })));
  for (const c of rows(S.TECH_TERMS)) repeat(3, () => emit("technical", L(i), col(c, 0), fill(pick(frames), { c: col(c, i) })));
  for (const w of whys) repeat(3, () => emit("technical", L(i), col(w, 0), col(w, i)));
}

// ---- language-usage questions in the user's own language: general, not translation ----
for (const [lang, block] of [["en", G.USAGE_EN], ["es", G.USAGE_ES]] as const) {
  for (const q of block.trim().split("\n")) repeat(3, () => emit("general", lang, q, q));
}

for (const f of G.FILLERS) repeat(3, () => emit("general", /[¿ñ]|^(?:vale|sí|ya|perfecto|jaja)$/.test(f) ? "es" : "en", f, f));

// ---- single terms in the shared frames, both classes ----
const terms = (block: string): string[] => block.split(/,\s*/).map((t) => t.trim()).filter(Boolean);
for (const [label, en, es] of [
  ["technical", W.TECH_TERMS_EN, W.TECH_TERMS_ES],
  ["technical", W.EVERYDAY_TECH_EN, W.EVERYDAY_TECH_ES],
  ["general", W.GENERAL_TERMS_EN, W.GENERAL_TERMS_ES],
  ["general", W.EVERYDAY_LIFE_EN, W.EVERYDAY_LIFE_ES],
] as const) {
  for (const t of terms(en)) repeat(2, () => emit(label, "en", t, fill(pick(T.TECH_FRAMES_EN), { c: t })));
  for (const t of terms(es)) repeat(2, () => emit(label, "es", t, fill(pick(T.TECH_FRAMES_ES), { c: t })));
}

// ---- coding ----
const tasks = rows(C.CODE_TASKS);
const algos = rows(C.ALGOS);
const howtos = rows(C.CODE_HOWTO);
const fws = rows(C.FRAMEWORK_TASKS);
const features = rows(C.CODE_FEATURES);
const configs = rows(C.CONFIG_TASKS);
const sql = rows(C.SQL_TASKS);
const regex = rows(C.REGEX_TARGETS);
const shell = rows(C.SHELL_TASKS);
const SQL_FRAMES = [["Write a SQL query that {x}.", "Escribe una consulta SQL que {x}."], ["I need an SQL query that {x}.", "Necesito una query SQL que {x}."], ["Give me the SQL that {x}.", "Dame el SQL que {x}."]];
const REGEX_FRAMES = [["Write a regex that matches {x}.", "Escribe una expresión regular que valide {x}."], ["Regular expression for {x}?", "¿Regex para {x}?"], ["Give me a regex to match {x}.", "Dame una regex para {x}."]];
const SHELL_FRAMES = [["Write a shell command to {x}.", "Escribe un comando de shell para {x}."], ["How do I {x} from the terminal?", "¿Cómo puedo {x} desde la terminal?"], ["Bash one-liner to {x}?", "¿Un one-liner de bash para {x}?"], ["Which git or shell commands {x}?", "¿Qué comandos uso para {x}?"]];
for (const i of [0, 1] as const) {
  const write = i === 0 ? C.WRITE_FRAMES_EN : C.WRITE_FRAMES_ES;
  const snippetFrames = i === 0 ? C.SNIPPET_FRAMES_EN : C.SNIPPET_FRAMES_ES;
  const slotsFor = (): Record<string, string> => ({ lang: pick(C.LANGS), task: col(pick(tasks), i), algo: col(pick(algos), i), howto: col(pick(howtos), i), fw: col(pick(fws), i) });
  for (const t of tasks) repeat(6, () => emit("coding", L(i), col(t, 0), fill(pick(write.filter((f) => f.includes("{task}"))), { ...slotsFor(), task: col(t, i) })));
  for (const a of algos) repeat(5, () => emit("coding", L(i), col(a, 0), fill(pick(write.filter((f) => f.includes("{algo}"))), { ...slotsFor(), algo: col(a, i) })));
  for (const h of howtos) repeat(5, () => emit("coding", L(i), col(h, 0), fill(pick(write.filter((f) => f.includes("{howto}"))), { ...slotsFor(), howto: col(h, i) })));
  for (const f of fws) repeat(4, () => emit("coding", L(i), col(f, 0), fill(pick(write.filter((x) => x.includes("{fw}"))), { fw: col(f, i) })));
  for (const f of features) repeat(3, () => emit("coding", L(i), col(f, 0), col(f, i)));
  for (const c of configs) repeat(3, () => emit("coding", L(i), col(c, 0), col(c, i)));
  for (const [rowsOf, frames] of [[sql, SQL_FRAMES], [regex, REGEX_FRAMES], [shell, SHELL_FRAMES]] as const) {
    for (const r of rowsOf) repeat(4, () => emit("coding", L(i), col(r, 0), fill(pick(frames)[i] as string, { x: col(r, i) })));
  }
  for (const r of rows(C.LIBRARY_TASKS)) {
    repeat(4, () => emit("coding", L(i), col(r, 0) + col(r, 1), fill(pick(i === 0 ? C.LIBRARY_FRAMES_EN : C.LIBRARY_FRAMES_ES), { l: col(r, 0), t: col(r, i + 1) })));
  }
  for (const e of C.ERRORS) repeat(3, () => emit("coding", L(i), e, fill(pick(i === 0 ? C.ERROR_FRAMES_EN : C.ERROR_FRAMES_ES), { e, lang: pick(C.LANGS) })));
  for (const k of rows(C.CONSTRUCTS)) {
    repeat(4, () => emit("coding", L(i), col(k, 0), fill(pick(i === 0 ? C.CONSTRUCT_FRAMES_EN : C.CONSTRUCT_FRAMES_ES), { k: col(k, i), lang: pick(C.LANGS) })));
  }
  const artifacts = terms(i === 0 ? C.ARTIFACTS_EN : C.ARTIFACTS_ES);
  const problems = rows(C.PROBLEMS);
  for (const a of artifacts) {
    repeat(3, () => {
      // "My {x}": the artifact without its article.
      const x = a.replace(/^(?:an?|una?|el|la)\s+/i, "");
      emit("coding", L(i), a, fill(pick(i === 0 ? C.ARTIFACT_FRAMES_EN : C.ARTIFACT_FRAMES_ES), { a, x, task: col(pick(tasks), i), problem: col(pick(problems), i) }));
    });
  }
  for (const [lang, code, bug] of C.SNIPPETS) {
    repeat(8, () => {
      const style = rand();
      // Fenced with a language, fenced bare, pasted as lines, or pasted on one line.
      const rendered =
        style < 0.4 ? `\`\`\`${lang}\n${code}\n\`\`\`` : style < 0.55 ? `\`\`\`\n${code}\n\`\`\`` : style < 0.8 ? code : code.replace(/\n\s*/g, " ");
      const text = fill(pick(snippetFrames), { code: rendered, lang, bug: bug.split("|")[i] as string, lang2: pick(C.LANGS) });
      emit("coding", L(i), code, text);
    });
  }
}

// ---- general ----
const life = rows(G.LIFE_HOWTO);
const culture = rows(G.CULTURE_TOPICS);
const questions = rows(G.GENERAL_QUESTIONS);
const talk = rows(G.SMALL_TALK);
const forms = rows(G.CREATIVE_FORMS);
const subjects = rows(G.CREATIVE_SUBJECTS);
for (const i of [0, 1] as const) {
  for (const h of life) repeat(5, () => emit("general", L(i), col(h, 0), fill(pick(i === 0 ? G.HOWTO_FRAMES_EN : G.HOWTO_FRAMES_ES), { h: col(h, i) })));
  for (const c of culture) repeat(4, () => emit("general", L(i), col(c, 0), fill(pick(i === 0 ? G.GENERAL_FRAMES_EN : G.GENERAL_FRAMES_ES), { t: col(c, i) })));
  for (const q of questions) repeat(3, () => emit("general", L(i), col(q, 0), col(q, i)));
  for (const t of talk) repeat(3, () => emit("general", L(i), col(t, 0), col(t, i)));
  for (const p of rows(G.GENERAL_PAIRS)) repeat(4, () => emit("general", L(i), col(p, 0), fill(pick(i === 0 ? T.TECH_PAIR_FRAMES_EN : T.TECH_PAIR_FRAMES_ES), { a: col(p, 2 * i), b: col(p, 2 * i + 1) })));
  for (const m of rows(G.GENERAL_MECHANISMS)) repeat(5, () => emit("general", L(i), col(m, 0), fill(pick(i === 0 ? G.MECHANISM_FRAMES_EN : G.MECHANISM_FRAMES_ES), { t: col(m, i) })));
  for (const t of rows(G.IDEA_TOPICS)) repeat(5, () => emit("general", L(i), col(t, 0), fill(pick(i === 0 ? G.IDEA_FRAMES_EN : G.IDEA_FRAMES_ES), { t: col(t, i) })));
  for (const o of rows(G.OCCASIONS)) repeat(5, () => emit("general", L(i), col(o, 0), fill(pick(i === 0 ? G.OCCASION_FRAMES_EN : G.OCCASION_FRAMES_ES), { t: col(o, i) })));
  const animals = rows(S.ANIMALS);
  for (const a of animals) {
    repeat(4, () => {
      const b = pick(animals);
      emit("general", L(i), col(a, 0), fill(pick(i === 0 ? S.ANIMAL_FRAMES_EN : S.ANIMAL_FRAMES_ES), { a: col(a, 2 * i), b: col(b, 2 * i), ap: col(a, 2 * i + 1) }));
    });
  }
  const slotSets: ReadonlyArray<[string[][], readonly string[], readonly string[], string]> = [
    [rows(S.FOODS), S.FOOD_FRAMES_EN, S.FOOD_FRAMES_ES, "f"],
    [rows(S.PLACES), S.PLACE_FRAMES_EN, S.PLACE_FRAMES_ES, "p"],
    [rows(S.PEOPLE), S.PEOPLE_FRAMES_EN, S.PEOPLE_FRAMES_ES, "n"],
    [rows(S.HOBBIES), S.HOBBY_FRAMES_EN, S.HOBBY_FRAMES_ES, "h"],
  ];
  for (const [items, en, es, slot] of slotSets) {
    for (const it of items) repeat(4, () => emit("general", L(i), col(it, 0), fill(pick(i === 0 ? en : es), { [slot]: col(it, i) })));
  }
  // Everyday subjects in the technical frames, so the frame alone never decides.
  const everyday = [...rows(G.GENERAL_MECHANISMS), ...culture, ...rows(S.FOODS), ...rows(S.HOBBIES), ...rows(G.IDEA_TOPICS)];
  for (const e of everyday) repeat(2, () => emit("general", L(i), col(e, 0), fill(pick(i === 0 ? T.TECH_FRAMES_EN : T.TECH_FRAMES_ES), { c: col(e, i) })));
  for (const p of rows(G.GENERAL_PAIRS)) repeat(3, () => emit("general", L(i), col(p, 0), fill(pick(i === 0 ? T.TECH_PAIR_FRAMES_EN : T.TECH_PAIR_FRAMES_ES), { a: col(p, 2 * i), b: col(p, 2 * i + 1) })));
  const media = rows(S.MEDIA);
  for (const q of rows(S.MEDIA_QUALIFIERS)) {
    repeat(5, () => emit("general", L(i), col(q, 0), fill(pick(i === 0 ? S.MEDIA_FRAMES_EN : S.MEDIA_FRAMES_ES), { m: col(pick(media), i), q: col(q, i) })));
  }
  for (const s of subjects) {
    repeat(6, () => emit("general", L(i), col(s, 0), fill(pick(i === 0 ? G.CREATIVE_FRAMES_EN : G.CREATIVE_FRAMES_ES), { f: col(pick(forms), i), s: col(s, i) })));
  }
}

const target = fileURLToPath(new URL("../../data/router/generated.jsonl", import.meta.url));
writeFileSync(target, out.map((e) => JSON.stringify(e)).join("\n") + "\n");
const count = (k: string): number => out.filter((e) => e.label === k).length;
console.log(`wrote ${out.length} rows to data/router/generated.jsonl: general ${count("general")}, technical ${count("technical")}, coding ${count("coding")}; held out ${out.filter((e) => e.split === "test").length}`);
