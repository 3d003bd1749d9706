/**
 * @module drivers/paradex — the common API's Paradex reads: private ones (balance, leverage) through the sidecar
 * commands of docs/PROTOCOL.md, public ones (klines, REST top of book) from the public REST API directly.
 *
 * Public history goes over HTTP rather than through the sidecar on purpose: the sidecar's stdout is the
 * latency-critical event pipe, and hundreds of candles queued on it would delay every bbo behind them.
 * Public endpoints need no credentials, so nothing secret is involved either way.
 */
import type { ParadexVenue } from "@paradex-edgex/paradex";
import type { ExchangeDriver } from "../client.ts";
import { balanceFromParadex, type RestTopOfBook } from "../convert.ts";
import type { Candle, Interval } from "../klines.ts";
import { ParadexPublicRest } from "../rest.ts";
import type { SymbolEntry } from "../symbols.ts";
import type { Balance } from "../types.ts";

export class ParadexDriver implements ExchangeDriver {
  readonly name = "paradex" as const;
  readonly venue: ParadexVenue;
  readonly rest: ParadexPublicRest;

  constructor(venue: ParadexVenue, restUrl: string) {
    this.venue = venue;
    this.rest = new ParadexPublicRest(restUrl);
  }

  klines(entry: SymbolEntry, interval: Interval, limit: number): Promise<Candle[]> {
    return this.rest.klines(entry.market, interval, limit);
  }

  async balance(): Promise<Balance> {
    const [data, snap] = await Promise.all([this.venue.sidecar.command("balance", {}), this.venue.snapshot()]);
    return balanceFromParadex(data, snap.positions);
  }

  async setLeverage(entry: SymbolEntry, leverage: string): Promise<void> {
    await this.venue.sidecar.command("set_leverage", { market: entry.market, leverage });
  }

  topOfBook(entry: SymbolEntry): Promise<RestTopOfBook> {
    return this.rest.topOfBook(entry.market);
  }
}
