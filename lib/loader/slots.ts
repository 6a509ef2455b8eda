/**
 * Slots of an expert (local or remote): requests beyond its limit wait in a FIFO queue; whoever
 * releases a slot hands it to the first waiter (`grant`) or fails them all at close (`fail`).
 * @module
 */
import { abortError } from "./errors.js";

/** A request waiting for a slot. */
export interface SlotWaiter {
  grant: () => void;
  fail: (err: Error) => void;
}

/**
 * Resolves once the request holds one of `limit` slots, counted in `holder.active`; an abort while
 * waiting leaves the queue and rejects with AbortError.
 */
export function takeSlot(holder: { active: number }, limit: number, queue: SlotWaiter[], signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError("request"));
  if (holder.active < limit && queue.length === 0) {
    holder.active++;
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      const i = queue.indexOf(waiter);
      if (i >= 0) queue.splice(i, 1);
      reject(abortError("request"));
    };
    const waiter: SlotWaiter = {
      grant: () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      fail: (err: Error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      },
    };
    queue.push(waiter);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
