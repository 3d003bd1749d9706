/**
 * @module decimal — exact decimal arithmetic on canonical strings (BigInt fixed point) for the toolkit.
 *
 * Candles, balances and PnL are sums and products of venue decimals; a float anywhere would make a candle
 * built from trades differ from the venue's own candle in the last digit. Values stay strings everywhere;
 * this module parses them at the point of arithmetic and returns the canonical form the protocol uses
 * (no exponent, no trailing zeros, no "-0": see `DECIMAL_RE` in bridge-ts/src/schema.ts).
 */

/** value = int / 10^scale */
interface Fixed {
  readonly int: bigint;
  readonly scale: number;
}

/** Plain decimal text as venues send it: optional sign, digits, optional fraction ("1.", ".5" allowed). */
const PLAIN = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))$/;

export class DecimalError extends Error {
  override readonly name = "DecimalError";
}

function parse(text: string): Fixed {
  if (typeof text !== "string") throw new DecimalError(`not a decimal string: ${String(text)}`);
  const m = PLAIN.exec(text);
  if (m === null) throw new DecimalError(`not a decimal: ${JSON.stringify(text)}`);
  const frac = m[3] ?? m[4] ?? "";
  const digits = BigInt((m[2] ?? "0") + frac);
  return { int: m[1] === "-" ? -digits : digits, scale: frac.length };
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function align(a: Fixed, b: Fixed): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.int * pow10(scale - a.scale), b.int * pow10(scale - b.scale), scale];
}

function format(value: Fixed): string {
  let { int, scale } = value;
  while (scale > 0 && int % 10n === 0n) {
    int /= 10n;
    scale -= 1;
  }
  const negative = int < 0n;
  const digits = (negative ? -int : int).toString();
  if (scale === 0) return (negative ? "-" : "") + digits;
  const padded = digits.padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** True when `text` is a plain decimal (what `canonical` accepts). */
export function isDecimal(text: unknown): text is string {
  return typeof text === "string" && PLAIN.test(text);
}

/** "65000.50000000" → "65000.5", "-0.0" → "0"; exponents and garbage raise DecimalError. */
export function canonical(text: string): string {
  return format(parse(text));
}

/**
 * Canonical string of a venue number that may arrive as a JSON number (Paradex klines do, per the reference).
 * A number is taken at its shortest round-trip text (what the venue printed, for any value with ≤ 15
 * significant digits), with exponent forms such as `1e-7` expanded exactly; non-finite values are refused.
 */
export function fromWire(value: unknown): string {
  if (typeof value === "string") return canonical(value.trim());
  if (typeof value === "number" && Number.isFinite(value)) return format(parseExponent(String(value)));
  throw new DecimalError(`not a decimal value: ${JSON.stringify(value)}`);
}

/** `1.5e-7` → exact fixed point (only JS number text reaches here, so the shape is known). */
function parseExponent(text: string): Fixed {
  const [mantissa = "", exp] = text.split("e");
  const base = parse(mantissa);
  const e = exp === undefined ? 0 : Number(exp);
  return e >= 0 ? { int: base.int * pow10(e), scale: base.scale } : { int: base.int, scale: base.scale - e };
}

export function add(a: string, b: string): string {
  const [x, y, s] = align(parse(a), parse(b));
  return format({ int: x + y, scale: s });
}

export function sub(a: string, b: string): string {
  const [x, y, s] = align(parse(a), parse(b));
  return format({ int: x - y, scale: s });
}

export function mul(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  return format({ int: x.int * y.int, scale: x.scale + y.scale });
}

/** a / b truncated toward zero at `scale` fractional digits; b = 0 raises. */
export function div(a: string, b: string, scale = 12): string {
  const x = parse(a);
  const y = parse(b);
  if (y.int === 0n) throw new DecimalError(`division by zero: ${a} / ${b}`);
  const shift = y.scale + scale - x.scale;
  const num = shift >= 0 ? x.int * pow10(shift) : x.int / pow10(-shift);
  return format({ int: num / y.int, scale });
}

export function neg(a: string): string {
  const x = parse(a);
  return format({ int: -x.int, scale: x.scale });
}

export function abs(a: string): string {
  const x = parse(a);
  return format({ int: x.int < 0n ? -x.int : x.int, scale: x.scale });
}

/** -1, 0 or 1. */
export function cmp(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(parse(a), parse(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function max(a: string, b: string): string {
  return cmp(a, b) >= 0 ? a : b;
}

export function min(a: string, b: string): string {
  return cmp(a, b) <= 0 ? a : b;
}

export function isZero(a: string): boolean {
  return parse(a).int === 0n;
}

export function sign(a: string): -1 | 0 | 1 {
  const i = parse(a).int;
  return i < 0n ? -1 : i > 0n ? 1 : 0;
}

/** Sum of a list ("0" for an empty list). */
export function sum(values: Iterable<string>): string {
  let total = "0";
  for (const v of values) total = add(total, v);
  return total;
}
