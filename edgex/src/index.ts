/** Public API of the native EdgeX client. */
export { EdgeXClient, type EdgeXClientOptions } from "./client.ts";
export { edgexVenueFromEnv } from "./venue.ts";
export { credentialsFromEnv, endpointsFromEnv, ConfigError, PROD_V2, type Endpoints, type TradingCredentials } from "./config.ts";
export { EdgeXError, OrderOutcomeUnknownError, OrderRejectedError, OrderValidationError } from "./errors.ts";
export { MetadataStore, type EdgexContract } from "./metadata.ts";
export { Eip712OrderSigner, type OrderSigner } from "./signing/eip712.ts";
