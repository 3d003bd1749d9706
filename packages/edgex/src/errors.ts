/** The named failures of the EdgeX client: callers switch on `code`, people read the message. */
import { CodedError } from "@paradex-edgex/core";

export class EdgeXError extends CodedError {}

/** The order was checked against metadata and refused before anything was signed or sent. */
export class OrderValidationError extends EdgeXError {
  constructor(message: string) {
    super("INVALID_ORDER", message);
  }
}

/** The venue refused the order (definite: nothing rests on the book). `code` is the venue's code. */
export class OrderRejectedError extends EdgeXError {
  readonly clientId: string;
  constructor(code: string, clientId: string, message: string) {
    super(code, `order ${clientId} rejected: ${code}: ${message}`);
    this.clientId = clientId;
  }
}

/**
 * The createOrder reply was lost and lookups by client order id found nothing yet. The order may still
 * exist; it was NOT resent. Watch `order` events or call `snapshot()` to reconcile.
 */
export class OrderOutcomeUnknownError extends EdgeXError {
  readonly clientId: string;
  constructor(clientId: string, reason: string) {
    super("OUTCOME_UNKNOWN", `order ${clientId}: outcome unknown (${reason}); not resent`);
    this.clientId = clientId;
  }
}
