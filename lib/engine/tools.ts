/**
 * A generation with tools: text streams through until the family's tool-call start appears (where
 * the native sampler's lazy grammar takes over), or, when the output is constrained to calls or to
 * the generic JSON format from the first token, nothing streams as text. From there a
 * {@link CallScanner} streams each call as it is written, as chunks' `toolCallDeltas`; the held
 * text is parsed at the end into the last chunk's `toolCalls` (same ids, same arguments text).
 * @module
 * @internal
 */
import { newCallId, type ParsedCall, type ToolPlan } from "../chat/tools.js";
import { CallScanner } from "../chat/tool-stream.js";
import type { Generation, GenerationStats, TokenChunk, ToolCall, ToolCallDelta } from "./types.js";

export class ToolCallGeneration implements Generation {
  readonly stats: Promise<GenerationStats>;
  #calls = 0;
  #counted!: () => void;

  constructor(
    private readonly inner: Generation,
    private readonly plan: Pick<ToolPlan, "grammar" | "lazy" | "start" | "parse" | "shape">,
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
    const scanner = new CallScanner(this.plan.shape);
    const ids: string[] = [];
    const scan = (text: string): ToolCallDelta[] =>
      scanner.feed(text).map((e) => {
        if (!e.open) return { index: e.index, function: { arguments: e.text } };
        ids.push(newCallId());
        return { index: e.index, id: ids[e.index]!, type: "function", function: { name: e.name, arguments: "" } };
      });
    const withDeltas = (chunk: TokenChunk, deltas: ToolCallDelta[]): TokenChunk => (deltas.length ? { ...chunk, toolCallDeltas: deltas } : chunk);
    let held = "";      // text not yet emitted
    let inCall = whole;  // the start was seen: everything from it on is scanned, and parsed at the end
    try {
      for await (const chunk of this.inner) {
        let text = "";
        if (inCall) {
          held += chunk.text;
          yield withDeltas({ text, tokens: chunk.tokens }, scan(chunk.text));
          continue;
        }
        held += chunk.text;
        const i = start === null ? -1 : held.indexOf(start);
        let deltas: ToolCallDelta[] = [];
        if (i >= 0) {
          text = held.slice(0, i);
          held = held.slice(i);
          inCall = true;
          deltas = scan(held);
        } else if (start !== null) {
          // Keep a tail that may be the beginning of the start string.
          let keep = Math.min(start.length - 1, held.length);
          while (keep > 0 && !held.endsWith(start.slice(0, keep))) keep--;
          text = held.slice(0, held.length - keep);
          held = held.slice(held.length - keep);
        }
        yield withDeltas({ text, tokens: chunk.tokens }, deltas);
      }
      if (!inCall) {
        if (held) yield { text: held, tokens: [] };
        return;
      }
      const { content, calls } = this.plan.parse(held);
      this.#calls = calls.length;
      const { toolCalls, deltas } = settle(calls, scanner.calls, ids);
      yield withDeltas({ text: content, tokens: [], ...(toolCalls.length ? { toolCalls } : {}) }, deltas);
    } finally {
      this.#counted();
    }
  }
}

/**
 * The final calls from the parse, kept consistent with what streamed: a call the scanner closed
 * keeps its streamed text (the model's compact JSON), a call it did not finish gets the rest of
 * its arguments, and a call it missed is sent whole.
 */
function settle(parsed: readonly ParsedCall[], scanned: CallScanner["calls"], ids: string[]): { toolCalls: ToolCall[]; deltas: ToolCallDelta[] } {
  const deltas: ToolCallDelta[] = [];
  const toolCalls = parsed.map((p, index): ToolCall => {
    const s = scanned[index];
    let args = p.arguments;
    if (s && s.name === p.name) {
      if (s.done) args = s.args;
      else if (args.startsWith(s.args) && args.length > s.args.length) deltas.push({ index, function: { arguments: args.slice(s.args.length) } });
    } else if (!s) {
      ids[index] = newCallId();
      deltas.push({ index, id: ids[index], type: "function", function: { name: p.name, arguments: "" } }, { index, function: { arguments: args } });
    }
    return { id: ids[index]!, type: "function", function: { name: p.name, arguments: args } };
  });
  return { toolCalls, deltas };
}
