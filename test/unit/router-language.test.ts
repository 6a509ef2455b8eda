import { describe, expect, it } from "vitest";
import { identifyLanguage } from "../../lib/router/language.js";
import { translationIntent } from "../../lib/router/intent.js";
import { codeSignals, proseOf } from "../../lib/router/text.js";

const primary = (t: string): boolean => identifyLanguage(proseOf(t), 0.3).primary;

describe("language identification", () => {
  it.each(["Hello", "Hi there", "Thanks!", "Good night", "Hola", "Buenas", "¿Qué tal?", "Gracias", "Cuéntame un chiste", "Dame ideas", "ok", "Explica la diferencia entre throughput y latencia"])(
    "treats %s as a primary language",
    (t) => expect(primary(t)).toBe(true),
  );

  it.each(["Merci", "Bonjour", "Danke schön", "Wie geht's?", "Obrigado!", "Tudo bem?", "Grazie mille", "Come stai?", "Dank je wel", "Teşekkür ederim", "Hej, hur mår du?", "Com funciona el DNS?"])(
    "treats %s as another language",
    (t) => expect(primary(t)).toBe(false),
  );

  it("names the language or script", () => {
    expect(identifyLanguage("Где находится вокзал?", 0.3).language).toBe("ru");
    expect(identifyLanguage("東京の天気は？", 0.3).language).toBe("ja");
    expect(identifyLanguage("오늘 뭐 해?", 0.3).language).toBe("ko");
    expect(identifyLanguage("Quel est le meilleur fromage ?", 0.3).language).toBe("fr");
    expect(identifyLanguage("¿Dónde está la estación?", 0.3).language).toBe("es");
  });

  it("treats text without prose (numbers, symbols) as primary", () => {
    expect(identifyLanguage("1234 + 5678 = ?", 0.3)).toMatchObject({ primary: true, language: "" });
  });
});

describe("translation intent", () => {
  it.each([
    ["Translate 'thank you' to Japanese", "en"],
    ["How do you say 'apple' in Portuguese?", "en"],
    ["¿Cómo se dice 'manzana' en alemán?", "es"],
    ["¿Qué significa 'cheers' en inglés?", "es"],
    ["Write this email in French, please", "en"],
    ["Traduce este párrafo", "es"],
    ["Say 'good luck' in five languages", "en"],
    ["¿Cómo se dice 'salud' en varios idiomas?", "es"],
  ])("finds it in %s", (t, lang) => expect(translationIntent(t, lang, false).found).toBe(true));

  it.each([
    ["¿Cómo se dice 'gracias' de forma educada en un correo formal?", "es"],
    ["How do you say no politely to a coworker?", "en"],
    ["Write a poem in Spanish about the sea", "en"],
    ["Translate this Python script to Go", "en"],
    ["Write a program that prints 'hello' in Japanese", "en"],
    ["What's the history of the French language?", "en"],
  ])("does not find it in %s", (t, lang) => expect(translationIntent(t, lang, false).found).toBe(false));

  it("reads a bare 'translate' next to code as code conversion", () => {
    expect(translationIntent("Translate this:\n```js\nconst a = 1;\n```", "en", true).found).toBe(false);
  });
});

describe("code signals", () => {
  it("finds fences, inline code and unfenced code lines", () => {
    expect(codeSignals("```py\nx = 1\n```\nwhy?")).toMatchObject({ fences: 1, hasSnippet: true });
    expect(codeSignals("What does `ls -la` print?")).toMatchObject({ inline: 1, hasSnippet: false });
    expect(codeSignals("fix:\nint main() {\n  return 0;\n}").hasSnippet).toBe(true);
    expect(codeSignals("Write a poem.\nMake it rhyme.\nKeep it short.").hasSnippet).toBe(false);
  });
});
