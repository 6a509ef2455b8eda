/**
 * Grammars bound to a tokenizer: the vocabulary trie is built once per tokenizer (off the event
 * loop), compiled grammars are cached by text. Also a matcher stepped from JS (tests, bench).
 * @module
 * @internal
 */
import { native, type NativeCompiledGrammarHandle, type NativeGrammarMatcherHandle, type NativeGrammarVocabHandle } from "../native.js";
import type { Tokenizer } from "../tokenizer/index.js";

const CACHE_ENTRIES = 32;

/** Compiled grammars of one tokenizer. */
export class GrammarCache {
  #vocab: Promise<NativeGrammarVocabHandle> | undefined;
  readonly #compiled = new Map<string, NativeCompiledGrammarHandle>();

  constructor(private readonly tokenizer: Tokenizer) {}

  /** The grammar compiled for this vocabulary (GrammarError for an invalid text). */
  async get(gbnf: string): Promise<NativeCompiledGrammarHandle> {
    const hit = this.#compiled.get(gbnf);
    if (hit) {
      this.#compiled.delete(gbnf);  // most recently used last
      this.#compiled.set(gbnf, hit);
      return hit;
    }
    this.#vocab ??= native().grammar.vocabulary(this.tokenizer.nativeHandle);
    const g = native().grammar.compile(await this.#vocab, gbnf);
    this.#compiled.set(gbnf, g);
    if (this.#compiled.size > CACHE_ENTRIES) this.#compiled.delete(this.#compiled.keys().next().value!);
    return g;
  }
}

/** Parses a GBNF text; throws GrammarError naming the problem. */
export function checkGbnf(gbnf: string): void {
  native().grammar.check(gbnf);
}

/** A grammar matcher driven token by token. */
export class GrammarMatcher {
  readonly #m: NativeGrammarMatcherHandle;
  /** Scratch bitmask, ceil(vocabulary / 32) words. */
  readonly mask: Uint32Array;

  constructor(grammar: NativeCompiledGrammarHandle, vocabSize: number) {
    this.#m = native().grammar.matcher(grammar);
    this.mask = new Uint32Array(Math.ceil(vocabSize / 32));
  }

  allows(token: number): boolean {
    return native().grammar.matcherAllows(this.#m, token);
  }

  /** Advances; GrammarError (GRAMMAR_DEAD_END) when the token is not allowed. */
  accept(token: number): void {
    native().grammar.matcherAccept(this.#m, token);
  }

  /** Fills {@link mask}; returns the number of allowed tokens. */
  computeMask(): number {
    return native().grammar.matcherMask(this.#m, this.mask);
  }

  /** Tokens the grammar forces next (not yet accepted). */
  forced(max: number): number[] {
    return Array.from(native().grammar.matcherForced(this.#m, max));
  }

  /**
   * Accepts `tokens`, timing each step in native code (thread CPU time, ns): the full mask first
   * when `fullMask`, else only the check. For the bench.
   */
  timedWalk(tokens: Int32Array, fullMask: boolean): Float64Array {
    return native().grammar.matcherTimedWalk(this.#m, tokens, fullMask);
  }

  get accepting(): boolean {
    return native().grammar.matcherState(this.#m).accepting;
  }

  get complete(): boolean {
    return native().grammar.matcherState(this.#m).complete;
  }
}
