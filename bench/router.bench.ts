/**
 * Router latency: `npx vitest bench bench/router.bench.ts`. `npm run eval:router` reports p50/p99
 * over the dev, validation and held-out sets; this bench isolates typical request shapes.
 */
import { bench, describe } from "vitest";
import { createRouter, type ChatMessage } from "../lib/router/index.js";

const router = createRouter();
const user = (content: ChatMessage["content"]): ChatMessage[] => [{ role: "user", content }];
const cases: Record<string, ChatMessage[]> = {
  "short greeting (es)": user("¡Hola! ¿Qué tal?"),
  "short greeting (fr, n-gram detector)": user("Salut, ça va ?"),
  "technical question (en)": user("How does TCP congestion control react to packet loss?"),
  "coding request with a code block": user("Why does this panic?\n```go\nvar m map[string]int\nm[\"a\"] = 1\n```"),
  "image part": user([{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "https://example.com/a.png" } }]),
  "1 MB document": user("The quarterly report shows steady growth in every region. ".repeat(18_000)),
};

describe("route()", () => {
  for (const [name, messages] of Object.entries(cases)) bench(name, () => void router.route(messages));
});
