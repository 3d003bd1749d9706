/**
 * zod schemas of EdgeX frames and REST replies: tolerant only of the quirks the reference documents, strict
 * about everything else.
 *
 * Documented quirks accepted here (reference §1.3–1.6, §2.4, §8): ids as string or number; `dataType` /
 * `depthType` in any casing; price levels as `{price,size}` objects or `[price,size]` tuples; ticker best
 * bid/ask absent, "" or "0"; private `version`/`time` as number or string; unknown extra fields (the venue adds
 * fields over time). Records of a batch are parsed one by one so one bad record does not hide the others.
 */
import { z } from "zod";
import { isDecimal } from "@paradex-edgex/core/decimal";

/** An id or integer the venue sends as string or number; always a string afterwards. */
export const Id = z.union([z.string().min(1), z.number().int()]).transform(String);
/** A decimal on the wire: always a string, never exponent/garbage. */
export const Dec = z.string().refine(isDecimal, { message: "not a decimal string" });
/** A decimal that may be absent or empty ("" → undefined). */
export const OptDec = z
  .union([Dec, z.literal(""), z.null()])
  .optional()
  .transform((v) => (v === "" || v === null ? undefined : v));
/** An optional string the venue may also send as null or "" (all three mean "absent"). */
export const OptStr = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v) => (v === null || v === "" ? undefined : v));
/** An optional id that may be null or "". */
export const OptId = z
  .union([Id, z.literal(""), z.null()])
  .optional()
  .transform((v) => (v === null || v === "" ? undefined : v));
/** Milliseconds as number or digit string. */
export const Millis = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(Number);

// ------------------------------------------------------------------------------------------------
// Public quote socket
// ------------------------------------------------------------------------------------------------

export const Level = z.union([
  z.object({ price: Dec, size: Dec }),
  z.tuple([Dec, Dec]).transform(([price, size]) => ({ price, size })),
]);
export type Level = z.output<typeof Level>;

export const DepthRecord = z.object({
  startVersion: Id,
  endVersion: Id,
  level: z.number().int().optional(),
  contractId: Id,
  contractName: z.string().optional(),
  asks: z.array(Level),
  bids: z.array(Level),
  depthType: z.string().optional(),
});
export type DepthRecord = z.output<typeof DepthRecord>;

export const TickerRecord = z.object({
  contractId: Id,
  contractName: z.string().optional(),
  lastPrice: OptDec,
  indexPrice: OptDec,
  oraclePrice: OptDec,
  markPrice: OptDec,
  openInterest: OptDec,
  fundingRate: OptDec,
  priceChangePercent: OptDec,
  value: OptDec,
  size: OptDec,
  high: OptDec,
  low: OptDec,
  open: OptDec,
  close: OptDec,
  endTime: Millis.optional(),
  bestBidPrice: OptDec,
  bestAskPrice: OptDec,
  marketOpen: z.boolean().optional(),
});
export type TickerRecord = z.output<typeof TickerRecord>;

export const TradeRecord = z.object({
  ticketId: Id,
  time: Millis,
  price: Dec,
  size: Dec,
  value: OptDec,
  contractId: Id,
  contractName: z.string().optional(),
  isBuyerMaker: z.boolean(),
  isBestMatch: z.boolean().optional(),
});
export type TradeRecord = z.output<typeof TradeRecord>;

const QuoteEventContent = z.object({
  channel: z.string().optional(),
  dataType: z.string(),
  data: z.array(z.unknown()),
});

/** Every frame the quote socket may send. */
export const QuoteFrame = z.discriminatedUnion("type", [
  z.object({ type: z.literal("connected"), sid: z.string().optional(), time: Id.optional() }),
  z.object({ type: z.literal("subscribed"), channel: z.string(), request: z.unknown().optional() }),
  z.object({ type: z.literal("unsubscribed"), channel: z.string() }),
  z.object({ type: z.literal("quote-event"), channel: z.string(), content: QuoteEventContent }),
  z.object({ type: z.literal("ping"), time: Id }),
  z.object({ type: z.literal("pong"), time: Id.optional() }),
  z.object({
    type: z.literal("error"),
    channel: z.string().optional(),
    content: z.object({ code: z.string(), msg: z.string().optional() }),
  }),
]);
export type QuoteFrame = z.output<typeof QuoteFrame>;

/** Case-insensitive snapshot test (`Snapshot`, `SNAPSHOT`, …); the record's depthType wins over dataType. */
export function isSnapshot(dataType: string, depthType?: string): boolean {
  return (depthType ?? dataType).toLowerCase() === "snapshot";
}

/** Case-insensitive "changed" test. */
export function isChanged(dataType: string, depthType?: string): boolean {
  return (depthType ?? dataType).toLowerCase() === "changed";
}

// ------------------------------------------------------------------------------------------------
// Private account socket and account entities
// ------------------------------------------------------------------------------------------------

export const OrderSide = z.enum(["BUY", "SELL"]);

/**
 * An order record. `size`/`price` may be absent (a live UNTRIGGERED STOP_MARKET excerpt has neither, reference
 * §0a.2); `status` is any string (the V2 enum also has UNKNOWN_ORDER_STATUS/UNRECOGNIZED, §0a.8);
 * `cumMatch*` are the matched amounts, which a live FILLED excerpt carries instead of `cumFill*` (§0a.3).
 */
export const OrderEntity = z.object({
  id: Id,
  accountId: Id.optional(),
  contractId: Id,
  side: OrderSide,
  price: OptDec,
  size: OptDec,
  clientOrderId: z.string().optional(),
  type: z.string(),
  timeInForce: z.string().optional(),
  reduceOnly: z.boolean().optional(),
  status: z.string().min(1),
  cancelReason: z.string().optional(),
  cumFillSize: OptDec,
  cumFillValue: OptDec,
  cumFillFee: OptDec,
  cumMatchSize: OptDec,
  cumMatchValue: OptDec,
  cumMatchFee: OptDec,
  cumFailSize: OptDec,
  createdTime: Millis.optional(),
  updatedTime: Millis.optional(),
});
export type OrderEntity = z.output<typeof OrderEntity>;

/** A fill record; `contractId`/`orderSide` may be absent (live V2 excerpt, reference §0a.2): taken from its order. */
export const FillEntity = z.object({
  id: Id,
  orderId: Id,
  contractId: Id.optional(),
  orderSide: OrderSide.optional(),
  fillSize: Dec,
  fillValue: Dec,
  fillFee: Dec,
  fillPrice: OptDec,
  realizePnl: OptDec,
  direction: z.enum(["MAKER", "TAKER"]),
  censorStatus: z.string().optional(),
  matchTime: Millis.optional(),
  createdTime: Millis.optional(),
  updatedTime: Millis.optional(),
});
export type FillEntity = z.output<typeof FillEntity>;

export const PositionEntity = z.object({
  contractId: Id,
  coinId: Id.optional(),
  openSize: Dec,
  openValue: Dec,
  openFee: OptDec,
  fundingFee: OptDec,
  updatedTime: Millis.optional(),
});
export type PositionEntity = z.output<typeof PositionEntity>;

export const CollateralEntity = z.object({
  coinId: Id,
  amount: Dec,
  updatedTime: Millis.optional(),
});
export type CollateralEntity = z.output<typeof CollateralEntity>;

export const AccountEntity = z.object({
  id: Id,
  status: z.string().optional(),
  isLiquidating: z.boolean().optional(),
});
export type AccountEntity = z.output<typeof AccountEntity>;

/** `content.data` of a trade-event; arrays stay unknown until parsed record by record. */
export const TradeEventData = z.object({
  account: z.array(z.unknown()).optional(),
  collateral: z.array(z.unknown()).optional(),
  position: z.array(z.unknown()).optional(),
  order: z.array(z.unknown()).optional(),
  orderFillTransaction: z.array(z.unknown()).optional(),
});

export const PrivateFrame = z.discriminatedUnion("type", [
  z.object({ type: z.literal("connected"), sid: z.string().optional(), time: Id.optional() }),
  z.object({
    type: z.literal("trade-event"),
    content: z.object({
      event: z.string(),
      version: Millis,
      time: Millis.optional(),
      data: TradeEventData,
    }),
  }),
  z.object({ type: z.literal("assets-event"), content: z.unknown() }),
  z.object({ type: z.literal("ping"), time: Id }),
  z.object({ type: z.literal("pong"), time: Id.optional() }),
  z.object({ type: z.literal("error"), content: z.object({ code: z.string(), msg: z.string().optional() }) }),
]);
export type PrivateFrame = z.output<typeof PrivateFrame>;

// ------------------------------------------------------------------------------------------------
// REST
// ------------------------------------------------------------------------------------------------

/** Every REST reply: check `code === "SUCCESS"`; `msg`/`errorParam` may echo the request, never log them raw. */
export const RestEnvelope = z.object({
  code: z.string(),
  data: z.unknown().optional(),
  msg: z.string().nullable().optional(),
  errorParam: z.unknown().optional(),
  requestTime: Id.optional(),
  responseTime: Id.optional(),
});
export type RestEnvelope = z.output<typeof RestEnvelope>;

export const ServerTime = z.object({ timeMillis: Millis });

export const CoinMeta = z.object({
  coinId: Id,
  coinName: z.string().min(1),
  stepSize: OptDec,
  resolution: OptStr,
  starkExAssetId: OptStr,
  starkExResolution: OptStr,
});
export type CoinMeta = z.output<typeof CoinMeta>;

export const ContractMeta = z.object({
  contractId: Id,
  contractName: z.string().min(1),
  baseCoinId: Id,
  quoteCoinId: Id,
  tickSize: Dec,
  stepSize: Dec,
  minOrderSize: Dec,
  maxOrderSize: OptDec,
  maxOrderBuyPriceRatio: OptDec,
  minOrderSellPriceRatio: OptDec,
  defaultTakerFeeRate: OptDec,
  defaultMakerFeeRate: OptDec,
  defaultLeverage: OptDec,
  enableTrade: z.boolean().optional(),
  enableDisplay: z.boolean().optional(),
  resolution: OptStr,
  starkExSyntheticAssetId: OptStr,
  starkExResolution: OptStr,
});
export type ContractMeta = z.output<typeof ContractMeta>;

/** `global`: the EIP-712 domain inputs (V2) and maintenance flag; absent values may come as null or "". */
export const GlobalMeta = z.object({
  chainId: OptId,
  nativeChainId: OptId,
  contractAddress: OptStr,
  maintenanceReason: OptStr,
});

export const MetaData = z.object({
  global: GlobalMeta,
  coinList: z.array(z.unknown()),
  contractList: z.array(z.unknown()),
});

export const CreateOrderData = z.object({ orderId: Id });
export const CancelData = z.object({ cancelResultMap: z.record(z.string(), z.string()) });
export const OrderPage = z.object({
  dataList: z.array(z.unknown()),
  nextPageOffsetData: z.string().optional(),
});
export const AccountAsset = z.object({
  account: z.unknown().optional(),
  collateralList: z.array(z.unknown()).optional(),
  positionList: z.array(z.unknown()).optional(),
  version: Millis.optional(),
  collateralAssetModelList: z.array(z.unknown()).optional(),
  positionAssetList: z.array(z.unknown()).optional(),
});

/** One-line human description of a zod failure, without echoing the input (it may hold anything). */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "<root>"}: ${i.message}`)
    .join("; ");
}
