/**
 * Tool calls on the OpenAI surface: `tools`, `tool_choice`, `parallel_tool_calls`, tool turns in
 * `messages` (assistant `tool_calls`, `role: "tool"` with `tool_call_id`), and the `tool_calls`
 * of responses (stream deltas go out as the engine makes them). Bad tools are a 400 naming the field before anything is queued.
 * @module
 */
import { z } from "zod";
import { checkTools, parseArguments } from "../chat/tools.js";
import type { ChatMessage, Tool, ToolCall, ToolChoice } from "../engine/types.js";
import { CapibaraError } from "../errors.js";
import { BadRequestError } from "./errors.js";

const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** Tool fields of a message. */
export const messageToolFields = {
  tool_calls: z.array(ToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
};

const ToolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string({ error: "a tool needs a name" }).regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 characters of a-z, A-Z, 0-9, _ or -"),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const ToolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

/** Request fields of `/v1/chat/completions` for tools. */
export const toolFields = {
  tools: z.array(ToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
};

type ToolBody = {
  tools?: z.output<typeof ToolSchema>[] | null;
  tool_choice?: z.output<typeof ToolChoiceSchema> | null;
  parallel_tool_calls?: boolean | null;
  messages: { tool_calls?: z.output<typeof ToolCallSchema>[] | null }[];
};

/** The tool options of a request, in the engine's terms. */
export interface ToolOptions {
  tools?: Tool[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
}

/**
 * The tool options of a chat request.
 * @throws {@link BadRequestError} naming `tool_choice` when it names an unknown function (or is
 * given without tools), `tools` for a duplicate name, and the `arguments` of an assistant's tool
 * call that are not a JSON object.
 */
export function toolOptionsOf(body: ToolBody): ToolOptions {
  body.messages.forEach((m, i) =>
    m.tool_calls?.forEach((c, j) => {
      const where = `messages[${i}].tool_calls[${j}].function.arguments`;
      try {
        parseArguments(c.function.arguments, where);
      } catch (err) {
        throw new BadRequestError((err as Error).message, where);
      }
    }),
  );
  const choice = body.tool_choice ?? undefined;
  if (!body.tools || body.tools.length === 0) {
    if (typeof choice === "object" || choice === "required") throw new BadRequestError(`tool_choice ${JSON.stringify(choice)} needs tools`, "tool_choice");
    return {};
  }
  const tools: Tool[] = body.tools.map((t) => ({
    type: "function",
    function: {
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      ...(t.function.parameters ? { parameters: t.function.parameters } : {}),
      ...(typeof t.function.strict === "boolean" ? { strict: t.function.strict } : {}),
    },
  }));
  try {
    checkTools(tools, choice);
  } catch (err) {
    if (err instanceof CapibaraError) throw new BadRequestError(err.message, /toolChoice/.test(err.message) ? "tool_choice" : "tools");
    throw err;
  }
  return { tools, ...(choice ? { toolChoice: choice } : {}), ...(typeof body.parallel_tool_calls === "boolean" ? { parallelToolCalls: body.parallel_tool_calls } : {}) };
}

/** Message tool fields in the engine's shape. */
export function messageTools(m: { tool_calls?: ToolCall[] | null; tool_call_id?: string | null }): Pick<ChatMessage, "tool_calls" | "tool_call_id"> {
  return { ...(m.tool_calls?.length ? { tool_calls: m.tool_calls } : {}), ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}) };
}
