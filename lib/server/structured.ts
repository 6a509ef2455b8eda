/**
 * Structured output on the OpenAI surface: `response_format` (`text`, `json_object`, `json_schema`
 * with `strict`) and llama-server's `grammar` extension (GBNF), on both completion endpoints.
 * Everything is turned into one GBNF grammar here, so an invalid schema or grammar is a 400 naming
 * the field before any generation is queued.
 * @module
 */
import { z } from "zod";
import { CapibaraError } from "../errors.js";
import { checkGbnf } from "../grammar/compiled.js";
import { JSON_OBJECT_GBNF, jsonSchemaToGbnf } from "../grammar/json-schema.js";
import { BadRequestError } from "./errors.js";

const SchemaValue = z.union([z.record(z.string(), z.unknown()), z.boolean()]);

/** `response_format` as OpenAI defines it (llama-server also takes a `schema` on `json_object`). */
export const ResponseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object"), schema: SchemaValue.nullish() }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().nullish(),
      description: z.string().nullish(),
      schema: SchemaValue.nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** Request fields of both endpoints for structured output. */
export const structuredFields = {
  response_format: ResponseFormatSchema.nullish(),
  /** GBNF grammar (llama-server extension). */
  grammar: z.string().nullish(),
};

type Structured = { response_format?: z.output<typeof ResponseFormatSchema> | null; grammar?: string | null };

function checked(gbnf: string, param: string): string {
  try {
    checkGbnf(gbnf);
  } catch (err) {
    if (err instanceof CapibaraError) throw new BadRequestError(`${param}: ${err.message}`, param);
    throw err;
  }
  return gbnf;
}

/**
 * The grammar a request asks for, or undefined.
 * @throws {@link BadRequestError} naming `response_format` or `grammar` for an unsupported schema
 * keyword, an invalid schema or grammar, or both fields at once.
 */
export function grammarOf(body: Structured): string | undefined {
  const rf = body.response_format;
  const wantsFormat = rf !== undefined && rf !== null && rf.type !== "text";
  if (typeof body.grammar === "string") {
    if (wantsFormat) throw new BadRequestError("pass either grammar or a JSON response_format, not both", "grammar");
    return checked(body.grammar, "grammar");
  }
  if (!wantsFormat) return undefined;
  const schema = rf.type === "json_object" ? rf.schema : rf.json_schema.schema;
  if (schema === undefined || schema === null) return JSON_OBJECT_GBNF;
  const param = rf.type === "json_object" ? "response_format.schema" : "response_format.json_schema.schema";
  let gbnf: string;
  try {
    gbnf = jsonSchemaToGbnf(schema);
  } catch (err) {
    if (err instanceof CapibaraError) throw new BadRequestError(`${param}: ${err.message}`, param);
    throw err;
  }
  return checked(gbnf, param);
}
