// Talks to the capibara server on the page's own origin. The API key, when the server wants one,
// lives only in this module's memory (never in storage, cookies or the URL). Server-sent events are
// read with fetch streaming rather than EventSource, which cannot send the Authorization header.

/** The server answered 401: the page must ask for the key. */
export class UnauthorizedError extends Error {}

/** An OpenAI-shaped error from the server, or a failed request. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The OpenAI error's `code` (e.g. `no_vision`), when the server sent one. */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

let apiKey: string | null = null;

export function setApiKey(key: string | null): void {
  apiKey = key;
}

/** fetch() on the server, with the key; throws {@link UnauthorizedError} on 401 and {@link ApiError} on other failures. */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (apiKey) headers.set("authorization", `Bearer ${apiKey}`);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) throw new UnauthorizedError("the server needs an API key");
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await api(path)).json()) as T;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string | null } };
    if (body.error?.message) return new ApiError(`${res.status}: ${body.error.message}`, res.status, body.error.code ?? null);
  } catch {
    // Not JSON: the text itself, below.
  }
  return new ApiError(`${res.status}: ${text.slice(0, 200) || res.statusText}`, res.status);
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Reads a text/event-stream body, calling `onEvent` for each event; resolves when the stream ends. */
export async function readSse(res: Response, onEvent: (ev: SseEvent) => void): Promise<void> {
  if (!res.body) throw new ApiError("the response has no body", res.status);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = val;
        if (field === "data") data.push(val);
      }
      if (data.length > 0) onEvent({ event, data: data.join("\n") });
    }
  }
}

/** The server percent-encodes non-ASCII characters in headers; a lone `%` stays as it is. */
export function headerText(value: string | null): string {
  return (value ?? "").replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
