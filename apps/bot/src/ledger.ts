/**
 * @module ledger — positions, average entry, realized and unrealized PnL per venue and base coin.
 *
 * The bot's own book of what it holds, fed by settled legs (exact decimals). Venue snapshots overwrite the
 * size when they disagree (the venue is the truth for positions); PnL keeps accruing from our own fills.
 */
import type { VenueName } from "@paradex-edgex/core";
import { D } from "@paradex-edgex/core/decimal";

export interface Holding {
  qty: D;
  avgEntry: D;
  realized: D;
  fees: D;
  volume: D;
}

const empty = (): Holding => ({ qty: D.ZERO, avgEntry: D.ZERO, realized: D.ZERO, fees: D.ZERO, volume: D.ZERO });

export class Ledger {
  private readonly h = new Map<string, Holding>();

  private key(venue: VenueName, base: string): string {
    return `${venue}:${base}`;
  }

  get(venue: VenueName, base: string): Holding {
    let x = this.h.get(this.key(venue, base));
    if (x === undefined) {
      x = empty();
      this.h.set(this.key(venue, base), x);
    }
    return x;
  }

  position(venue: VenueName, base: string): D {
    return this.get(venue, base).qty;
  }

  /**
   * Apply a fill: signed qty (+buy, −sell) at `price`, paying `fee` (quote units, positive = paid). Returns the
   * realized PnL the price booked (fee excluded): what `retract` needs to take it back.
   */
  apply(venue: VenueName, base: string, signedQty: D, price: D, fee: D): D {
    if (signedQty.isZero()) return D.ZERO;
    const x = this.get(venue, base);
    x.fees = x.fees.add(fee);
    x.realized = x.realized.sub(fee);
    x.volume = x.volume.add(signedQty.abs().mul(price));
    const sameDir = x.qty.isZero() || x.qty.sign() === signedQty.sign();
    if (sameDir) {
      const newQty = x.qty.add(signedQty);
      x.avgEntry = x.avgEntry.mul(x.qty.abs()).add(price.mul(signedQty.abs())).div(newQty.abs());
      x.qty = newQty;
      return D.ZERO;
    }
    const closing = D.min(x.qty.abs(), signedQty.abs());
    // Closing a long at `price` earns price − entry per unit; closing a short earns entry − price.
    const perUnit = x.qty.isPos() ? price.sub(x.avgEntry) : x.avgEntry.sub(price);
    const realized = perUnit.mul(closing);
    x.realized = x.realized.add(realized);
    const newQty = x.qty.add(signedQty);
    if (newQty.isZero()) x.avgEntry = D.ZERO;
    else if (newQty.sign() !== x.qty.sign()) x.avgEntry = price; // flipped: the remainder opened at this price
    x.qty = newQty;
    return realized;
  }

  /**
   * Take back a fill applied earlier (the venue retracted it: a Paradex trade bust, an EdgeX fill that failed
   * censoring): the position it moved, its fee and volume, and `realized`, the PnL it booked (from `apply`).
   * Exact when nothing else traded this venue and base since; otherwise the average entry is the best estimate
   * (a fill that had added to the position leaves the average; one that had reduced it restores its entry).
   */
  retract(venue: VenueName, base: string, signedQty: D, price: D, fee: D, realized: D): void {
    if (signedQty.isZero()) return;
    const x = this.get(venue, base);
    x.fees = x.fees.sub(fee);
    x.realized = x.realized.add(fee).sub(realized);
    x.volume = D.max(D.ZERO, x.volume.sub(signedQty.abs().mul(price)));
    const newQty = x.qty.sub(signedQty);
    if (newQty.isZero()) x.avgEntry = D.ZERO;
    else if (
      realized.isZero() &&
      !x.qty.isZero() &&
      x.qty.sign() === signedQty.sign() &&
      newQty.sign() === x.qty.sign()
    ) {
      // It had added to the position: its cost leaves the average.
      x.avgEntry = x.avgEntry.mul(x.qty.abs()).sub(price.mul(signedQty.abs())).div(newQty.abs());
    } else if (x.qty.isZero() || x.qty.sign() !== newQty.sign()) {
      // It had closed (or flipped) the position: the entry it closed against is price ∓ realized per unit.
      const perUnit = realized.div(signedQty.abs());
      x.avgEntry = newQty.isPos() ? price.sub(perUnit) : price.add(perUnit);
    }
    x.qty = newQty;
  }

  /** The venue says the size is `qty` (snapshot / position event): adopt it, keep the entry price if any. */
  setSize(venue: VenueName, base: string, qty: D, avgEntry: D | null): void {
    const x = this.get(venue, base);
    x.qty = qty;
    if (avgEntry !== null) x.avgEntry = avgEntry;
    if (qty.isZero()) x.avgEntry = D.ZERO;
  }

  unrealized(venue: VenueName, base: string, mid: D | null): D {
    const x = this.get(venue, base);
    if (mid === null || x.qty.isZero()) return D.ZERO;
    return mid.sub(x.avgEntry).mul(x.qty);
  }

  realizedTotal(): D {
    return D.sum([...this.h.values()].map((x) => x.realized));
  }

  feesTotal(): D {
    return D.sum([...this.h.values()].map((x) => x.fees));
  }

  volumeTotal(): D {
    return D.sum([...this.h.values()].map((x) => x.volume));
  }
}
