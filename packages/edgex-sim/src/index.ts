/** Public entry of the EdgeX simulator for tests and other tools. */
export { startEdgexSim, type EdgexSim, type EdgexSimOptions } from "./server.ts";
export { DEV_ACCOUNT, DEV_SIGNER_KEY, CONTRACTS, metaData, type SimAccountConfig } from "./fixtures.ts";
