/**
 * Router errors.
 * @module
 */
import { CapibaraError } from "../errors.js";

/** The messages given to the router are malformed (code `ROUTER_BAD_INPUT`). */
export class RouterInputError extends CapibaraError {
  constructor(message: string) {
    super("ROUTER_BAD_INPUT", message);
  }
}
