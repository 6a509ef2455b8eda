import { describe, expect, it } from "vitest";
import { createRouter, route, DOMAINS, type ChatMessage, type Domain } from "../../lib/router/index.js";

const user = (content: ChatMessage["content"]): ChatMessage[] => [{ role: "user", content }];
const image = { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } } as const;
const expectDomain = (text: string, domain: Domain): void => {
  const d = route(user(text));
  expect(d.domain, `${text} -> ${d.domain} [${d.reasons.join("; ")}]`).toBe(domain);
};

describe("policy rule 1: multimodal / long context", () => {
  it("routes any image part to the multimodal expert, whatever the text says", () => {
    for (const text of ["Write a Python function for this diagram", "Bonjour, que vois-tu ?", "Translate the sign to English"]) {
      const d = route(user([{ type: "text", text }, image]));
      expect(d.domain).toBe("multimodal_expert");
      expect(d.reasons).toContain("contains an image");
      expect(d.confidence).toBe(1);
    }
  });

  it("counts images in earlier messages of the conversation", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: [image] },
      { role: "assistant", content: "A red bicycle." },
      { role: "user", content: "What year was that model made?" },
    ];
    expect(route(messages).domain).toBe("multimodal_expert");
  });

  it("routes prompts longer than the threshold, counting the whole conversation", () => {
    const chunk = "The committee reviewed the quarterly figures and noted a steady rise in costs. ";
    const long = chunk.repeat(120); // ~9,500 characters
    expect(route(user(`Summarise this report:\n${long}`)).domain).toBe("multimodal_expert");
    const half = chunk.repeat(60);
    const convo: ChatMessage[] = [
      { role: "user", content: half },
      { role: "assistant", content: half },
      { role: "user", content: "What is the main finding?" },
    ];
    const d = route(convo);
    expect(d.domain).toBe("multimodal_expert");
    expect(d.reasons.some((r) => r.startsWith("long prompt"))).toBe(true);
    expect(route(user(chunk.repeat(20))).domain).not.toBe("multimodal_expert");
  });

  it("uses the configured threshold", () => {
    const text = "Tell me about the history of chess in medieval Europe. ".repeat(10);
    expect(createRouter({ longPromptTokens: 50 }).route(user(text)).domain).toBe("multimodal_expert");
    expect(route(user(text), { longPromptTokens: 50 }).domain).toBe("multimodal_expert");
    expect(route(user(text)).domain).toBe("general");
  });
});

describe("policy rule 2: multilingual", () => {
  it.each([
    "Salut ! Tu as passé un bon week-end ?",
    "Guten Abend, kannst du mir helfen?",
    "Olá, você pode me recomendar um livro?",
    "Buongiorno, mi puoi aiutare?",
    "Goedemorgen, alles goed?",
    "Здравствуйте, объясните, что такое DNS.",
    "请帮我写一首关于春天的诗",
    "ありがとうございます！",
    "여기서 제일 가까운 역이 어디예요?",
    "مساء الخير",
    "Καλημέρα",
    "क्या आप मेरी मदद कर सकते हैं?",
  ])("routes %s to the multilingual expert", (text) => expectDomain(text, "multilingual_expert"));

  it.each([
    "Translate 'see you soon' into French.",
    "How would you say 'I am hungry' in German?",
    "What's the Italian word for 'window'?",
    "Traduce al portugués: 'el tren sale a las ocho'.",
    "¿Cómo se dice 'tenedor' en inglés?",
    "¿Cómo se escribe 'gracias' en chino?",
    "How do you say 'good morning' in Spanish?",
    "Can you translate this for me: 'je ne sais pas'",
  ])("routes the translation request %s to the multilingual expert", (text) => expectDomain(text, "multilingual_expert"));

  it("keeps technical terms that contain 'translation' technical", () => {
    expectDomain("What is network address translation?", "technical");
    expectDomain("How does the translation lookaside buffer work?", "technical");
    expectDomain("Translation please: 'buongiorno'", "multilingual_expert");
  });

  it("treats a question about a quoted phrase in another language as translation", () => {
    expectDomain("What does 'je ne sais quoi' mean?", "multilingual_expert");
    expectDomain("¿Qué quiere decir 'ich liebe dich'?", "multilingual_expert");
    expect(route(user("What does 'idempotent' mean?")).domain).not.toBe("multilingual_expert");
  });

  it("does not treat usage questions about the user's own language as translation", () => {
    expectDomain("¿Cómo se dice 'lo siento' de forma más formal en una carta?", "general");
    expectDomain("¿Cómo se dice correctamente en español, 'haya' o 'halla'?", "general");
    expectDomain("Translate this Java method to Kotlin: int sq(int x) { return x * x; }", "coding");
  });

  it("names the language in its reasons", () => {
    const d = route(user("Bonsoir, comment ça va ?"));
    expect(d.domain).toBe("multilingual_expert");
    expect(d.reasons).toContain("language: fr");
  });
});

describe("policy rules 3-5: coding, technical, general", () => {
  it.each([
    "Write a Go function that merges two sorted slices.",
    "Escribe una consulta SQL que sume las ventas por mes.",
    "Give me a regex for UK postcodes.",
    "Write a Makefile with build and clean targets.",
    "Create a GitHub Actions workflow that runs cargo test.",
    "How do I read a CSV file with pandas?",
    "¿Cómo ordeno un array de objetos por fecha en JavaScript?",
    "Write a Dockerfile for a Django app.",
  ])("coding: %s", (text) => expectDomain(text, "coding"));

  it("treats code blocks with a question as coding, fenced or not", () => {
    expectDomain("```rust\nlet v = vec![1, 2];\nlet x = v[5];\n```\nWhy does this panic?", "coding");
    expectDomain("Why is this slow?\nfor (let i = 0; i < n; i++) {\n  arr = arr.concat([i]);\n}", "coding");
    expectDomain("Is there a bug here? while (n = 0) { n++ }", "coding");
    expectDomain("du -sh * | sort -h — why is the order wrong?", "coding");
    const d = route(user("```\nSELECT * FROM t\n```\n¿Está bien?"));
    expect(d.domain).toBe("coding");
    expect(d.reasons).toContain("contains a code block");
  });

  it.each([
    "How does a CPU branch predictor work?",
    "What is the difference between TCP and QUIC?",
    "Explain how attention works in transformers.",
    "¿Qué es la latencia de un disco duro?",
    "¿Cómo funciona un amplificador operacional?",
    "What is a B-tree and why do databases use it?",
  ])("technical: %s", (text) => expectDomain(text, "technical"));

  it.each([
    "Hi!",
    "¿Qué tal estás?",
    "What's the capital of Peru?",
    "Give me ideas for a rainy Saturday.",
    "Escribe un poema corto sobre la lluvia.",
    "How do I remove a red wine stain?",
    "¿Quién pintó Las Meninas?",
  ])("general: %s", (text) => expectDomain(text, "general"));
});

describe("decision shape", () => {
  it("returns a domain, a confidence in [0, 1], scores for every domain and reasons", () => {
    const d = route(user("Explain how DNS caching works."));
    expect(DOMAINS).toContain(d.domain);
    expect(d.confidence).toBeGreaterThan(0);
    expect(d.confidence).toBeLessThanOrEqual(1);
    expect(Object.keys(d.scores).sort()).toEqual([...DOMAINS].sort());
    for (const s of Object.values(d.scores)) expect(s).toBeGreaterThanOrEqual(0);
    expect(d.reasons.length).toBeGreaterThan(0);
  });

  it("is not misled by a message typed in capitals", () => {
    expect(route(user("WHAT IS THE CAPITAL OF ITALY?")).domain).toBe("general");
    expect(route(user("HOLA, ¿QUÉ TAL?")).domain).toBe("general");
  });

  it("is deterministic", () => {
    const m = user("¿Cómo funciona la memoria caché?");
    expect(route(m)).toEqual(route(m));
  });

  it("decides by the last user message only", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "Write a Python function that reverses a list." },
      { role: "assistant", content: "def rev(xs): return xs[::-1]" },
      { role: "user", content: "Thanks! Now tell me a joke about cats." },
    ];
    expect(route(messages).domain).toBe("general");
  });
});
