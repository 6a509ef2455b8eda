// The live dashboard: one block per expert from /stats, kept current by /admin/events (loader
// events, and `routed` for each routing decision). States are shown as the server's words.
import { api, getJson, readSse, UnauthorizedError } from "./api.js";
import { byId, clock, el, mib } from "./dom.js";
import type { Limits } from "./image.js";

export interface ModelEntry {
  id: string;
  domain: string;
  description?: string;
  state: string;
  remote?: boolean;
}

interface ExpertStats {
  domain: string;
  state: string;
  bytes: number;
  requests: number;
  failed_requests: number;
  completion_tokens: number;
  tokens_per_second: number | null;
  active: number;
  queued: number;
  load_time_ms: number | null;
}

export interface Routed {
  time: number;
  requested: string;
  expert: string;
  domain: string;
  reason: string;
}

interface Stats {
  uptime_s: number;
  requests_total: number;
  fallbacks_total: number;
  experts: Record<string, ExpertStats>;
  recent_routes?: Routed[];
  limits?: Limits;
}

interface LoaderEvent {
  type: string;
  expert?: string;
  error?: string;
}

interface Block {
  root: HTMLElement;
  word: HTMLElement;
  detail: HTMLElement;
  progress: HTMLProgressElement;
  fields: Record<"domain" | "memory" | "requests" | "speed" | "queue", HTMLElement>;
  error: HTMLElement;
  load: HTMLButtonElement;
  unload: HTMLButtonElement;
  remote: boolean;
  /** When this page saw the load start (the engine reports no fraction, so progress is time). */
  loadingSince: number | null;
  waiting: boolean;
}

const MAX_ROUTES = 20;

export class Dashboard {
  private readonly blocks = new Map<string, Block>();
  private readonly container = byId<HTMLDivElement>("experts");
  private readonly routes = byId<HTMLOListElement>("routes");
  private refreshTimer: number | undefined;

  constructor(private readonly onUnauthorized: () => void) {
    // Progress is elapsed time while loading; counters (requests, tokens/s) change without events.
    setInterval(() => this.tickLoading(), 1000);
    setInterval(() => {
      if (document.visibilityState === "visible") this.refreshSoon();
    }, 3000);
  }

  setExperts(models: ModelEntry[]): void {
    for (const m of models) {
      const block = this.blocks.get(m.id) ?? this.addBlock(m.id);
      block.remote = m.remote === true;
      block.root.querySelector(".desc")!.textContent = m.description ?? "";
      this.setState(block, m.state);
    }
  }

  /** Fetches /stats now, shows it and returns it. */
  async refresh(): Promise<Stats> {
    const stats = await getJson<Stats>("/stats");
    byId("totals").textContent = `up ${stats.uptime_s} s · ${stats.requests_total} requests · ${stats.fallbacks_total} fallbacks`;
    for (const [name, s] of Object.entries(stats.experts)) {
      const b = this.blocks.get(name) ?? this.addBlock(name);
      this.setState(b, s.state);
      b.fields.domain.textContent = s.domain;
      b.fields.memory.textContent = mib(s.bytes);
      b.fields.requests.textContent = s.failed_requests > 0 ? `${s.requests} (${s.failed_requests} failed)` : String(s.requests);
      b.fields.speed.textContent = s.tokens_per_second === null ? "—" : `${s.tokens_per_second} tokens/s`;
      b.fields.queue.textContent = `${s.active} running, ${s.queued} waiting`;
      // The server refuses to unload a busy expert (409): say so before the click.
      if (s.active + s.queued > 0) b.unload.disabled = true;
    }
    if (stats.recent_routes) this.routes.replaceChildren(...stats.recent_routes.slice(0, MAX_ROUTES).map(routeItem));
    return stats;
  }

  refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => {
      this.refresh().catch((err: unknown) => {
        if (err instanceof UnauthorizedError) this.onUnauthorized();
      });
    }, 100);
  }

  /** Follows /admin/events until the stream fails; then reconnects after a pause. */
  async follow(conn: HTMLElement): Promise<void> {
    for (;;) {
      try {
        const res = await api("/admin/events");
        conn.textContent = "live";
        await readSse(res, ({ event, data }) => this.onEvent(event, JSON.parse(data) as unknown));
        conn.textContent = "live updates ended, reconnecting…";
      } catch (err) {
        if (err instanceof UnauthorizedError) return this.onUnauthorized();
        conn.textContent = "live updates lost, reconnecting…";
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  private onEvent(type: string, data: unknown): void {
    // A `snapshot` (on every connection) needs only the /stats refresh below, whose states cover remote experts too.
    if (type === "routed") {
      this.routes.prepend(routeItem(data as Routed));
      while (this.routes.children.length > MAX_ROUTES) this.routes.lastElementChild!.remove();
    } else if (type !== "snapshot") {
      const ev = data as LoaderEvent;
      const b = ev.expert ? this.blocks.get(ev.expert) : undefined;
      if (b) this.applyLoaderEvent(b, ev);
    }
    this.refreshSoon();
  }

  private applyLoaderEvent(b: Block, ev: LoaderEvent): void {
    b.error.textContent = "";
    if (ev.type === "loading") this.setState(b, "loading");
    else if (ev.type === "waiting") b.waiting = true;
    else if (ev.type === "loaded") this.setState(b, "loaded");
    else if (ev.type === "unloaded" || ev.type === "load_cancelled" || ev.type === "load_failed") this.setState(b, "unloaded");
    if (ev.error) b.error.textContent = `${ev.type === "load_failed" ? "load failed" : "unloaded"}: ${ev.error}`;
    this.tickLoading();
  }

  private setState(b: Block, state: string): void {
    if (state === "loading") b.loadingSince ??= Date.now();
    else {
      b.loadingSince = null;
      b.waiting = false;
    }
    b.word.textContent = state;
    b.root.dataset.state = state;
    b.progress.hidden = state !== "loading";
    // Remote experts have nothing to load or unload.
    b.load.hidden = b.unload.hidden = b.remote || state.startsWith("remote");
    b.load.disabled = state !== "unloaded";
    b.unload.disabled = state !== "loaded";
    this.tickLoading();
  }

  private tickLoading(): void {
    for (const b of this.blocks.values()) {
      b.detail.textContent = b.loadingSince === null ? "" : `${Math.floor((Date.now() - b.loadingSince) / 1000)} s${b.waiting ? ", waiting for memory" : ""}`;
    }
  }

  private addBlock(name: string): Block {
    const id = `expert-${this.blocks.size}`;
    const field = (label: string): [HTMLElement, HTMLElement] => {
      const dd = el("dd", {}, "—");
      return [el("div", {}, el("dt", {}, label), dd), dd];
    };
    const [domainRow, domain] = field("domain");
    const [memoryRow, memory] = field("memory");
    const [requestsRow, requests] = field("requests");
    const [speedRow, speed] = field("speed");
    const [queueRow, queue] = field("queue");
    const word = el("span", { class: "word" });
    const detail = el("span", { class: "detail" });
    const progress = el("progress", { "aria-label": `${name} loading` });
    const load = el("button", { type: "button" }, "Load");
    const unload = el("button", { type: "button" }, "Unload");
    const error = el("p", { class: "error", role: "alert" });
    const root = el(
      "section",
      { class: "expert", "aria-labelledby": id },
      el("div", { class: "head" }, el("h3", { id }, name), el("p", { class: "state" }, word, " ", detail, progress)),
      el("p", { class: "desc" }),
      el("dl", {}, domainRow, memoryRow, requestsRow, speedRow, queueRow),
      el("div", { class: "buttons" }, load, unload),
      error,
    );
    const b: Block = { root, word, detail, progress, fields: { domain, memory, requests, speed, queue }, error, load, unload, remote: false, loadingSince: null, waiting: false };
    load.addEventListener("click", () => void this.admin(b, name, "load"));
    unload.addEventListener("click", () => void this.admin(b, name, "unload"));
    this.container.append(root);
    this.blocks.set(name, b);
    this.setState(b, "unloaded");
    return b;
  }

  private async admin(b: Block, name: string, action: "load" | "unload"): Promise<void> {
    b.error.textContent = "";
    b.load.disabled = b.unload.disabled = true;
    if (action === "load") this.setState(b, "loading");
    try {
      await api(`/admin/experts/${encodeURIComponent(name)}/${action}`, { method: "POST" });
    } catch (err) {
      if (err instanceof UnauthorizedError) return this.onUnauthorized();
      b.error.textContent = `${action} failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    await this.refresh().catch(() => undefined);
  }
}

function routeItem(r: Routed): HTMLLIElement {
  return el(
    "li",
    {},
    el("time", { datetime: new Date(r.time).toISOString() }, clock(r.time)),
    " ",
    el("strong", {}, r.expert),
    r.requested === "auto" ? "" : ` (asked for ${r.requested})`,
    el("span", { class: "reason" }, r.reason),
  );
}
