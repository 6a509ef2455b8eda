/**
 * Errors of the lazy loader.
 * @module
 */
import { AbortError, CapibaraError } from "../errors.js";

/** An expert's model could not be loaded; `cause` holds the engine's error. Waiting requests all get it; the next request tries again. */
export class ExpertLoadError extends CapibaraError {
  constructor(
    /** The expert that failed to load. */
    readonly expert: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("EXPERT_LOAD_FAILED", message, options);
  }
}

/** Too many requests already wait for this expert (HTTP 429). */
export class QueueFullError extends CapibaraError {
  constructor(expert: string, limit: number) {
    super("QUEUE_FULL", `expert "${expert}" already has ${limit} queued requests; retry later`);
  }
}

/** The expert is serving or has queued requests, so it cannot be unloaded now (HTTP 409). */
export class ExpertBusyError extends CapibaraError {
  constructor(expert: string) {
    super("EXPERT_BUSY", `expert "${expert}" is serving or has queued requests`);
  }
}

/** The error for a request or load cancelled through an AbortSignal. */
export function abortError(what: string): AbortError {
  return new AbortError("ABORTED", `${what} was aborted`);
}

/** Resolves like `promise`, or rejects with an AbortError as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(what));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
