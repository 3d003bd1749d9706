/**
 * @module backoff — the one reconnect/restart delay of the TypeScript side.
 *
 * Exponential, capped, then jittered downwards: with `jitter` 0.5 the delay is uniform in [d/2, d], so many
 * clients that lost the same server do not come back in step, and the cap still bounds the worst wait.
 */

export interface BackoffPolicy {
  /** Delay of the first attempt. */
  initialDelayMs: number;
  /** Ceiling of the delay. */
  maxDelayMs: number;
  /** Growth per consecutive failure. */
  factor: number;
  /** Fraction of the delay that is random (0 = none, 0.5 = delay ∈ [d/2, d]). */
  jitter: number;
}

/** Delay before attempt number `attempt` (1-based). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  // The exponent is clamped so a very long outage cannot overflow to Infinity before the cap applies.
  const exp = policy.initialDelayMs * policy.factor ** Math.min(Math.max(0, attempt - 1), 64);
  const base = Math.min(policy.maxDelayMs, exp);
  return Math.round(base * (1 - policy.jitter * random()));
}
