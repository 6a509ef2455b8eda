/**
 * Reading a remote's OpenAI event stream (`text/event-stream`) as it arrives.
 * @module
 */
import { StringDecoder } from "node:string_decoder";
import { UpstreamError } from "./remote-errors.js";

/** Upstream stream chunk fields we read (OpenAI chat or text completion chunks). */
export interface UpstreamChunk {
  choices?: Array<{ delta?: { content?: string | null }; text?: string; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

/** Where the bytes come from: paused while parsed events wait for the consumer. */
export interface ByteSource {
  pause(): void;
  resume(): void;
  isPaused(): boolean;
}

/** Parsed events that may wait for the consumer before the response is paused. */
const SSE_QUEUE_MAX = 8;

/** Where the first event of `buf` ends (its blank line), or -1; the search for CRLF line ends only runs when there is a CR. */
const eventEnd = (buf: string): number => (buf.includes("\r") ? buf.search(/\r?\n\r?\n/) : buf.indexOf("\n\n"));

/**
 * The JSON of an SSE byte stream's `data:` fields, parsed as the bytes arrive. A push parser fed
 * by the connection (`write`, `end`, `fail`) rather than an async iterator over a stream: a
 * proxied chunk then costs one promise, not three. The source is paused while a few parsed
 * events wait, so a slow consumer still slows the remote (back-pressure). Ends at `[DONE]`; what
 * follows is dropped.
 */
export class SseEvents {
  private buf = "";
  private readonly decoder = new StringDecoder("utf8");
  private readonly queue: UpstreamChunk[] = [];
  private finished = false;
  private failed: Error | null = null;
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(private readonly source: ByteSource) {}

  /** The stream ended (after `[DONE]`, or too early: then `next()` throws). */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** The connection failed: `next()` throws `err` once the events before it are taken. */
  fail(err: Error): void {
    this.failed ??= err;
    this.wake?.();
  }

  /** Parses the next bytes of the stream. */
  write(bytes: Buffer): void {
    if (this.finished || this.failed) return;
    const text = this.decoder.write(bytes);
    // A byte order mark may open the stream (SSE ignores it); none can start a later event.
    this.buf += this.buf === "" && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    for (let end = eventEnd(this.buf); end >= 0 && !this.finished; end = eventEnd(this.buf)) {
      const event = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + (this.buf[end] === "\r" ? 4 : 2));
      try {
        this.add(event);
      } catch (err) {
        this.failed = err as Error;
        break;
      }
    }
    if (this.queue.length >= SSE_QUEUE_MAX || this.failed) this.source.pause();
    this.wake?.();
  }

  private add(event: string): void {
    // The usual event is one `data: {...}` line; others are joined as the SSE format says.
    const data = event.startsWith("data: ") && !event.includes("\n")
      ? event.slice(6)
      : event
          .split(/\r?\n/)
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
    if (data === "") return;
    if (data === "[DONE]") {
      this.finished = true;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new UpstreamError(502, `upstream sent an event that is not JSON: ${data.slice(0, 80)}`);
    }
    if (parsed === null || typeof parsed !== "object") throw new UpstreamError(502, `upstream sent an event that is not an object: ${data.slice(0, 80)}`);
    this.queue.push(parsed as UpstreamChunk);
  }

  /** The next event, or null after `[DONE]`; throws when the stream fails or ends before `[DONE]`. */
  async next(): Promise<UpstreamChunk | null> {
    for (;;) {
      const value = this.queue.shift();
      if (value !== undefined) return value;
      if (this.finished) return null;
      if (this.failed) throw this.failed;
      if (this.ended) throw new UpstreamError(502, "upstream stream ended before [DONE]");
      if (this.source.isPaused()) this.source.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
