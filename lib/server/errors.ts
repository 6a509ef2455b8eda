/**
 * OpenAI-style error responses: every failure becomes `{error:{message,type,param,code}}` with the
 * right HTTP status.
 * @module
 */
import { CapibaraError, type ErrorCode } from "../errors.js";
import { UpstreamError } from "../registry/remote.js";

/** A request the server rejects before running it (HTTP 400); `param` names the offending field. */
export class BadRequestError extends CapibaraError {
  constructor(
    message: string,
    /** The request field at fault, e.g. `messages[0].role`. */
    readonly param: string | null = null,
  ) {
    super("BAD_REQUEST", message);
  }
}

/** The body of an OpenAI error response. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error as the server sends it. */
export interface HttpError {
  status: number;
  body: OpenAIErrorBody;
}

const BY_CODE: Partial<Record<ErrorCode, { status: number; type: string; code: string; param?: string }>> = {
  BAD_REQUEST: { status: 400, type: "invalid_request_error", code: "invalid_request" },
  GRAMMAR_INVALID: { status: 400, type: "invalid_request_error", code: "invalid_grammar" },
  GRAMMAR_DEAD_END: { status: 400, type: "invalid_request_error", code: "grammar_dead_end" },
  // A template that raises on the conversation (e.g. roles that do not alternate) is the request's fault.
  CHAT_TEMPLATE_ERROR: { status: 400, type: "invalid_request_error", code: "invalid_messages", param: "messages" },
  ROUTER_BAD_INPUT: { status: 400, type: "invalid_request_error", code: "invalid_messages", param: "messages" },
  CONTEXT_FULL: { status: 400, type: "invalid_request_error", code: "context_length_exceeded", param: "messages" },
  BAD_IMAGE: { status: 400, type: "invalid_request_error", code: "invalid_image", param: "messages" },
  IMAGE_TOO_LARGE: { status: 400, type: "invalid_request_error", code: "image_too_large", param: "messages" },
  NO_VISION: { status: 400, type: "invalid_request_error", code: "no_vision", param: "messages" },
  MODEL_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "model_not_found", param: "model" },
  EXPERT_BUSY: { status: 409, type: "invalid_request_error", code: "expert_busy" },
  QUEUE_FULL: { status: 429, type: "rate_limit_error", code: "queue_full" },
  EXPERT_LOAD_FAILED: { status: 503, type: "server_error", code: "expert_load_failed" },
  MODEL_CLOSED: { status: 503, type: "server_error", code: "shutting_down" },
  // nginx's "client closed request": only logs and metrics ever see it, the client is gone.
  ABORTED: { status: 499, type: "invalid_request_error", code: "client_closed_request" },
};

/** Fastify's own client errors (bad JSON, body too large, wrong content type) keep their status. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "body_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_content_length",
};

/** Builds an error body. */
export function errorBody(message: string, type: string, code: string | null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Maps any thrown value to a status and an OpenAI error body; unknown errors are 500 without details. */
export function toHttpError(err: unknown): HttpError {
  // A remote expert's own 4xx reaches the client as it was; its failures mid-stream are a bad gateway.
  if (err instanceof UpstreamError) {
    return { status: err.status, body: errorBody(err.message, err.status < 500 ? "invalid_request_error" : "server_error", err.status < 500 ? "upstream_rejected" : "upstream_error") };
  }
  if (err instanceof CapibaraError) {
    const m = BY_CODE[err.code];
    if (m) {
      const param = err instanceof BadRequestError ? err.param : (m.param ?? null);
      return { status: m.status, body: errorBody(err.message, m.type, m.code, param) };
    }
  }
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    const code = (typeof e.code === "string" && FASTIFY_CODES[e.code]) || "invalid_request";
    const message = typeof e.message === "string" ? e.message : "bad request";
    return { status: e.statusCode, body: errorBody(message, "invalid_request_error", code) };
  }
  return { status: 500, body: errorBody("internal server error", "server_error", "internal_error") };
}
