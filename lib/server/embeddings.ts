/**
 * `POST /v1/embeddings`: OpenAI's embeddings endpoint over a local expert. `input` is a string, an
 * array of strings, token ids or an array of token-id arrays (LangChain sends those);
 * `encoding_format` is `float` or `base64` (little-endian float32, the OpenAI SDK's default).
 * Without `model` (or with `auto`) the first expert marked `"embeddings": true` serves.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { LocalExpertConfig } from "../config/index.js";
import type { CapibaraSystem } from "../system.js";
import { BadRequestError, toHttpError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import { parseBody } from "./openai.js";

const EmbeddingRequestSchema = z.object({
  input: z.unknown().optional(),
  model: z.string().nullish(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  /** Extension: overrides the pooling the file declares. */
  pooling: z.enum(["mean", "cls", "last"]).nullish(),
  user: z.string().nullish(),
});

/** The inputs of a request: strings or token-id arrays, each non-empty. */
function inputsOf(input: unknown): (string | number[])[] {
  const shape = "input must be a string, an array of strings, an array of token ids or an array of token-id arrays";
  const isTokens = (v: unknown): v is number[] => Array.isArray(v) && v.every((t) => typeof t === "number");
  let items: unknown[];
  if (typeof input === "string") items = [input];
  else if (isTokens(input) && input.length > 0) items = [input];
  else if (Array.isArray(input)) items = input;
  else throw new BadRequestError(input === undefined ? "input is required" : shape, "input");
  if (items.length === 0) throw new BadRequestError("input is empty", "input");
  return items.map((item, i) => {
    const param = items.length === 1 && !Array.isArray(input) ? "input" : `input[${i}]`;
    if (typeof item === "string") {
      if (item.length === 0) throw new BadRequestError(`${param} is an empty string`, "input");
      return item;
    }
    if (!isTokens(item)) throw new BadRequestError(`${param}: ${shape}`, "input");
    if (item.length === 0) throw new BadRequestError(`${param} has no tokens`, "input");
    const bad = item.findIndex((t) => !Number.isInteger(t));
    if (bad >= 0) throw new BadRequestError(`${param}[${bad}]: token id ${item[bad]} is not an integer`, "input");
    return item;
  });
}

/** The expert a request names, or the first embeddings expert for none/`auto`. */
function expertFor(system: CapibaraSystem, model: string | null | undefined): LocalExpertConfig {
  let expert;
  if (!model || model === "auto") {
    expert = system.config.experts.find((e) => e.embeddings);
    if (!expert) throw new BadRequestError('no expert is marked "embeddings": true in the config; name an expert in model', "model");
  } else {
    expert = system.registry.get(model);
  }
  if (system.remotes.has(expert.name)) throw new BadRequestError(`expert ${expert.name} is remote; embeddings run on local experts only`, "model");
  return expert as LocalExpertConfig;
}

/** Little-endian float32 bytes, base64 (what the OpenAI SDK decodes). */
function base64Of(v: Float32Array): string {
  const bytes = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) bytes.writeFloatLE(v[i]!, i * 4);
  return bytes.toString("base64");
}

/** Registers `POST /v1/embeddings`. */
export function registerEmbeddingRoutes(app: FastifyInstance, system: CapibaraSystem, metrics: ServerMetrics): void {
  app.post("/v1/embeddings", async (request, reply) => {
    const t0 = performance.now();
    let expertName = "none";
    let status = 200;
    try {
      const body = parseBody(EmbeddingRequestSchema, request.body);
      const inputs = inputsOf(body.input);
      const expert = expertFor(system, body.model);
      expertName = expert.name;
      // A client that leaves while the request waits for a slot or a load gives its place up.
      const ac = new AbortController();
      reply.raw.on("close", () => {
        if (!reply.raw.writableFinished) ac.abort();
      });
      const lease = await system.loader.acquire(expert.name, ac.signal);
      try {
        const m = lease.model;
        const seqs = inputs.map((input, i) => {
          const ids = typeof input === "string" ? m.tokenize(input) : input;
          const bad = ids.find((t) => t < 0 || t >= m.info.vocabSize);
          if (bad !== undefined) throw new BadRequestError(`input[${i}]: token id ${bad} is outside the vocabulary of ${expert.name} (size ${m.info.vocabSize})`, "input");
          if (ids.length > m.info.trainContextSize)
            throw new BadRequestError(`input[${i}] has ${ids.length} tokens, more than the context length ${m.info.trainContextSize} of ${expert.name}`, "input");
          return ids;
        });
        const vectors = await m.embed(seqs, body.pooling ? { pooling: body.pooling } : {});
        const tokens = seqs.reduce((n, s) => n + s.length, 0);
        return {
          object: "list",
          data: vectors.map((v, index) => ({ object: "embedding", index, embedding: body.encoding_format === "base64" ? base64Of(v) : Array.from(v) })),
          model: expert.name,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        };
      } finally {
        lease.release();
      }
    } catch (err) {
      status = toHttpError(err).status;
      throw err;
    } finally {
      metrics.observeRequest("embeddings", expertName, status, (performance.now() - t0) / 1000);
    }
  });
}
