/**
 * `continueFinalMessage` with the real engine on a real trained model (stories260K, with its chat
 * template): a greedy answer cut after any of its chunks and given back as the final assistant
 * message continues exactly as the uncut answer went on, with no new turn opened and nothing
 * repeated. This is what a local expert does when it takes over a remote's answer mid-stream.
 * Skipped with a message when ../shared/models/stories260K.gguf is absent.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadModel, type ChatMessage, type Model } from "../../lib/index.js";

const STORIES = join(import.meta.dirname, "../../../shared/models/stories260K.gguf");
if (!existsSync(STORIES)) console.warn(`${STORIES} is absent: the continueFinalMessage test on a real model is skipped`);

describe.skipIf(!existsSync(STORIES))("continueFinalMessage (stories260K)", () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(STORIES, { threads: 2, contextSize: 256 });
  });
  afterAll(() => model?.close());

  const ask: ChatMessage[] = [{ role: "user", content: "Tell me a story about a dog" }];
  const greedy = { temperature: 0, ignoreEos: true };
  const pieces = async (messages: ChatMessage[], maxTokens: number, continueFinalMessage = false): Promise<string[]> => {
    const out: string[] = [];
    for await (const c of model.generate(messages, { ...greedy, maxTokens, continueFinalMessage })) out.push(c.text);
    return out;
  };

  test("an answer cut after any chunk continues as the uncut one did", async () => {
    const whole = await pieces(ask, 48);
    expect(whole.length).toBeGreaterThan(2);
    const text = whole.join("");
    for (let k = 1; k < whole.length; k++) {
      const before = whole.slice(0, k).join("");
      const rest = (await pieces([...ask, { role: "assistant", content: before }], 48, true)).join("");
      expect(rest.length, `cut after chunk ${k}`).toBeGreaterThan(0);
      // The continuation may run past the uncut answer's end (its token budget is its own).
      const joined = before + rest;
      const n = Math.min(text.length, joined.length);
      expect(joined.slice(0, n), `cut after chunk ${k}`).toBe(text.slice(0, n));
    }
  });

  test("the final message must be an assistant one", () => {
    expect(() => model.generate(ask, { ...greedy, maxTokens: 4, continueFinalMessage: true })).toThrow(/not an assistant one/);
  });
});
