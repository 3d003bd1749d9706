/**
 * @module decimal — exact decimal arithmetic for prices, sizes, fees and PnL (BigInt fixed point, 18 places).
 *
 * Every quantity that ends up in an order is a string on the wire; a float anywhere on the path from book to
 * order could send 0.30000000000000004 BTC. Values live as `D` (an integer count of 1e-18 units) while we compute
 * and go back to canonical strings (no exponent, no trailing zeros, no "-0") at the boundary.
 */

const SCALE = 18;
const ONE_INT = 10n ** BigInt(SCALE);
const PLAIN = /^([+-]?)(\d+)(?:\.(\d+))?$/;

export class DecimalError extends Error {
  override readonly name = "DecimalError";
}

export type Rounding = "floor" | "ceil" | "trunc" | "half-even";

/** Divide integers with an explicit rounding mode (BigInt `/` truncates toward zero). */
function divRound(n: bigint, d: bigint, mode: Rounding): bigint {
  if (d === 0n) throw new DecimalError("division by zero");
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  switch (mode) {
    case "trunc":
      return q;
    case "floor":
      return n < 0n ? q - 1n : q;
    case "ceil":
      return n > 0n ? q + 1n : q;
    case "half-even": {
      const twice = 2n * (r < 0n ? -r : r);
      const away = n < 0n ? q - 1n : q + 1n;
      if (twice > d) return away;
      if (twice < d) return q;
      return q % 2n === 0n ? q : away;
    }
  }
}

/** An immutable exact decimal with 18 fractional digits. */
export class D {
  private constructor(readonly units: bigint) {}

  static readonly ZERO = new D(0n);
  static readonly ONE = new D(ONE_INT);

  /** Parse a plain decimal string; more than 18 fractional digits, exponents or garbage raise DecimalError. */
  static from(value: string | D): D {
    if (value instanceof D) return value;
    const m = PLAIN.exec(value.trim());
    if (m === null) throw new DecimalError(`not a decimal: ${JSON.stringify(value)}`);
    const frac = m[3] ?? "";
    if (frac.replace(/0+$/, "").length > SCALE) throw new DecimalError(`more than ${SCALE} decimals: ${value}`);
    const units = BigInt((m[2] ?? "0") + frac.slice(0, SCALE).padEnd(SCALE, "0"));
    return new D(m[1] === "-" ? -units : units);
  }

  static fromInt(n: number | bigint): D {
    return new D(BigInt(n) * ONE_INT);
  }

  /** True if `value` parses as a decimal this module accepts. */
  static isValid(value: string): boolean {
    try {
      D.from(value);
      return true;
    } catch {
      return false;
    }
  }

  add(o: D | string): D {
    return new D(this.units + D.from(o).units);
  }
  sub(o: D | string): D {
    return new D(this.units - D.from(o).units);
  }
  /** Product, rounded to 18 places (exact for the tick × size values orders use). */
  mul(o: D | string, mode: Rounding = "half-even"): D {
    return new D(divRound(this.units * D.from(o).units, ONE_INT, mode));
  }
  div(o: D | string, mode: Rounding = "half-even"): D {
    return new D(divRound(this.units * ONE_INT, D.from(o).units, mode));
  }
  neg(): D {
    return new D(-this.units);
  }
  abs(): D {
    return this.units < 0n ? this.neg() : this;
  }
  cmp(o: D | string): -1 | 0 | 1 {
    const u = D.from(o).units;
    return this.units < u ? -1 : this.units > u ? 1 : 0;
  }
  eq(o: D | string): boolean {
    return this.cmp(o) === 0;
  }
  lt(o: D | string): boolean {
    return this.cmp(o) < 0;
  }
  lte(o: D | string): boolean {
    return this.cmp(o) <= 0;
  }
  gt(o: D | string): boolean {
    return this.cmp(o) > 0;
  }
  gte(o: D | string): boolean {
    return this.cmp(o) >= 0;
  }
  isZero(): boolean {
    return this.units === 0n;
  }
  isNeg(): boolean {
    return this.units < 0n;
  }
  isPos(): boolean {
    return this.units > 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.units < 0n ? -1 : this.units > 0n ? 1 : 0;
  }

  /** Round to a multiple of `step` (a tick or lot size): floor for sells/sizes, ceil for buy protection prices. */
  quantize(step: D | string, mode: Rounding): D {
    const s = D.from(step).units;
    if (s <= 0n) throw new DecimalError(`step must be positive: ${D.from(step).toString()}`);
    return new D(divRound(this.units, s, mode) * s);
  }
  /** True if this is an exact multiple of `step`. */
  isMultipleOf(step: D | string): boolean {
    const s = D.from(step).units;
    return s > 0n && this.units % s === 0n;
  }

  /** Round to `places` decimals (for display and bps figures). */
  round(places: number, mode: Rounding = "half-even"): D {
    const f = 10n ** BigInt(SCALE - places);
    return new D(divRound(this.units, f, mode) * f);
  }

  /** Canonical string: no exponent, no trailing zeros, no "-0". */
  toString(): string {
    const neg = this.units < 0n;
    const digits = (neg ? -this.units : this.units).toString().padStart(SCALE + 1, "0");
    const whole = digits.slice(0, -SCALE);
    const frac = digits.slice(-SCALE).replace(/0+$/, "");
    const body = frac === "" ? whole : `${whole}.${frac}`;
    return neg ? `-${body}` : body;
  }
  toJSON(): string {
    return this.toString();
  }
  /** For display and metrics only; never feed the result back into an order. */
  toNumber(): number {
    return Number(this.toString());
  }

  static max(a: D, b: D): D {
    return a.gte(b) ? a : b;
  }
  static min(a: D, b: D): D {
    return a.lte(b) ? a : b;
  }
  static sum(xs: Iterable<D>): D {
    let t = 0n;
    for (const x of xs) t += x.units;
    return new D(t);
  }

  /** Smallest positive multiple of both steps (the coarser lot when one step divides the other). */
  static lcm(a: D | string, b: D | string): D {
    const x = D.from(a).units;
    const y = D.from(b).units;
    if (x <= 0n || y <= 0n) throw new DecimalError("lcm of non-positive steps");
    let g = x;
    let h = y;
    while (h !== 0n) [g, h] = [h, g % h];
    return new D((x / g) * y);
  }
}

/** Shorthand for `D.from`. */
export const d = (v: string | D): D => D.from(v);
