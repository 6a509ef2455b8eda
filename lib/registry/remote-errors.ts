/**
 * Errors of remote experts: the remote cannot serve (the system falls back), or the upstream
 * failed or rejected a request it had accepted.
 * @module
 */
import { CapibaraError } from "../errors.js";
import { ExpertLoadError } from "../loader/errors.js";

/** The remote cannot serve this request (down, refused, timed out, 5xx or garbage before the first token): the system falls back. */
export class RemoteUnavailableError extends ExpertLoadError {
  constructor(
    expert: string,
    message: string,
    /** Whether this failure marks the remote down (unreachable, 5xx, garbage) rather than refusing one request (401, 404, 429). */
    readonly remoteDown: boolean,
    options?: { cause?: unknown },
  ) {
    super(expert, message, options);
  }
}

/** The upstream failed a request it had accepted (mid-stream), or rejected it as invalid (its 4xx status is kept). */
export class UpstreamError extends CapibaraError {
  constructor(
    /** HTTP status for the client: the upstream's own 400/413/422, else 502. */
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("UPSTREAM_ERROR", message, options);
  }
}
