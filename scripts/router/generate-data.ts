/**
 * Generates the topic training set (general / technical / coding, English and Spanish) from the
 * lexicons and frames in data/router/train/: frames x items x phrasings, with light noise
 * (greetings, missing accents, lower case). Deterministic, and built in memory each time it is
 * needed (a few hundred milliseconds), so no generated file is kept. Lexicon items are split
 * 90/10 by hash, so the held-out rows ask about concepts, tasks and topics never seen in training.
 */
import { holdOut, type Example, type Lang } from "./dataset.js";
import { frames, items, snippets, terms, type Item } from "./lexicon.js";

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

const fill = (frame: string, slots: Record<string, string>): string => frame.replace(/\{(\w+)\}/g, (_, k: string) => slots[k] ?? `{${k}}`);

const PREFIX: Record<Lang, string[]> = {
  en: ["", "", "", "", "Hey, ", "Please, ", "Quick question: ", "Hi! ", "Could you help me? ", "Hello, ", "So, "],
  es: ["", "", "", "", "Oye, ", "Por favor, ", "Una pregunta: ", "¡Hola! ", "¿Me ayudas? ", "Buenas, ", "A ver, "],
};
const SUFFIX: Record<Lang, string[]> = {
  en: ["", "", "", "", " Thanks!", " Keep it short.", " Please be detailed.", " Thank you.", " I'm a beginner."],
  es: ["", "", "", "", " ¡Gracias!", " Sé breve.", " Con detalle, por favor.", " Gracias.", " Soy principiante."],
};

function lowerFirst(t: string): string {
  return /^[A-Z][a-z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}

/** Builds the generated training rows. */
export function generateTopicData(): Example[] {
  const rand = rng(20260601);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

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

  const out: Example[] = [];
  function emit(label: Example["label"], lang: Lang, key: string, text: string): void {
    out.push({ text: noisy(text, lang), label, lang, split: holdOut(key) ? "test" : "train" });
  }
  const repeat = (n: number, f: () => void): void => {
    for (let i = 0; i < n; i++) f();
  };
  /** The key that decides an item's split: its first English slot(s). */
  const key = (it: Item): string => it.en[0] as string;
  const s = (it: Item, lang: Lang, slot = 0): string => it[lang][slot] as string;
  /** Each item of `set`, `weight` times, through a frame of `frameSet`: its first slot fills `{slot}`. */
  const framed = (set: string, frameSet: string, slot: string, lang: Lang): void => {
    for (const it of items(set)) repeat(it.weight, () => emit(it.label, lang, key(it), fill(pick(frames(frameSet, lang)), { [slot]: s(it, lang) })));
  };
  /** Items that are whole requests on their own. */
  const verbatim = (set: string, lang: Lang): void => {
    for (const it of items(set)) repeat(it.weight, () => emit(it.label, lang, key(it), s(it, lang)));
  };
  const pairs = (set: string, lang: Lang, weight?: number): void => {
    for (const p of items(set)) repeat(weight ?? p.weight, () => emit(p.label, lang, key(p), fill(pick(frames("tech_pair", lang)), { a: s(p, lang, 0), b: s(p, lang, 1) })));
  };
  const LANGS: readonly Lang[] = ["en", "es"];

  // ---- technical ----
  for (const lang of LANGS) {
    // Spanish speakers often keep the English term ("¿qué es un load balancer?"): a quarter of the
    // Spanish rows code-switch.
    const term = (c: Item): string => (lang === "es" && rand() < 0.25 ? `el ${s(c, "en").replace(/^(?:an?|the)\s+/i, "")}` : s(c, lang));
    for (const c of items("tech_concepts")) repeat(c.weight, () => emit("technical", lang, key(c), fill(pick(frames("tech", lang)), { c: term(c) })));
    pairs("tech_pairs", lang);
    framed("tech_terms", "tech", "c", lang);
    verbatim("tech_why", lang);
  }

  // ---- language-usage questions in the user's own language: general, not translation ----
  for (const lang of LANGS) for (const q of terms("usage", lang)) repeat(3, () => emit("general", lang, q, q));
  for (const f of items("fillers")) {
    const lang: Lang = f.es.length > 0 ? "es" : "en";
    repeat(f.weight, () => emit("general", lang, s(f, lang), s(f, lang)));
  }

  // ---- single terms in the shared frames, both classes ----
  for (const set of ["terms_tech", "terms_everyday_tech", "terms_general", "terms_everyday_life"]) {
    const label = (items(set)[0] as Item).label;
    for (const lang of LANGS) for (const t of terms(set, lang)) repeat(2, () => emit(label, lang, t, fill(pick(frames("tech", lang)), { c: t })));
  }

  // ---- coding ----
  const programming = items("programming_languages").map((it) => it.any[0] as string);
  const tasks = items("code_tasks");
  const algos = items("algos");
  const howtos = items("code_howto");
  const fws = items("framework_tasks");
  for (const lang of LANGS) {
    const write = frames("write", lang);
    const slotsFor = (): Record<string, string> => ({ lang: pick(programming), task: s(pick(tasks), lang), algo: s(pick(algos), lang), howto: s(pick(howtos), lang), fw: s(pick(fws), lang) });
    for (const [set, slot] of [["code_tasks", "task"], ["algos", "algo"], ["code_howto", "howto"]] as const) {
      for (const t of items(set)) repeat(t.weight, () => emit("coding", lang, key(t), fill(pick(write.filter((f) => f.includes(`{${slot}}`))), { ...slotsFor(), [slot]: s(t, lang) })));
    }
    for (const f of fws) repeat(f.weight, () => emit("coding", lang, key(f), fill(pick(write.filter((x) => x.includes("{fw}"))), { fw: s(f, lang) })));
    verbatim("code_features", lang);
    verbatim("config_tasks", lang);
    for (const [set, frameSet] of [["sql_tasks", "sql"], ["regex_targets", "regex"], ["shell_tasks", "shell"]] as const) {
      // These frames come in English/Spanish pairs: the pick draws one pair.
      const en = frames(frameSet, "en");
      const es = frames(frameSet, "es");
      for (const r of items(set)) {
        repeat(r.weight, () => {
          const i = Math.floor(rand() * en.length);
          emit("coding", lang, key(r), fill((lang === "en" ? en : es)[i] as string, { x: s(r, lang) }));
        });
      }
    }
    for (const r of items("library_tasks")) {
      repeat(r.weight, () => emit("coding", lang, s(r, "en", 0) + s(r, "en", 1), fill(pick(frames("library", lang)), { l: s(r, lang, 0), t: s(r, lang, 1) })));
    }
    for (const e of items("errors")) {
      const text = e.any[0] as string;
      repeat(e.weight, () => emit("coding", lang, text, fill(pick(frames("error", lang)), { e: text, lang: pick(programming) })));
    }
    for (const k of items("constructs")) repeat(k.weight, () => emit("coding", lang, key(k), fill(pick(frames("construct", lang)), { k: s(k, lang), lang: pick(programming) })));
    const problems = items("problems");
    for (const a of terms("artifacts", lang)) {
      repeat(3, () => {
        // "My {x}": the artifact without its article.
        const x = a.replace(/^(?:an?|una?|el|la)\s+/i, "");
        emit("coding", lang, a, fill(pick(frames("artifact", lang)), { a, x, task: s(pick(tasks), lang), problem: s(pick(problems), lang) }));
      });
    }
    for (const { language, code, problem } of snippets()) {
      repeat(8, () => {
        const style = rand();
        // Fenced with a language, fenced bare, pasted as lines, or pasted on one line.
        const rendered =
          style < 0.4 ? `\`\`\`${language}\n${code}\n\`\`\`` : style < 0.55 ? `\`\`\`\n${code}\n\`\`\`` : style < 0.8 ? code : code.replace(/\n\s*/g, " ");
        emit("coding", lang, code, fill(pick(frames("snippet", lang)), { code: rendered, lang: language, bug: problem[lang], lang2: pick(programming) }));
      });
    }
  }

  // ---- general ----
  for (const lang of LANGS) {
    framed("life_howto", "howto", "h", lang);
    framed("culture_topics", "general", "t", lang);
    verbatim("general_questions", lang);
    verbatim("small_talk", lang);
    pairs("general_pairs", lang);
    framed("general_mechanisms", "mechanism", "t", lang);
    framed("idea_topics", "idea", "t", lang);
    framed("occasions", "occasion", "t", lang);
    const animals = items("animals");
    for (const a of animals) {
      repeat(a.weight, () => {
        const b = pick(animals);
        emit("general", lang, key(a), fill(pick(frames("animal", lang)), { a: s(a, lang, 0), b: s(b, lang, 0), ap: s(a, lang, 1) }));
      });
    }
    framed("foods", "food", "f", lang);
    framed("places", "place", "p", lang);
    framed("people", "people", "n", lang);
    framed("hobbies", "hobby", "h", lang);
    // Everyday subjects in the technical frames, so the frame alone never decides.
    for (const set of ["general_mechanisms", "culture_topics", "foods", "hobbies", "idea_topics"]) {
      for (const e of items(set)) repeat(2, () => emit("general", lang, key(e), fill(pick(frames("tech", lang)), { c: s(e, lang) })));
    }
    pairs("general_pairs", lang, 3);
    const media = items("media");
    for (const q of items("media_qualifiers")) {
      repeat(q.weight, () => emit("general", lang, key(q), fill(pick(frames("media", lang)), { m: s(pick(media), lang), q: s(q, lang) })));
    }
    const forms = items("creative_forms");
    for (const c of items("creative_subjects")) {
      repeat(c.weight, () => emit("general", lang, key(c), fill(pick(frames("creative", lang)), { f: s(pick(forms), lang), s: s(c, lang) })));
    }
  }

  // ---- the same symptom and trade-off frames for machines and systems (technical) and for
  // people, animals and ways of living (general): the subject decides, not the everyday wording ----
  for (const lang of LANGS) {
    for (const [subjects, events, conditions] of [["systems", "symptoms", "conditions"], ["beings", "behaviours", "situations"]] as const) {
      const who = items(subjects);
      const when = items(conditions);
      for (const e of items(events)) {
        repeat(e.weight, () => emit(e.label, lang, key(e), fill(pick(frames("symptom", lang)), { d: s(pick(who), lang), s: s(e, lang), c: s(pick(when), lang) })));
      }
    }
    for (const set of ["tradeoffs", "life_tradeoffs"]) {
      for (const p of items(set)) repeat(p.weight, () => emit(p.label, lang, key(p), fill(pick(frames("tradeoff", lang)), { a: s(p, lang, 0), b: s(p, lang, 1) })));
    }
  }
  return out;
}
