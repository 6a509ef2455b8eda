// The gateway's reader of an upstream event stream (lib/registry/sse.ts): event boundaries in any
// line-end style, split across reads, multi-byte characters split between reads, a leading BOM.
import { describe, expect, it } from "vitest";
import { SseEvents, type UpstreamChunk } from "../../lib/registry/sse.js";

/** Feeds `parts` as separate reads of a response and collects the events up to the end. */
async function read(parts: Array<string | Buffer>): Promise<UpstreamChunk[]> {
  let paused = false;
  const events = new SseEvents({ pause: () => (paused = true), resume: () => (paused = false), isPaused: () => paused });
  for (const p of parts) events.write(typeof p === "string" ? Buffer.from(p) : p);
  events.end();
  const out: UpstreamChunk[] = [];
  for (let e = await events.next(); e !== null; e = await events.next()) out.push(e);
  return out;
}

const chunk = (content: string): UpstreamChunk => ({ choices: [{ delta: { content } }] });
const event = (content: string, eol = "\n"): string => `data: ${JSON.stringify(chunk(content))}${eol}${eol}`;

describe("SseEvents", () => {
  it("reads LF, CRLF and mixed line ends, and events split across reads", async () => {
    expect(await read([event("a") + event("b"), event("c", "\r\n"), "data: [DONE]\r\n\r\n"])).toEqual([chunk("a"), chunk("b"), chunk("c")]);
    const whole = event("one") + event("two", "\r\n") + "data: [DONE]\n\n";
    const bytes = Buffer.from(whole);
    // Every split point, so a boundary (or a CR and its LF) falls between two reads somewhere.
    for (let at = 1; at < bytes.length; at++) {
      expect(await read([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([chunk("one"), chunk("two")]);
    }
  });

  it("joins multi-byte characters split between reads and drops a leading byte order mark", async () => {
    const bytes = Buffer.from(`\ufeff${event("héllo ✓ 😀")}data: [DONE]\n\n`);
    const at = bytes.indexOf(Buffer.from("😀")) + 2;
    expect(await read([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([chunk("héllo ✓ 😀")]);
  });

  it("joins the data lines of one event and skips comments and other fields", async () => {
    const multi = `: keep-alive\nevent: message\ndata: {"choices":\ndata: [{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n`;
    expect(await read([multi])).toEqual([chunk("x")]);
  });

  it("fails on an event that is not JSON, and on a stream that ends before [DONE]", async () => {
    await expect(read(["data: {not json\n\n"])).rejects.toThrow(/not JSON/);
    await expect(read([event("a")])).rejects.toThrow(/ended before \[DONE\]/);
  });

  it("pauses its source while events wait for the consumer, and resumes it when they are taken", async () => {
    let paused = false;
    const events = new SseEvents({ pause: () => (paused = true), resume: () => (paused = false), isPaused: () => paused });
    events.write(Buffer.from(Array.from({ length: 10 }, (_, i) => event(String(i))).join("")));
    expect(paused).toBe(true);
    for (let i = 0; i < 10; i++) expect(await events.next()).toEqual(chunk(String(i)));
    const waiting = events.next();
    expect(paused).toBe(false);
    events.write(Buffer.from("data: [DONE]\n\n"));
    expect(await waiting).toBeNull();
  });

  it("reports a connection failure after the events that came before it", async () => {
    let paused = false;
    const events = new SseEvents({ pause: () => (paused = true), resume: () => (paused = false), isPaused: () => paused });
    events.write(Buffer.from(event("a")));
    events.fail(new Error("ECONNRESET"));
    expect(await events.next()).toEqual(chunk("a"));
    await expect(events.next()).rejects.toThrow("ECONNRESET");
  });
});
