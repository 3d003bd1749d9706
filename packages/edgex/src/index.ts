/** Public API of the native EdgeX client. */
export { EdgeXClient, type EdgeXClientOptions } from "./client.ts";
export { edgexVenueFromEnv } from "./venue.ts";
export {
  credentialsFromEnv,
  endpointsFromEnv,
  ConfigError,
  PROD_V2,
  type Endpoints,
  type TradingCredentials,
} from "./config.ts";
export { EdgeXError, OrderOutcomeUnknownError, OrderRejectedError, OrderValidationError } from "./errors.ts";
export { MetadataStore, type EdgexContract } from "./metadata.ts";
export { Eip712OrderSigner, type OrderSigner } from "./signing/eip712.ts";
export { nowMicros } from "./transport/ws.ts";
export { DepthRecord } from "./wire.ts";
// The V2 wire primitives (request canonicalization, HMAC, EIP-712 order recovery and its inputs): what any
// EdgeX V2 server or tool must compute the same way. The simulator verifies requests with them.
export { canonicalBody, canonicalQuery, hmacSignature, signaturesEqual } from "./signing/hmac.ts";
export { recoverOrderSigner } from "./signing/eip712.ts";
export { L2_EXPIRY_MARGIN_MS, nonceFromClientOrderId, signingFeeRate } from "./signing/order.ts";
