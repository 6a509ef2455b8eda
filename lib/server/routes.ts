/**
 * The last routing decisions, for the dashboard: kept in a small ring, listed in `/stats` as
 * `recent_routes` and announced as `routed` events on `/admin/events`.
 * @module
 */
import { EventEmitter } from "node:events";
import type { RouteInfo } from "../system.js";

/** One routing decision, as `/stats` lists it and `/admin/events` sends it. */
export interface RoutedEvent {
  type: "routed";
  /** Epoch ms. */
  time: number;
  endpoint: string;
  /** The `model` the request named (`auto` when omitted). */
  requested: string;
  expert: string;
  domain: string;
  reason: string;
  /** The router's confidence when it chose (null when the request named an expert or domain). */
  confidence: number | null;
  /** Experts that failed to load before the one that served. */
  fallbacks: string[];
}

/** Keeps the last `size` decisions and emits each as `routed`. */
export class RouteLog extends EventEmitter {
  private readonly recent: RoutedEvent[] = [];

  constructor(private readonly size = 20) {
    super();
    // One listener per open dashboard: many tabs are not a leak.
    this.setMaxListeners(0);
  }

  /** Records the route of a request once its expert is known (after any fallback). */
  record(endpoint: string, route: RouteInfo): void {
    const ev: RoutedEvent = {
      type: "routed",
      time: Date.now(),
      endpoint,
      requested: route.requested,
      expert: route.expert,
      domain: route.domain,
      reason: route.reason,
      confidence: route.decision?.confidence ?? null,
      fallbacks: route.fallbacks.map((f) => f.expert),
    };
    this.recent.push(ev);
    if (this.recent.length > this.size) this.recent.shift();
    this.emit("routed", ev);
  }

  /** Newest first. */
  list(): RoutedEvent[] {
    return [...this.recent].reverse();
  }
}
