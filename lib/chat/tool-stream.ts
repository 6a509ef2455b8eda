/**
 * An incremental scanner over the JSON of tool calls as the model writes them: it tracks depth,
 * strings and keys to find where each call's name is and where its arguments object starts and
 * ends, so the arguments can stream as they grow (exactly their text, nothing of the family's
 * wrapper). One scanner serves every family; only the call's depth and key names differ.
 * @module
 * @internal
 */
import type { CallShape } from "./tools.js";

/** What one {@link CallScanner.feed} found: a call whose arguments opened, or a piece of its arguments. */
export type ScanEvent = { index: number; name: string; open: true } | { index: number; text: string; open?: undefined };

/** A call as scanned so far (`args`: the text of its arguments object; `done` once it closed). */
export interface ScannedCall {
  name: string;
  args: string;
  done: boolean;
}

interface Frame {
  obj: boolean;
  expectKey: boolean;
  key: string | null;
}

const decode = (raw: string): string | undefined => {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
};

export class CallScanner {
  /** Calls whose arguments opened, in order. */
  readonly calls: ScannedCall[] = [];
  #stack: Frame[] = [];
  #inString = false;
  #escape = false;
  #raw = "";
  #isKey = false;
  #name: string | undefined;  // name of the call object being read
  #argsDepth = 0;             // depth of the open arguments object; 0 when none

  constructor(private readonly shape: CallShape) {}

  /** Scans more text; returns the calls opened and argument pieces it brings, in order. */
  feed(text: string): ScanEvent[] {
    const events: ScanEvent[] = [];
    let piece = "";
    const flush = () => {
      if (piece) events.push({ index: this.calls.length - 1, text: piece });
      piece = "";
    };
    for (const c of text) {
      const top = this.#stack[this.#stack.length - 1];
      // Text between JSON values (tags, fences, newlines) is not JSON: only an opening bracket counts.
      if (!top && c !== "{" && c !== "[") continue;
      if (this.#argsDepth) piece += c;
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === "\\") this.#escape = true;
        else if (c === '"') {
          this.#inString = false;
          const value = decode(this.#raw);
          if (this.#isKey) top!.key = value ?? null;
          else if (this.#stack.length === this.shape.depth && top!.key === this.shape.nameKey) this.#name = value;
          continue;
        }
        this.#raw += c;
        continue;
      }
      if (c === '"') {
        this.#inString = true;
        this.#raw = "";
        this.#isKey = !!top?.obj && top.expectKey;
      } else if (c === "{" || c === "[") {
        const parentIsCall = this.#stack.length === this.shape.depth && top?.obj && top.key === this.shape.argsKey;
        this.#stack.push({ obj: c === "{", expectKey: c === "{", key: null });
        if (this.#stack.length === this.shape.depth && c === "{") this.#name = undefined;
        if (parentIsCall && c === "{" && !this.#argsDepth && this.#name !== undefined) {
          flush();
          this.calls.push({ name: this.#name, args: "", done: false });
          events.push({ index: this.calls.length - 1, name: this.#name, open: true });
          this.#argsDepth = this.#stack.length;
          piece = c;
        }
      } else if (c === "}" || c === "]") {
        const closing = this.#stack.length === this.#argsDepth;
        this.#stack.pop();
        if (closing) {
          this.#argsDepth = 0;
          flush();
          this.calls[this.calls.length - 1]!.done = true;
        }
      } else if (c === ":" && top?.obj) top.expectKey = false;
      else if (c === "," && top?.obj) top.expectKey = true;
    }
    flush();
    for (const e of events) if (!e.open) this.calls[e.index]!.args += e.text;
    return events;
  }
}
