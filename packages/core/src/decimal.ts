/**
 * Exact decimal arithmetic on strings (BigInt fixed point): the only place EdgeX prices and sizes meet arithmetic.
 *
 * Orders are signed over integer amounts derived from decimal strings (size × resolution, price × size, fee
 * ceilings), so a float anywhere on that path would sign the wrong amount. Wire values stay strings; this module
 * converts at the point of arithmetic and back to the canonical form (no exponent, no trailing zeros).
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

/** True if the text parses as a plain decimal. */
export function isDecimal(text: string): boolean {
  return PLAIN.test(text.trim());
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
export function cmp(a: string, b: string): number {
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
