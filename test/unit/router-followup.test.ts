import { describe, expect, it } from "vitest";
import { createRouter, route, RouterInputError, type ChatMessage, type Domain } from "../../lib/router/index.js";

/** A conversation from alternating user / assistant texts, starting with the user. */
const convo = (...turns: string[]): ChatMessage[] => turns.map((content, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content }));
const expectRoute = (messages: ChatMessage[], domain: Domain): void => {
  const d = route(messages);
  const last = messages[messages.length - 1]?.content;
  expect(d.domain, `${String(last)} -> ${d.domain} [${d.reasons.join("; ")}]`).toBe(domain);
};

describe("follow-ups stay with the conversation's domain", () => {
  it.each([
    ["coding", "Write a Kotlin function that parses an ISO date.", "fun parse(s: String) = LocalDate.parse(s)", "and in Swift?"],
    ["coding", "Escribe una consulta SQL que sume las ventas por mes.", "SELECT mes, SUM(total) FROM ventas GROUP BY mes;", "¿y con menos líneas?"],
    ["coding", "Fix my Python loop that never ends.", "You never increment i inside the while loop.", "how come?"],
    ["technical", "How does a SSD wear out?", "Each flash cell survives a limited number of program/erase cycles...", "what do engineers do about it?"],
    ["technical", "¿Qué es la latencia de una red?", "El tiempo que tarda un paquete en ir y volver...", "¿y cómo se reduce?"],
    ["general", "Plan a picnic for six people.", "Sandwiches, fruit, lemonade and a blanket.", "which one is cheaper?"],
    ["general", "Dame ideas para una fiesta de disfraces.", "Piratas, años 80, superhéroes...", "gracias"],
    ["multilingual_expert", "Translate 'good night' into Italian.", "Buona notte.", "and into Dutch?"],
  ] as const)("%s: %j ... %j", (domain, first, answer, followUp) => {
    const d = route(convo(first, answer, followUp));
    expect(d.domain).toBe(domain);
    expect(d.reasons).toContain(`follow-up: stays with ${domain} from message 1`);
  });

  it("looks back past follow-ups to the latest user message that had a topic", () => {
    const messages = convo("What is a Fourier transform?", "It decomposes a signal into frequencies.", "thanks", "You're welcome!", "make it simpler");
    expect(route(messages).reasons).toContain("follow-up: stays with technical from message 1");
    // The latest message with a topic wins, not the first one.
    const switched = convo("Write a Go HTTP server.", "package main ...", "Now recommend a novel for the beach.", "Try 'The Beach' by Alex Garland.", "another one?");
    expect(route(switched).domain).toBe("general");
    expect(route(switched).reasons).toContain("follow-up: stays with general from message 3");
  });

  it("switches on a message with a clear topic of its own", () => {
    expectRoute(convo("Write a bash script that backs up my photos.", "tar czf photos.tgz ~/Pictures", "Great, thanks. Different question: where should I travel in May?"), "general");
    expectRoute(convo("How are you today?", "Great, thanks!", "Now give me a shell command that finds large files"), "coding");
    expectRoute(convo("Recomiéndame una serie.", "Te recomiendo 'Dark'.", "Explícame qué es la entropía en termodinámica."), "technical");
  });

  it("switches to coding when a short message names code and clearly asks for it", () => {
    const sorted = ["Sort these names alphabetically: Zoe, Adam, Maria", "Adam, Maria, Zoe"];
    expectRoute(convo(...sorted, "now do it in Python"), "coding");
    expectRoute(convo(...sorted, "hazlo en JavaScript"), "coding");
    expectRoute(convo(...sorted, "what about reverse order?"), "general");
  });

  it("switches when a short message names a subject of another domain the classifier is sure of, unless it points back", () => {
    const code = ["Write a Python function that merges two sorted lists.", "def merge(a, b): ..."];
    expectRoute(convo(...code, "How about a haiku instead?"), "general");
    expectRoute(convo(...code, "and how much memory does it use?"), "coding");
    expectRoute(convo(...code, "and the time complexity?"), "coding");
  });

  it("treats any language but English and Spanish as a signal, even in two words", () => {
    for (const text of ["Danke sehr!", "Merci beaucoup", "Grazie mille!", "Kiitos!", "Hvala!", "terima kasih", "Спасибо!", "ありがとう"]) {
      expectRoute(convo("Write a Python function that reverses a string.", "def rev(s): return s[::-1]", text), "multilingual_expert");
    }
    // ... and a translation request is one too.
    expectRoute(convo("How do I center a div?", "Use flexbox on the parent.", "Traduce tu respuesta al francés, por favor."), "multilingual_expert");
  });

  it("never lets assistant or system messages decide", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "Tu es un assistant. Réponds toujours en français." },
      { role: "user", content: "Explain how public-key cryptography works." },
      { role: "assistant", content: "Chaque partie possède une paire de clés..." },
      { role: "user", content: "thanks!" },
    ];
    expectRoute(messages, "technical");
  });

  it("counts images anywhere and the whole conversation's length", () => {
    const image: ChatMessage = { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "https://example.com/a.png" } }] };
    expectRoute([image, { role: "assistant", content: "A heat exchanger." }, { role: "user", content: "how does it work?" }], "multimodal_expert");
    const long = "The board discussed the budget, the hiring plan and the schedule. ".repeat(140);
    expectRoute(convo(`Summarise this: ${long}`, "The board agreed on the budget.", "and the risks?"), "multimodal_expert");
  });

  it("uses the previous decision as a hint when the caller passes it", () => {
    const messages = convo("hello", "Hi!", "and in Kotlin?");
    const d = route(messages, { previous: { domain: "coding" } });
    expect(d.domain).toBe("coding");
    expect(d.reasons).toEqual(["follow-up: stays with coding from the previous decision"]);
    // A message with a topic of its own ignores the hint.
    expect(route(convo("hi", "Hello!", "Write a regex for UK postcodes."), { previous: { domain: "general" } }).domain).toBe("coding");
    // The hint applies to a lone follow-up too (the caller holds the history).
    expect(route(convo("which one is faster?"), { previous: { domain: "technical" } }).domain).toBe("technical");
  });

  it("rejects a malformed hint or options with RouterInputError", () => {
    expect(() => route(convo("thanks"), { previous: { domain: "cooking" as Domain } })).toThrow(RouterInputError);
    expect(() => route(convo("thanks"), null as never)).toThrow(RouterInputError);
  });

  it("routes a lone follow-up on its own merits (there is nothing to stay with)", () => {
    expect(route(convo("thanks!")).domain).toBe("general");
  });
});

describe("conversations of any size route in bounded time", () => {
  const cpuMs = (f: () => void): number => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  const bestOf5 = (f: () => void): number => Math.min(...Array.from({ length: 5 }, () => cpuMs(f)));

  it("routes 10,000 turns of follow-ups in under 5 ms, long or not", () => {
    const turns: ChatMessage[] = Array.from({ length: 10_000 }, (_, i) =>
      i % 2 ? { role: "assistant", content: "Sure, here is more." } : { role: "user", content: i % 3 ? "and then?" : [{ type: "text", text: "ok, and?" }] },
    );
    const router = createRouter({ longPromptTokens: 1_000_000_000 });
    router.route(turns);
    route(turns);
    expect(bestOf5(() => expect(route(turns).domain).toBe("multimodal_expert"))).toBeLessThan(5);
    expect(bestOf5(() => expect(router.route(turns).reasons.join(" ")).toMatch(/follow-up/))).toBeLessThan(5);
  });

  it("routes a 1 MB last message under a huge threshold in bounded time, with a reason", () => {
    const router = createRouter({ longPromptTokens: 1_000_000_000 });
    const big = "and what about this part? ".repeat(40_000);
    const messages = convo("Write a C function that copies a file.", "Use fopen/fread/fwrite...", big);
    router.route(messages);
    expect(bestOf5(() => expect(router.route(messages).reasons.length).toBeGreaterThan(0))).toBeLessThan(20);
  });
});
