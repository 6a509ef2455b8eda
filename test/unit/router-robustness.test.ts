import { describe, expect, it } from "vitest";
import { CapibaraError } from "../../lib/errors.js";
import { createRouter, DOMAINS, route, RouterInputError, type ChatMessage, type ContentPart } from "../../lib/router/index.js";

const user = (content: ChatMessage["content"]): ChatMessage[] => [{ role: "user", content }];

describe("router robustness", () => {
  it("routes empty content and null content to general", () => {
    for (const messages of [user(""), user("   "), user(null), user([])] as ChatMessage[][]) {
      const d = route(messages);
      expect(d.domain).toBe("general");
      expect(d.reasons).toContain("empty message");
    }
  });

  it("routes a conversation without user messages to general", () => {
    const onlyAssistant: ChatMessage[] = [
      { role: "assistant", content: "Here is the function you asked for: def f(): pass" },
      { role: "assistant", content: "Anything else?" },
    ];
    for (const messages of [[], [{ role: "system", content: "Be brief." }], onlyAssistant] as ChatMessage[][]) {
      const d = route(messages);
      expect(d.domain).toBe("general");
      expect(d.reasons).toEqual(["no user message"]);
    }
  });

  it("routes a message that is only an image to the multimodal expert", () => {
    // A bare URL string, as untyped (JSON) callers may send it.
    const d = route(user([{ type: "image_url", image_url: "https://example.com/cat.png" }] as unknown as ContentPart[]));
    expect(d.domain).toBe("multimodal_expert");
  });

  it("routes a conversation of images only to the multimodal expert", () => {
    const img = { type: "image_url", image_url: { url: "https://example.com/a.png" } } as const;
    const d = route([{ role: "user", content: [img] }, { role: "assistant", content: "A cat." }, { role: "user", content: [img, img] }]);
    expect(d.domain).toBe("multimodal_expert");
    expect(d.reasons).toEqual(["contains 3 images"]);
  });

  it("joins the text parts of a content array", () => {
    const d = route(user([{ type: "text", text: "Write a Rust function" }, { type: "text", text: "that parses a CSV line." }]));
    expect(d.domain).toBe("coding");
  });

  it("never throws anything but RouterInputError, whatever the input (seeded fuzz)", () => {
    let seed = 7;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const texts = ["", " ", "and?", "Danke", "Write a regex", "```js\nx()\n```", "🙂", "\u0000", "¿y?", "x".repeat(3000), "什么", null, 42, undefined];
    const part = (): unknown => pick([{ type: "text", text: pick(texts) }, { type: "image_url", image_url: { url: "u" } }, { type: "image_url", image_url: "u" }, { type: "input_audio" }, { type: 5 }, null, "text", { type: "text" }]);
    const message = (): unknown => pick([
      { role: pick(["user", "assistant", "system", "tool", 3, undefined]), content: pick(texts) },
      { role: "user", content: Array.from({ length: Math.floor(rnd() * 4) }, part) },
      { role: "user" },
      null,
      "hi",
    ]);
    for (let i = 0; i < 2000; i++) {
      const messages = Array.from({ length: Math.floor(rnd() * 6) }, message);
      const options = pick([undefined, {}, { previous: { domain: pick(["coding", "general", "nope"]) } }, { longPromptTokens: pick([1, 10, -1, 1e9]) }]);
      try {
        const d = route(messages as ChatMessage[], options as never);
        expect(DOMAINS).toContain(d.domain);
        expect(d.reasons.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(RouterInputError);
      }
    }
  });

  it("ignores unknown part types", () => {
    const d = route(user([{ type: "input_audio", input_audio: { data: "", format: "wav" } }, { type: "text", text: "Write a haiku about rain." }] as unknown as ContentPart[]));
    expect(d.domain).toBe("general");
  });

  // Best of a few runs, each on a fresh input, in CPU time: the bound is on the router's work, not
  // on the scheduler of a shared CI machine.
  const cpuMs = (f: () => void): number => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  const bestOf = (runs: number, make: (i: number) => string): number => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < runs; i++) {
      const text = make(i);
      best = Math.min(best, cpuMs(() => expect(route(user(text)).domain).toBe("multimodal_expert")));
    }
    return best;
  };

  it("routes 1 MB of text in under 20 ms", () => {
    route(user("warm up"));
    const ms = bestOf(5, (i) => `Report ${i}: ` + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(18_500));
    expect(ms).toBeLessThan(20);
  });

  it("routes 1 MB of text without spaces or newlines in under 20 ms", () => {
    expect(bestOf(5, (i) => String(i) + "x".repeat(1 << 20))).toBeLessThan(20);
  });

  it("routes a 10,000-message conversation quickly", () => {
    const messages: ChatMessage[] = Array.from({ length: 10_000 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: i % 3 ? "a short turn of the conversation" : [{ type: "text", text: "a part" }],
    }));
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) best = Math.min(best, cpuMs(() => expect(route(messages).domain).toBe("multimodal_expert")));
    expect(best).toBeLessThan(50);
  });

  it("copes with lone surrogates, control characters and emoji", () => {
    for (const text of ["\ud800 ¿qué? \udfff", "\u0000\u0007\u001b[31m", "🙂🙂🙂", "\u202e reversed \u202c"]) {
      expect(DOMAINS).toContain(route(user(text)).domain);
    }
  });

  it("decides mixed scripts by the dominant one", () => {
    expect(route(user("What does 你好 mean in English?")).domain).toBe("multilingual_expert");
    expect(route(user("Explain what the Kubernetes scheduler does (簡単に)")).domain).toBe("technical");
    expect(route(user("Explícame qué es un mutex, por favor")).domain).toBe("technical");
    expect(route(user("这个 Python 函数为什么报错？ def f(): return x")).domain).toBe("multilingual_expert");
  });

  it("is not flipped by a system message in another language", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "Du bist ein hilfreicher Assistent. Antworte immer auf Deutsch." },
      { role: "user", content: "Write a TypeScript function that deduplicates an array." },
    ];
    expect(route(messages).domain).toBe("coding");
    const ru: ChatMessage[] = [
      { role: "system", content: "Ты полезный помощник." },
      { role: "user", content: "¿Qué es el protocolo ARP?" },
    ];
    expect(route(ru).domain).toBe("technical");
  });

  it("ignores code and quoted phrases when identifying the language", () => {
    expect(route(user("Why does this fail?\n```python\nprint('Bonjour tout le monde, ça va très bien')\n```")).domain).toBe("coding");
    expect(route(user("¿Por qué falla `Console.WriteLine(\"Guten Tag\")` en mi programa?")).domain).toBe("coding");
  });

  it.each([
    ["not an array", "hello"],
    ["a message that is not an object", ["hello"]],
    ["a message without role", [{ content: "hi" }]],
    ["content of a wrong type", [{ role: "user", content: 42 }]],
    ["a part without type", [{ role: "user", content: [{ text: "hi" }] }]],
    ["a text part without text", [{ role: "user", content: [{ type: "text" }] }]],
    ["an image part without url", [{ role: "user", content: [{ type: "image_url", image_url: {} }] }]],
  ])("rejects %s with ROUTER_BAD_INPUT", (_what, messages) => {
    let err: unknown;
    try {
      route(messages as unknown as ChatMessage[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouterInputError);
    expect(err).toBeInstanceOf(CapibaraError);
    expect((err as RouterInputError).code).toBe("ROUTER_BAD_INPUT");
  });

  it("rejects a bad per-call threshold with ROUTER_BAD_INPUT", () => {
    for (const longPromptTokens of [0, -5, Number.NaN]) {
      expect(() => route(user("hi"), { longPromptTokens })).toThrow(RouterInputError);
    }
  });

  it("stays fast on ordinary requests", () => {
    const router = createRouter();
    const samples = [user("Hola"), user("Write a regex for hex colors"), user("How do heat pumps work?"), user("Merci beaucoup !")];
    for (let i = 0; i < 500; i++) router.route(samples[i % samples.length] as ChatMessage[]);
    // CPU time, not wall time: other processes on a shared CI machine must not fail this test.
    const c0 = process.cpuUsage();
    for (let i = 0; i < 2000; i++) router.route(samples[i % samples.length] as ChatMessage[]);
    const c = process.cpuUsage(c0);
    // Generous bound; `npm run eval:router` reports p50/p99.
    expect((c.user + c.system) / 1000 / 2000).toBeLessThan(1);
  });
});
