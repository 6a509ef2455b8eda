// The chat playground: streams an answer from /v1/chat/completions (SSE over fetch) and shows which
// expert answered and why, from the x-capibara-expert and x-capibara-route-reason headers. A message
// may carry an image, sent as an OpenAI `image_url` part (the router gives it to the multimodal expert).
import { api, ApiError, headerText, readSse, UnauthorizedError } from "./api.js";
import { byId, el, size } from "./dom.js";
import { ImagePicker, type Limits } from "./image.js";

type Part = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

interface Message {
  role: "system" | "user" | "assistant";
  content: string | Part[];
}

interface Chunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: { message?: string };
}

export interface ChatHooks {
  /** A request ended (the dashboard refreshes its figures). */
  onDone(): void;
  onUnauthorized(): void;
}

export class Chat {
  private readonly log = byId<HTMLDivElement>("log");
  private readonly form = byId<HTMLFormElement>("send-form");
  private readonly message = byId<HTMLTextAreaElement>("message");
  private readonly send = byId<HTMLButtonElement>("send");
  private readonly stop = byId<HTMLButtonElement>("stop");
  private readonly status = byId<HTMLSpanElement>("chat-status");
  private readonly model = byId<HTMLSelectElement>("model");
  private readonly image = new ImagePicker(this.message);
  private history: Message[] = [];
  private running: AbortController | null = null;

  constructor(private readonly hooks: ChatHooks) {
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.message.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.stop.addEventListener("click", () => this.running?.abort());
    byId("clear").addEventListener("click", () => {
      this.running?.abort();
      this.history = [];
      this.log.replaceChildren();
      this.status.textContent = "";
      // The message being written and its image stay, ready for the new chat.
      this.image.say("");
    });
  }

  /** The server's size limits (from /stats), checked before an image is attached or a message sent. */
  setLimits(limits: Limits | undefined): void {
    this.image.limits = limits ?? null;
  }

  /** Fills the expert picker from /v1/models (keeping the current choice when it still exists). */
  setExperts(experts: Array<{ id: string; domain: string; description?: string }>): void {
    const current = this.model.value;
    const auto = this.model.options[0]!;
    this.model.replaceChildren(auto, ...experts.map((e) => el("option", { value: e.id, title: e.description ?? "" }, `${e.id} (${e.domain})`)));
    this.model.value = experts.some((e) => e.id === current) ? current : "auto";
  }

  private async submit(): Promise<void> {
    const text = this.message.value.trim();
    const image = this.image.current;
    if ((!text && !image) || this.running) return;
    const sent: Message["content"] = image ? [...(text ? [{ type: "text" as const, text }] : []), { type: "image_url", image_url: { url: image.dataUrl } }] : text;
    const system = byId<HTMLTextAreaElement>("system").value.trim();
    const messages: Message[] = [...(system ? [{ role: "system" as const, content: system }] : []), ...this.history, { role: "user", content: sent }];
    const body: Record<string, unknown> = { model: this.model.value, messages, stream: true, stream_options: { include_usage: true } };
    const temperature = byId<HTMLInputElement>("temperature").valueAsNumber;
    const maxTokens = byId<HTMLInputElement>("max-tokens").valueAsNumber;
    if (Number.isFinite(temperature)) body.temperature = temperature;
    if (Number.isFinite(maxTokens)) body.max_tokens = maxTokens;
    const json = JSON.stringify(body);
    // Earlier images are sent again with every message, so the whole body is what must fit.
    const limit = this.image.limits?.body_limit_bytes;
    const bytes = new Blob([json]).size;
    if (limit !== undefined && bytes > limit) {
      return this.image.say(`This message with the conversation's images is ${size(bytes)}, over the server's limit of ${size(limit)}: start a new chat or attach a smaller image.`);
    }
    this.message.value = "";
    this.image.clear();
    this.addMessage("You", "user", text ? el("div", { class: "text" }, text) : null, image ? el("img", { class: "thumb", src: image.dataUrl, alt: `image ${image.name}` }) : null);
    const expert = el("span", { class: "by" }, "…");
    const reason = el("span", { class: "reason" }, "…");
    // One text node grows as pieces arrive (no re-rendering of the whole answer per token).
    const answerText = document.createTextNode("");
    const answer = el("div", { class: "text" }, answerText);
    const foot = el("p", { class: "foot" });
    this.addMessage("Answer", "assistant", el("p", { class: "meta" }, "Expert: ", expert, " · Reason: ", reason), answer, foot);

    const ac = new AbortController();
    this.setRunning(ac);
    this.status.textContent = "waiting for the expert…";
    let content = "";
    const t0 = performance.now();
    let firstAt: number | null = null;
    try {
      const res = await api("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: json, signal: ac.signal });
      expert.textContent = res.headers.get("x-capibara-expert") ?? "?";
      reason.textContent = headerText(res.headers.get("x-capibara-route-reason")) || "—";
      this.status.textContent = `${expert.textContent} is answering…`;
      let failure: string | null = null;
      let usage: Chunk["usage"];
      await readSse(res, ({ data }) => {
        if (data === "[DONE]") return;
        const chunk = JSON.parse(data) as Chunk;
        if (chunk.error) failure = chunk.error.message ?? "the stream failed";
        if (chunk.model) expert.textContent = chunk.model;
        const piece = chunk.choices?.[0]?.delta?.content;
        if (piece) {
          firstAt ??= performance.now();
          content += piece;
          answerText.appendData(piece);
          this.log.scrollTop = this.log.scrollHeight;
        }
        if (chunk.usage) usage = chunk.usage;
      });
      if (failure) throw new Error(failure);
      foot.textContent = summary(usage?.completion_tokens ?? null, t0, firstAt);
      this.status.textContent = `answer from ${expert.textContent} complete`;
    } catch (err) {
      // No expert answered when the request failed before its headers.
      if (expert.textContent === "…") expert.textContent = reason.textContent = "none";
      if (ac.signal.aborted) {
        foot.textContent = "stopped";
        this.status.textContent = "stopped";
      } else {
        if (err instanceof UnauthorizedError) this.hooks.onUnauthorized();
        const message = err instanceof Error ? err.message : String(err);
        foot.replaceChildren(el("span", { class: "error", role: "alert" }, `Error: ${message}${messages.some((m) => Array.isArray(m.content)) ? imageHint(err) : ""}`));
        this.status.textContent = "failed";
      }
    } finally {
      this.setRunning(null);
      this.history.push({ role: "user", content: sent });
      if (content) this.history.push({ role: "assistant", content });
      else this.history.pop();
      this.hooks.onDone();
    }
  }

  private addMessage(who: string, kind: string, ...body: Array<Node | null>): void {
    this.log.append(el("article", { class: `msg ${kind}`, "aria-label": who }, el("p", { class: "who" }, who), ...body));
    this.log.scrollTop = this.log.scrollHeight;
  }

  private setRunning(ac: AbortController | null): void {
    this.running = ac;
    this.send.disabled = ac !== null;
    this.stop.disabled = ac === null;
    if (ac === null) this.message.focus();
  }
}

/** What to do about a request with images that the server refused. */
function imageHint(err: unknown): string {
  if (!(err instanceof ApiError)) return "";
  if (err.code === "no_vision") return " (this expert cannot take images: choose auto, which sends images to the multimodal expert, or that expert)";
  if (err.status === 413) return " (the conversation's images are too large for the server: start a new chat or attach a smaller image)";
  return "";
}

function summary(tokens: number | null, t0: number, firstAt: number | null): string {
  const parts: string[] = [];
  if (tokens !== null) parts.push(`${tokens} tokens`);
  if (firstAt !== null) parts.push(`first token after ${Math.round(firstAt - t0)} ms`);
  const decodeS = firstAt === null ? 0 : (performance.now() - firstAt) / 1000;
  if (tokens !== null && tokens > 1 && decodeS > 0) parts.push(`${((tokens - 1) / decodeS).toFixed(1)} tokens/s`);
  return parts.join(" · ");
}
