/**
 * One running generation as an async iterable of chunks: native token events go through a bounded
 * queue; consuming a chunk acknowledges its tokens so the native thread resumes (back-pressure).
 * Text is decoded incrementally (whole UTF-8 characters only) and stop strings are cut here.
 * @module
 * @internal
 */
import { AbortError } from "../errors.js";
import type { NativeGenerateEvent } from "../native.js";
import type { StreamDecoder } from "../tokenizer/index.js";
import type { Generation, GenerationStats, StopReason, TokenChunk } from "./types.js";

/** The native side of a generation, as the iterator sees it. */
export interface GenerationDriver {
  /** Registers the event listener (called once, before any event). */
  listen(onEvent: (e: NativeGenerateEvent) => void): void;
  /** Acknowledges `n` consumed tokens. */
  consumed(n: number): void;
  /** Asks the native thread to stop (between tokens / layers). */
  abort(): void;
}

/** Text handling of a generation. */
export interface GenerationText {
  decoder: StreamDecoder;
  stop: readonly string[];
  signal?: AbortSignal | undefined;
}

type Item = { chunk: TokenChunk; tokens: number } | { end: true } | { error: Error };

export class GenerationImpl implements Generation {
  readonly stats: Promise<GenerationStats>;
  #resolveStats!: (s: GenerationStats) => void;
  #rejectStats!: (e: Error) => void;
  readonly #queue: Item[] = [];
  #wake: (() => void) | undefined;
  #held = "";            // decoded text not yet emitted: it may start a stop string
  #stopped = false;      // a stop string matched; later tokens are dropped
  #ended = false;

  constructor(
    private readonly d: GenerationDriver,
    private readonly t: GenerationText,
  ) {
    this.stats = new Promise((res, rej) => {
      this.#resolveStats = res;
      this.#rejectStats = rej;
    });
    this.stats.catch(() => undefined);  // a caller that only iterates must not see an unhandled rejection
    const onAbort = () => d.abort();
    t.signal?.addEventListener("abort", onAbort, { once: true });
    this.stats.finally(() => t.signal?.removeEventListener("abort", onAbort)).catch(() => undefined);
    d.listen((e) => this.#onEvent(e));
    if (t.signal?.aborted) d.abort();
  }

  #push(item: Item): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  /** Emits the text that can no longer be part of a stop string; cuts at the first stop string. */
  #text(piece: string, final: boolean): string {
    this.#held += piece;
    let cut = -1;
    for (const s of this.t.stop) {
      const i = this.#held.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      const out = this.#held.slice(0, cut);
      this.#held = "";
      this.#stopped = true;
      this.d.abort();
      return out;
    }
    // Keep the longest suffix that is a prefix of some stop string.
    let keep = 0;
    if (!final)
      for (const s of this.t.stop)
        for (let k = Math.min(s.length - 1, this.#held.length); k > keep; k--)
          if (this.#held.endsWith(s.slice(0, k))) {
            keep = k;
            break;
          }
    const out = this.#held.slice(0, this.#held.length - keep);
    this.#held = this.#held.slice(this.#held.length - keep);
    return out;
  }

  #onEvent(e: NativeGenerateEvent): void {
    // This runs inside a native callback: an exception here must become the iterator's error, not
    // an uncaught one (e.g. a token id the tokenizer does not know).
    try {
      this.#handle(e);
    } catch (err) {
      this.d.abort();
      this.#push({ error: err as Error });
      this.#rejectStats(err as Error);
    }
  }

  #handle(e: NativeGenerateEvent): void {
    if (e.kind === "tokens") {
      const tokens = Array.from(e.tokens);
      if (this.#stopped) {
        this.d.consumed(tokens.length);
        return;
      }
      let text = "";
      for (const t of tokens) text += this.t.decoder.push(t);
      this.#push({ chunk: { text: this.#text(text, false), tokens }, tokens: tokens.length });
      return;
    }
    this.#ended = true;
    if (e.kind === "error") {
      this.#rejectStats(e.error);
      this.#push({ error: e.error });
      return;
    }
    const tail = this.#stopped ? "" : this.#text(this.t.decoder.flush(), true);
    if (tail) this.#push({ chunk: { text: tail, tokens: [] }, tokens: 0 });
    const reason: StopReason = this.#stopped ? "stop" : e.stopReason;
    // Aborted through the signal: AbortError. Left early by the consumer: stats say "aborted".
    if (reason === "aborted" && this.t.signal?.aborted) {
      const err = new AbortError("ABORTED", "generation aborted");
      this.#rejectStats(err);
      this.#push({ error: err });
      return;
    }
    this.#resolveStats({
      promptTokens: e.promptTokens,
      cachedPromptTokens: e.cachedPromptTokens,
      generatedTokens: e.generatedTokens,
      prefillTokensPerSecond: e.prefillMs > 0 ? ((e.promptTokens - e.cachedPromptTokens) * 1000) / e.prefillMs : 0,
      decodeTokensPerSecond: e.decodeMs > 0 ? (e.generatedTokens * 1000) / e.decodeMs : 0,
      stopReason: reason,
    });
    this.#push({ end: true });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TokenChunk> {
    try {
      for (;;) {
        const item = this.#queue.shift();
        if (!item) {
          await new Promise<void>((r) => (this.#wake = r));
          this.#wake = undefined;
          continue;
        }
        if ("end" in item) return;
        if ("error" in item) throw item.error;
        this.d.consumed(item.tokens);
        if (item.chunk.text || item.chunk.tokens.length) yield item.chunk;
      }
    } finally {
      // The consumer left early (break/return/throw): stop the native side; stats still settle.
      if (!this.#ended) {
        this.d.abort();
        this.d.consumed(Number.MAX_SAFE_INTEGER);
      }
    }
  }
}
