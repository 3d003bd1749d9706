/**
 * EdgeX V2 order signatures: the EIP-712 typed data of reference §4.8, signed and recovered with viem.
 *
 * The client signs with the account's "Signer Key"; the simulator recovers the signer from the same typed data
 * to verify. Another scheme (the legacy StarkEx V1 Pedersen signature) would implement `OrderSigner` too.
 */
import { type Hex, recoverTypedDataAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { L2OrderAmounts } from "./order.ts";

/** EIP-712 domain inputs from `getMetaData().global` (reference §3.4). */
export interface Eip712DomainInput {
  /** `global.nativeChainId || global.chainId`, hex ("0x…") or decimal text. */
  readonly chainId: string;
  readonly verifyingContract: string;
}

/**
 * StarkEx identifiers of the order's assets (legacy `starkEx*` metadata fields, reference §6.2). V2 signing
 * ignores them; a V1 signer recomputes its amounts from the l2 figures with these resolutions.
 */
export interface StarkExAssets {
  readonly syntheticAssetId: string;
  readonly syntheticResolution: string;
  readonly collateralAssetId: string;
  readonly collateralResolution: string;
}

/** What any order signer needs: the amounts of §4 plus who signs for which account. */
export interface OrderSigningInput {
  readonly accountId: string;
  readonly amounts: L2OrderAmounts;
  /** Present when the venue's metadata carries the StarkEx fields (needed by a V1 signer only). */
  readonly starkEx?: StarkExAssets;
}

/** A scheme that turns an order into an `l2Signature` (V2: EIP-712; a V1 StarkEx signer would plug in here). */
export interface OrderSigner {
  readonly scheme: "eip712-v2" | "starkex-v1";
  /** Address (V2) or public key (V1) the exchange has registered for the account. */
  readonly publicId: string;
  sign(input: OrderSigningInput): Promise<string>;
}

export const ORDER_TYPES = {
  OrderBase: [
    { name: "nonce", type: "uint256" },
    { name: "signer", type: "address" },
    { name: "accountId", type: "uint64" },
    { name: "expirationTimestamp", type: "uint256" },
  ],
  LimitOrderParams: [
    { name: "base", type: "OrderBase" },
    { name: "amountSynthetic", type: "int256" },
    { name: "amountCollateral", type: "int256" },
    { name: "amountFee", type: "uint256" },
    { name: "assetIdSynthetic", type: "uint64" },
    { name: "assetIdCollateral", type: "uint64" },
    { name: "isBuyingSynthetic", type: "bool" },
    { name: "parentOrderHash", type: "bytes32" },
    { name: "subOrderIndex", type: "uint256" },
  ],
} as const;

const ZERO_HASH = `0x${"0".repeat(64)}` as const;

function parseChainId(text: string): number {
  const n = /^0x/i.test(text) ? Number.parseInt(text, 16) : Number.parseInt(text, 10);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`bad EIP-712 chainId: ${JSON.stringify(text)}`);
  return n;
}

/** The complete typed-data object (domain, types, message) for one order. */
export function orderTypedData(domain: Eip712DomainInput, signer: string, input: OrderSigningInput) {
  const a = input.amounts;
  return {
    domain: {
      name: "EdgeX",
      version: "1",
      chainId: parseChainId(domain.chainId),
      verifyingContract: domain.verifyingContract as Hex,
    },
    types: ORDER_TYPES,
    primaryType: "LimitOrderParams" as const,
    message: {
      base: {
        nonce: a.nonce,
        signer: signer as Hex,
        accountId: BigInt(input.accountId),
        // Seconds from expireTime, not l2ExpireTime (reference §4.8).
        expirationTimestamp: a.expireTimeMs / 1000n,
      },
      amountSynthetic: a.amountSynthetic,
      amountCollateral: a.amountCollateral,
      amountFee: a.amountFee,
      assetIdSynthetic: BigInt(a.assetIdSynthetic),
      assetIdCollateral: BigInt(a.assetIdCollateral),
      isBuyingSynthetic: a.isBuy,
      parentOrderHash: ZERO_HASH,
      subOrderIndex: 0n,
    },
  };
}

/** V2 signer: secp256k1 key → 65-byte r‖s‖v signature as 130 hex chars without 0x. */
export class Eip712OrderSigner implements OrderSigner {
  readonly scheme = "eip712-v2" as const;
  readonly publicId: string;
  readonly #account: ReturnType<typeof privateKeyToAccount>;
  readonly #domain: Eip712DomainInput;

  constructor(privateKey: string, domain: Eip712DomainInput) {
    const key = (privateKey.startsWith("0x") ? privateKey : `0x${privateKey}`) as Hex;
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error("EdgeX signer key must be 32 bytes of hex");
    this.#account = privateKeyToAccount(key);
    this.#domain = domain;
    this.publicId = this.#account.address;
  }

  async sign(input: OrderSigningInput): Promise<string> {
    const sig = await this.#account.signTypedData(orderTypedData(this.#domain, this.publicId, input));
    return sig.slice(2);
  }

  /** Keep the key out of console.log / util.inspect / JSON.stringify. */
  toJSON(): Record<string, string> {
    return { scheme: this.scheme, publicId: this.publicId };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Eip712OrderSigner(${this.publicId})`;
  }
}

/** Recover the address that produced `l2Signature` (130 hex, with or without 0x) for the claimed signer's order. */
export async function recoverOrderSigner(
  domain: Eip712DomainInput,
  claimedSigner: string,
  input: OrderSigningInput,
  l2Signature: string,
): Promise<string> {
  const sig = (l2Signature.startsWith("0x") ? l2Signature : `0x${l2Signature}`) as Hex;
  if (!/^0x[0-9a-fA-F]{130}$/.test(sig)) throw new Error("l2Signature must be 65 bytes of hex");
  return recoverTypedDataAddress({ ...orderTypedData(domain, claimedSigner, input), signature: sig });
}
