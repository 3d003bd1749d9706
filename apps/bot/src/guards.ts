/**
 * @module guards — what may stop an entry, and the kill switch that stops all entries.
 *
 * Entry gates are re-evaluated on every signal (feed health, quote age, net mismatch, in-flight work);
 * the kill switch is sticky: once tripped (daily loss, net exposure, consecutive failures, reconnect storm,
 * an unflattenable residual) it stays tripped across restarts until an operator passes `--reset-kill`.
 * Exits (hedging or unwinding a residual) are never blocked by a guard: blocking them is how positions end
 * up naked.
 */
import type { D } from "@paradex-edgex/core/decimal";

export interface GuardLimits {
  maxQuoteAgeMs: number;
  maxDailyLossUsd: D;
  maxNetExposureUsd: D;
  maxConsecutiveFailures: number;
  stormCount: number;
  stormWindowMs: number;
}

export class Guards {
  private killReason: string | null = null;
  private consecutiveFailures = 0;
  private readonly reconnects: number[] = [];
  /** Markets whose cross-venue net position is out of tolerance (base → description). */
  readonly mismatches = new Map<string, string>();

  constructor(
    private readonly limits: GuardLimits,
    private readonly onKill: (reason: string) => void,
  ) {}

  get killed(): string | null {
    return this.killReason;
  }

  /** Restore a kill from the journal without re-running its side effects. */
  restoreKill(reason: string): void {
    this.killReason = reason;
  }

  trip(reason: string): void {
    if (this.killReason !== null) return;
    this.killReason = reason;
    this.onKill(reason);
  }

  /** Quote-age gate: both quotes must be younger than the limit. */
  quoteAgeProblem(ageA: number, ageB: number): string | null {
    const worst = Math.max(ageA, ageB);
    return worst > this.limits.maxQuoteAgeMs
      ? `quote age ${Math.round(worst)} ms > ${this.limits.maxQuoteAgeMs}`
      : null;
  }

  /** Count an arbitrage outcome: `clean` = both legs filled equally with no correction. */
  arbOutcome(clean: boolean): void {
    this.consecutiveFailures = clean ? 0 : this.consecutiveFailures + 1;
    if (this.consecutiveFailures >= this.limits.maxConsecutiveFailures) {
      this.trip(`${this.consecutiveFailures} consecutive failed arbitrages`);
    }
  }

  get failuresInARow(): number {
    return this.consecutiveFailures;
  }

  /** A venue reported `reconnecting`; too many within the window is a storm. */
  reconnect(now: number): void {
    this.reconnects.push(now);
    while (this.reconnects.length > 0 && (this.reconnects[0] as number) < now - this.limits.stormWindowMs)
      this.reconnects.shift();
    if (this.reconnects.length >= this.limits.stormCount) {
      this.trip(`reconnect storm: ${this.reconnects.length} reconnects within ${this.limits.stormWindowMs} ms`);
    }
  }

  /** Risk checks on the marked book: total PnL today and net exposure (USD). */
  risk(pnlTodayUsd: D, netExposureUsd: D): void {
    if (pnlTodayUsd.neg().gt(this.limits.maxDailyLossUsd))
      this.trip(`daily loss ${pnlTodayUsd.round(2).toString()} USD beyond limit`);
    else if (netExposureUsd.gt(this.limits.maxNetExposureUsd))
      this.trip(`net exposure ${netExposureUsd.round(2).toString()} USD beyond limit`);
  }
}
