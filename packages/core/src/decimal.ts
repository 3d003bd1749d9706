/**
 * @module decimal — the one exact decimal of the repository (BigInt fixed point), in two styles:
 *
 * - functions on canonical strings (`add`, `mul`, `floorToStep`, …): EdgeX signing amounts, toolkit candles,
 *   balances and PnL. Values stay strings; each call parses, computes exactly and prints canonical text.
 * - the immutable class `D` (18 fractional digits, explicit rounding modes): the bot's prices, sizes, fees and
 *   PnL, where a computation chains many operations.
 *
 * Rules (one set for both): input is plain decimal text — optional sign, digits, optional fraction; `"1."` and
 * `".5"` are accepted (venues print both), surrounding whitespace is ignored, exponents and anything else raise
 * `DecimalError`. Output is canonical: no exponent, no trailing zeros, no "-0". `div(a, b, scale = 18)` truncates
 * toward zero at `scale` digits; `D` keeps 18 digits, `D#mul`/`D#div` round half-even unless told otherwise,
 * and `D.from` refuses more than 18 significant fractional digits instead of rounding them away.
 * A float anywhere on an order's path would sign or send the wrong amount: `toNumber` is for display only.
 */

/** A parsed decimal: value = int / 10^scale. */
export interface Dec {
  readonly int: bigint;
  readonly scale: number;
}

const PLAIN = /^([+-]?)(\d+)(?:\.(\d*))?$|^([+-]?)\.(\d+)$/;

export class DecimalError extends Error {
  override readonly name = "DecimalError";
}

/** Parse a plain decimal string ("97393.8", "-0.001", "1."); exponents and garbage raise DecimalError. */
export function parseDec(text: string): Dec {
  const m = PLAIN.exec(text.trim());
  if (m === null) throw new DecimalError(`not a decimal: ${JSON.stringify(text)}`);
  const sign = m[1] ?? m[4] ?? "";
  const whole = m[2] ?? "0";
  const frac = m[3] ?? m[5] ?? "";
  const int = BigInt(whole + frac);
  return { int: sign === "-" ? -int : int, scale: frac.length };
}

/** True if the value is a string that parses as a plain decimal (a guard: wire values arrive untyped). */
export function isDecimal(text: unknown): text is string {
  return typeof text === "string" && PLAIN.test(text.trim());
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.int * pow10(scale - a.scale), b.int * pow10(scale - b.scale), scale];
}

/** Canonical text: no exponent, no trailing zeros, no "-0". */
export function formatDec(d: Dec): string {
  let { int, scale } = d;
  while (scale > 0 && int % 10n === 0n) {
    int /= 10n;
    scale -= 1;
  }
  const neg = int < 0n;
  const digits = (neg ? -int : int).toString();
  if (scale === 0) return (neg ? "-" : "") + digits;
  const padded = digits.padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** Canonical form of a decimal string: "65000.50000000" → "65000.5". Raises DecimalError on garbage. */
export function canonical(text: string): string {
  return formatDec(parseDec(text));
}

export function add(a: string, b: string): string {
  const [x, y, s] = align(parseDec(a), parseDec(b));
  return formatDec({ int: x + y, scale: s });
}

export function sub(a: string, b: string): string {
  const [x, y, s] = align(parseDec(a), parseDec(b));
  return formatDec({ int: x - y, scale: s });
}

export function mul(a: string, b: string): string {
  const x = parseDec(a);
  const y = parseDec(b);
  return formatDec({ int: x.int * y.int, scale: x.scale + y.scale });
}

export function neg(a: string): string {
  const x = parseDec(a);
  return formatDec({ int: -x.int, scale: x.scale });
}

/** -1, 0 or 1. */
export function cmp(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(parseDec(a), parseDec(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(a: string): boolean {
  return parseDec(a).int === 0n;
}

export function abs(a: string): string {
  const x = parseDec(a);
  return formatDec({ int: x.int < 0n ? -x.int : x.int, scale: x.scale });
}

export function min(a: string, b: string): string {
  return cmp(a, b) <= 0 ? a : b;
}

export function max(a: string, b: string): string {
  return cmp(a, b) >= 0 ? a : b;
}

/** Integer part toward zero, as a bigint ("12.9" → 12n, "-12.9" → -12n). */
export function truncToBigInt(a: string): bigint {
  const x = parseDec(a);
  return x.int / pow10(x.scale);
}

/** Smallest integer ≥ a, as a bigint. */
export function ceilToBigInt(a: string): bigint {
  const x = parseDec(a);
  const p = pow10(x.scale);
  const q = x.int / p;
  return x.int > 0n && x.int % p !== 0n ? q + 1n : q;
}

/** Largest integer ≤ a, as a bigint. */
export function floorToBigInt(a: string): bigint {
  const x = parseDec(a);
  const p = pow10(x.scale);
  const q = x.int / p;
  return x.int < 0n && x.int % p !== 0n ? q - 1n : q;
}

/** a / b rounded toward zero to `scale` fractional digits (b ≠ 0). */
export function div(a: string, b: string, scale = 18): string {
  const x = parseDec(a);
  const y = parseDec(b);
  if (y.int === 0n) throw new DecimalError("division by zero");
  // a/b = (x.int/10^xs) / (y.int/10^ys) = x.int * 10^(ys + scale - xs) / y.int / 10^scale
  const shift = y.scale + scale - x.scale;
  const num = shift >= 0 ? x.int * pow10(shift) : x.int / pow10(-shift);
  return formatDec({ int: num / y.int, scale });
}

/** True if a is an integer multiple of step (step > 0). */
export function isMultipleOf(a: string, step: string): boolean {
  const [x, y] = align(parseDec(a), parseDec(step));
  return y !== 0n && x % y === 0n;
}

/** Round a down (toward −∞) to a multiple of step. */
export function floorToStep(a: string, step: string): string {
  const [x, y, s] = align(parseDec(a), parseDec(step));
  let q = x / y;
  if (x < 0n && x % y !== 0n) q -= 1n;
  return formatDec({ int: q * y, scale: s });
}

/** Round a up (toward +∞) to a multiple of step. */
export function ceilToStep(a: string, step: string): string {
  const [x, y, s] = align(parseDec(a), parseDec(step));
  let q = x / y;
  if (x > 0n && x % y !== 0n) q += 1n;
  return formatDec({ int: q * y, scale: s });
}

/**
 * Parse an EdgeX resolution: hex when prefixed "0x" (legacy starkEx fields), else a decimal integer literal.
 * Reference §4.5: the V2 SDK parses `resolution` this way; the gitbook's power-of-ten reading conflicts.
 */
export function parseResolution(text: string): bigint {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  if (/^\d+$/.test(t)) return BigInt(t);
  throw new DecimalError(`not a resolution: ${JSON.stringify(text)}`);
}

/** trunc(a × factor) for an integer factor: the amount-scaling step of the EIP-712 order message. */
export function scaleTrunc(a: string, factor: bigint): bigint {
  const x = parseDec(a);
  return (x.int * factor) / pow10(x.scale);
}

export function sign(a: string): -1 | 0 | 1 {
  const i = parseDec(a).int;
  return i < 0n ? -1 : i > 0n ? 1 : 0;
}

/** Sum of a list ("0" for an empty list). */
export function sum(values: Iterable<string>): string {
  let total = "0";
  for (const v of values) total = add(total, v);
  return total;
}

/**
 * Canonical string of a venue number that may arrive as a JSON number (Paradex klines do). A number is taken
 * at its shortest round-trip text (what the venue printed, for any value with ≤ 15 significant digits), with
 * exponent forms such as `1e-7` expanded exactly; non-finite values are refused.
 */
export function fromWire(value: unknown): string {
  if (typeof value === "string") return canonical(value);
  if (typeof value === "number" && Number.isFinite(value)) {
    const [mantissa = "", exp] = String(value).split("e");
    const base = parseDec(mantissa);
    const e = exp === undefined ? 0 : Number(exp);
    return formatDec(
      e >= 0 ? { int: base.int * pow10(e), scale: base.scale } : { int: base.int, scale: base.scale - e },
    );
  }
  throw new DecimalError(`not a decimal value: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------------
// D: an immutable decimal with 18 fractional digits and explicit rounding
// ---------------------------------------------------------------------------------------------------

const D_SCALE = 18;
const D_ONE = pow10(D_SCALE);

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

/** An immutable exact decimal with 18 fractional digits (`units` counts 1e-18). */
export class D {
  private constructor(readonly units: bigint) {}

  static readonly ZERO = new D(0n);
  static readonly ONE = new D(D_ONE);

  /** Parse plain decimal text (the module's rules); more than 18 significant decimals raise DecimalError. */
  static from(value: string | D): D {
    if (value instanceof D) return value;
    const { int, scale } = parseDec(value);
    if (scale <= D_SCALE) return new D(int * pow10(D_SCALE - scale));
    const f = pow10(scale - D_SCALE);
    if (int % f !== 0n) throw new DecimalError(`more than ${D_SCALE} decimals: ${value}`);
    return new D(int / f);
  }

  static fromInt(n: number | bigint): D {
    return new D(BigInt(n) * D_ONE);
  }

  /** True if `value` parses as a decimal `D.from` accepts. */
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
    return new D(divRound(this.units * D.from(o).units, D_ONE, mode));
  }
  div(o: D | string, mode: Rounding = "half-even"): D {
    return new D(divRound(this.units * D_ONE, D.from(o).units, mode));
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
    const f = pow10(D_SCALE - places);
    return new D(divRound(this.units, f, mode) * f);
  }

  /** Canonical string: no exponent, no trailing zeros, no "-0". */
  toString(): string {
    return formatDec({ int: this.units, scale: D_SCALE });
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
