/**
 * A generation with tools: text streams through until the family's tool-call start appears (where
 * the native sampler's lazy grammar takes over), or, when the output is constrained to calls or to
 * the generic JSON format from the first token, nothing streams; from there the text is held and
 * parsed at the end into chunks' `toolCalls`.
 * @module
 * @internal
 */
import { toToolCalls, type ToolPlan } from "../chat/tools.js";
import type { Generation, GenerationStats, TokenChunk } from "./types.js";

export class ToolCallGeneration implements Generation {
  readonly stats: Promise<GenerationStats>;
  #calls = 0;
  #counted!: () => void;

  constructor(
    private readonly inner: Generation,
    private readonly plan: Pick<ToolPlan, "grammar" | "lazy" | "start" | "parse">,
  ) {
    const counted = new Promise<void>((r) => (this.#counted = r));
    this.stats = inner.stats.then(async (s) => {
      await counted;
      return { ...s, toolCalls: this.#calls };
    });
    this.stats.catch(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TokenChunk> {
    const start = this.plan.start;
    const whole = (this.plan.grammar !== undefined && !this.plan.lazy) || start === null;
    let held = "";      // text not yet emitted
    let inCall = whole;  // the start was seen: everything from it on is parsed at the end
    try {
      for await (const chunk of this.inner) {
        held += chunk.text;
        let text = "";
        if (!inCall && start !== null) {
          const i = held.indexOf(start);
          if (i >= 0) {
            text = held.slice(0, i);
            held = held.slice(i);
            inCall = true;
          } else {
            // Keep a tail that may be the beginning of the start string.
            let keep = Math.min(start.length - 1, held.length);
            while (keep > 0 && !held.endsWith(start.slice(0, keep))) keep--;
            text = held.slice(0, held.length - keep);
            held = held.slice(held.length - keep);
          }
        }
        yield { text, tokens: chunk.tokens };
      }
      if (!inCall) {
        if (held) yield { text: held, tokens: [] };
        return;
      }
      const { content, calls } = this.plan.parse(held);
      this.#calls = calls.length;
      yield { text: content, tokens: [], ...(calls.length ? { toolCalls: toToolCalls(calls) } : {}) };
    } finally {
      this.#counted();
    }
  }
}
