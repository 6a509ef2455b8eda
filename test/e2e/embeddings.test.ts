// Embeddings end to end: the real server with the real engine, queried with the official `openai`
// SDK (`embeddings.create()` without encoding_format asks for base64 and decodes little-endian
// float32; with `float` it gets numbers), model selection by expert name, and 400s naming the problem.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../lib/engine/index.js";
import { packageRoot } from "../../lib/native.js";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";
import { DIMS, buildModel } from "../fixtures/recipes.js";

const MODEL = join(packageRoot, "..", "shared", "models", "stories260K.gguf");
const present = existsSync(MODEL);
if (!present) console.warn(`embeddings e2e: ${MODEL} is absent; skipping`);

const TEXTS = ["Once upon a time there was a little girl.", "The cat sat on the mat"];

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

describe.skipIf(!present)("embeddings through the openai SDK", () => {
  const dir = mkdtempSync(join(tmpdir(), "capibara-embeddings-"));
  let system: CapibaraSystem;
  let server: RunningServer;
  let client: OpenAI;
  const sent: unknown[] = [];
  let randomPath: string;

  beforeAll(async () => {
    randomPath = await buildModel("llama", "f32");
    const experts = [
      { name: "chat", domain: "general", priority: 1, model_path: randomPath, n_ctx: 256, n_threads: 1 },
      { name: "stories", domain: "stories", priority: 2, model_path: MODEL, n_ctx: 256, n_threads: 1, embeddings: true },
    ];
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ experts }));
    system = await createSystem(file);
    server = await startServer(system, { port: 0 });
    // Records the bodies the SDK sends, to see which encoding it asked for.
    const recording: typeof fetch = (input, init) => {
      if (typeof init?.body === "string") sent.push(JSON.parse(init.body));
      return fetch(input, init);
    };
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0, fetch: recording });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown) => fetch(`${server.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("create() without encoding_format gets base64, decoded to the same vectors as float, from the embeddings expert", async () => {
    const b64 = await client.embeddings.create({ model: "auto", input: TEXTS });
    expect(sent.at(-1)).toMatchObject({ encoding_format: "base64" });
    const flt = await client.embeddings.create({ model: "auto", input: TEXTS, encoding_format: "float" });
    expect(b64.model).toBe("stories");
    expect(b64.data.map((d) => d.index)).toEqual([0, 1]);
    const local = await loadModel(MODEL, { threads: 1, contextSize: 256 });
    try {
      const ref = await local.embed(TEXTS);
      const tokens = TEXTS.reduce((n, t) => n + local.tokenize(t).length, 0);
      expect(b64.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
      for (let i = 0; i < TEXTS.length; i++) {
        const a = b64.data[i]!.embedding;
        const f = flt.data[i]!.embedding;
        expect(a).toHaveLength(local.info.embeddingSize);
        // base64 carries the float32 bits exactly; JSON numbers print them exactly too.
        expect(a).toEqual(Array.from(ref[i]!));
        expect(f).toEqual(Array.from(ref[i]!));
        expect(Math.hypot(...a)).toBeCloseTo(1, 5);
      }
      expect(cosine(b64.data[0]!.embedding, b64.data[1]!.embedding)).toBeLessThan(0.999);
    } finally {
      await local.close();
    }
  }, 60_000);

  it("a single string and token-id arrays (LangChain's form) embed; model picks the expert", async () => {
    const one = await client.embeddings.create({ model: "stories", input: TEXTS[0]!, encoding_format: "float" });
    expect(one.data).toHaveLength(1);
    const local = await loadModel(MODEL, { threads: 1, contextSize: 256 });
    const ids = local.tokenize(TEXTS[0]!);
    await local.close();
    const byIds = await client.embeddings.create({ model: "stories", input: [ids], encoding_format: "float" });
    expect(byIds.data[0]!.embedding).toEqual(one.data[0]!.embedding);
    const flat = await client.embeddings.create({ model: "stories", input: ids });
    expect(flat.data[0]!.embedding).toEqual(one.data[0]!.embedding);
    expect(flat.usage.prompt_tokens).toBe(ids.length);
    // A chat expert embeds too, with its own width.
    const chat = await client.embeddings.create({ model: "chat", input: [[1, 5, 9, 33]] });
    expect(chat.model).toBe("chat");
    expect(chat.data[0]!.embedding).toHaveLength(DIMS.nEmbd);
  }, 60_000);

  it("the pooling extension changes the vector", async () => {
    const body = { model: "stories", input: TEXTS[0], encoding_format: "float" };
    const last = (await (await post(body)).json()) as { data: { embedding: number[] }[] };
    const mean = (await (await post({ ...body, pooling: "mean" })).json()) as { data: { embedding: number[] }[] };
    expect(cosine(last.data[0]!.embedding, mean.data[0]!.embedding)).toBeLessThan(0.999);
  });

  it.each([
    ["no input", { model: "stories" }, "input is required"],
    ["an empty string", { model: "stories", input: "" }, "input is an empty string"],
    ["an empty array", { model: "stories", input: [] }, "input is empty"],
    ["an empty token array", { model: "stories", input: [[]] }, "input[0] has no tokens"],
    ["an empty string in a list", { model: "stories", input: ["a", ""] }, "input[1] is an empty string"],
    ["a token id out of range", { model: "stories", input: [[1, 2, 99999]] }, "token id 99999 is outside the vocabulary"],
    ["a negative token id", { model: "stories", input: [1, -3] }, "token id -3 is outside the vocabulary"],
    ["a fractional token id", { model: "stories", input: [[1, 2.5]] }, "input[0][1]: token id 2.5 is not an integer"],
    ["a number as input", { model: "stories", input: 5 }, "input must be a string, an array of strings"],
    ["mixed types", { model: "stories", input: [1, "a"] }, "input[0]: input must be a string"],
    ["an object in the list", { model: "stories", input: [{ text: "a" }] }, "input[0]: input must be a string"],
    ["an unknown encoding", { model: "stories", input: "a", encoding_format: "hex" }, "encoding_format"],
    ["an unknown pooling", { model: "stories", input: "a", pooling: "max" }, "pooling"],
  ])("%s is a 400 naming the problem", async (_name, body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { message: string; type: string } }).error;
    expect(err.type).toBe("invalid_request_error");
    expect(err.message).toContain(message);
  });

  it("an unknown model is a 404", async () => {
    const res = await post({ model: "nope", input: "a" });
    expect(res.status).toBe(404);
  });
});

describe("without an embeddings expert", () => {
  it("model omitted or auto is a 400 saying how to choose one; a remote expert is a 400", async () => {
    const path = await buildModel("llama", "f32");
    // Port 9 (discard) refuses: the remote expert is only there to be named.
    const far = { name: "far", domain: "remote", url: "http://127.0.0.1:9/v1" };
    const system = await createSystem({ experts: [{ name: "chat", domain: "general", model_path: path, n_ctx: 256, n_threads: 1 }, far] });
    const server = await startServer(system, { port: 0 });
    try {
      for (const model of [undefined, "auto"]) {
        const res = await fetch(`${server.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, input: "a" }) });
        expect(res.status).toBe(400);
        const err = ((await res.json()) as { error: { message: string; param: string } }).error;
        expect(err.message).toContain('"embeddings": true');
        expect(err.param).toBe("model");
      }
      const remote = await fetch(`${server.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "far", input: "a" }) });
      expect(remote.status).toBe(400);
      expect(((await remote.json()) as { error: { message: string } }).error.message).toContain("expert far is remote");
      const ok = await fetch(`${server.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "chat", input: [[1, 2, 3]] }) });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
