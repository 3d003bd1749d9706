/**
 * Place a resting limit order on Paradex well below the market, see it open, cancel it, see it closed.
 *
 *   node dist/place-cancel.js            # against the sidecar's embedded simulator
 *
 * Against testnet/prod the sidecar reads credentials (PARADEX_L2_PRIVATE_KEY, …) from the environment or
 * the application's `.env.paradex` (its working directory); this code does not change.
 */
import { floorToStep, mul } from "@paradex-edgex/core/decimal";
import { type OrderEvent, ParadexVenue } from "@paradex-edgex/paradex";

const MARKET = "BTC-USD-PERP";
const venue = new ParadexVenue({ network: "sim", markets: [MARKET], channels: ["bbo", "orders"] });
await venue.connect();
try {
  const meta = (await venue.markets()).find((m) => m.market === MARKET);
  if (meta === undefined) throw new Error(`${MARKET} is not listed`);
  const bid = await new Promise<string>((resolve) => {
    const off = venue.on("bbo", (e) => {
      if (e.market !== MARKET || e.bid === null) return;
      off();
      resolve(e.bid);
    });
  });
  // 10% under the best bid, on the market's tick: it rests instead of filling. Decimals stay strings.
  const price = floorToStep(mul(bid, "0.9"), meta.tickSize);
  const clientId = `example-${Date.now()}`;
  const updates: OrderEvent[] = [];
  const closed = new Promise<void>((resolve) =>
    venue.on("order", (o) => {
      if (o.client_id !== clientId) return;
      updates.push(o);
      if (o.status === "CLOSED") resolve();
    }),
  );
  const placed = await venue.place({ market: MARKET, side: "BUY", type: "LIMIT", size: meta.minSize, price, clientId });
  console.log(`placed ${clientId}: ${meta.minSize} @ ${price}, ${placed.status}`);
  await venue.cancel({ clientId, market: MARKET });
  await Promise.race([closed, timeout(10_000, "the order to close")]);
  console.log(
    `order updates: ${updates.map((o) => o.status + (o.cancel_reason ? ` (${o.cancel_reason})` : "")).join(" → ")}`,
  );
} finally {
  await venue.close();
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms).unref();
  });
}
