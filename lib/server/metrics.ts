/**
 * Prometheus metrics (prom-client) on a registry of the server's own, so several servers in one
 * process (tests) never collide.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CapibaraSystem, ChatStats, Continuation, ExpertStats } from "../system.js";

/** The server's metrics. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Records one finished generation request. */
  observeRequest(endpoint: string, expert: string, status: number, seconds: number, stats?: ChatStats): void;
  /** Records an answer continued on another expert after a remote failed mid-stream. */
  observeContinuation(c: Continuation): void;
}

/** Creates the metrics; loaded experts and queue depths are read from the system at scrape time. */
export function createMetrics(system: CapibaraSystem): ServerMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "capibara_requests_total",
    help: "Generation requests by endpoint, expert and HTTP status",
    labelNames: ["endpoint", "expert", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "capibara_request_duration_seconds",
    help: "Time from request to last token",
    labelNames: ["endpoint", "expert"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const ttft = new Histogram({
    name: "capibara_time_to_first_token_seconds",
    help: "Time from request to first token, including model load and queueing",
    labelNames: ["expert"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const tokens = new Counter({
    name: "capibara_tokens_total",
    help: "Tokens processed by expert and kind (prompt, completion)",
    labelNames: ["expert", "kind"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "capibara_loaded_experts",
    help: "Experts whose model is resident",
    registers: [registry],
    collect() {
      this.set(Object.values(system.stats().experts).filter((e) => e.loaded).length);
    },
  });
  new Gauge({
    name: "capibara_remote_up",
    help: "1 while a remote expert answers its health probes, 0 while it is down",
    labelNames: ["expert"] as const,
    registers: [registry],
    collect() {
      for (const [name, e] of Object.entries(system.stats().experts)) if (e.remote) this.set({ expert: name }, e.state === "remote-up" ? 1 : 0);
    },
  });
  new Gauge({
    name: "capibara_queue_depth",
    help: "Requests waiting for an expert (load or free slot)",
    labelNames: ["expert"] as const,
    registers: [registry],
    collect() {
      for (const [name, e] of Object.entries(system.stats().experts)) this.set({ expert: name }, e.queued);
    },
  });
  new Gauge({
    name: "capibara_active_generations",
    help: "Requests generating now",
    labelNames: ["expert"] as const,
    registers: [registry],
    collect() {
      for (const [name, e] of Object.entries(system.stats().experts)) this.set({ expert: name }, e.active);
    },
  });
  const cached = new Counter({
    name: "capibara_cached_prompt_tokens_total",
    help: "Prompt tokens served from the prompt cache instead of being evaluated",
    labelNames: ["expert"] as const,
    registers: [registry],
  });
  const continuations = new Counter({
    name: "capibara_continuations_total",
    help: "Answers a remote expert failed mid-stream that another expert continued, by the expert that failed (from) and the one that continued (expert)",
    labelNames: ["from", "expert"] as const,
    registers: [registry],
  });
  const perExpert = (name: string, help: string, value: (e: ExpertStats) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ["expert"] as const,
      registers: [registry],
      collect() {
        for (const [expert, e] of Object.entries(system.stats().experts)) {
          const v = value(e);
          if (v !== null) this.set({ expert }, v);
        }
      },
    });
  perExpert("capibara_batch_size", "Rows (decode tokens plus prompt chunk tokens) of the expert's last batched step", (e) => e.batch_size);
  perExpert("capibara_kv_cache_usage_perc", "Share of the expert's KV pool blocks held by running sequences (0..1)", (e) => e.kv_cache_usage_perc);
  perExpert("capibara_kv_blocks_used", "KV pool blocks held by the expert's running sequences", (e) => (e.loaded ? e.kv_blocks_used : null));
  perExpert("capibara_kv_blocks_cached", "KV pool blocks held only by the expert's prompt cache", (e) => (e.loaded ? e.kv_blocks_cached : null));
  perExpert("capibara_kv_blocks_total", "Blocks of the expert's KV pool", (e) => (e.loaded ? e.kv_blocks_total : null));
  perExpert("capibara_kv_cache_bytes", "Bytes reserved for the expert's KV pool", (e) => (e.loaded ? e.kv_cache_bytes : null));
  return {
    registry,
    observeRequest(endpoint, expert, status, seconds, stats) {
      requests.inc({ endpoint, expert, status: String(status) });
      latency.observe({ endpoint, expert }, seconds);
      if (!stats) return;
      if (stats.timeToFirstTokenMs !== null) ttft.observe({ expert }, stats.timeToFirstTokenMs / 1000);
      tokens.inc({ expert, kind: "prompt" }, stats.promptTokens);
      tokens.inc({ expert, kind: "completion" }, stats.generatedTokens);
      cached.inc({ expert }, stats.cachedPromptTokens);
    },
    observeContinuation(c) {
      continuations.inc({ from: c.from, expert: c.expert });
    },
  };
}
