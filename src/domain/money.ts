/**
 * Money, exactly. Two integer units:
 *  - Cents: amounts (balances, line items, payments). 1 USD = 100 cents.
 *  - Price4: unit prices, in 1/10000 USD, so a price may carry up to 4 decimals.
 * Every value is a JavaScript safe integer; every function checks it. No float ever
 * takes part in arithmetic: decimal strings are parsed digit by digit.
 */

export type Cents = number;
export type Price4 = number;

export class MoneyError extends Error {
  override name = 'MoneyError';
}

function assertInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new MoneyError(`${what} must be a safe integer, got ${n}`);
}

const DECIMAL = /^(-)?(\d{1,13})(?:\.(\d+))?$/;

/**
 * Parses a decimal amount ("225", "225.5", "225.00", or a JSON number such as 225.5) into
 * integer units with `scale` decimals. More decimals than `scale` is an error, not a rounding.
 */
function parseScaled(input: string | number, scale: number, what: string): number {
  const text = typeof input === 'number' ? numberToPlainString(input) : input.trim();
  const m = DECIMAL.exec(text);
  if (!m) throw new MoneyError(`${what}: "${input}" is not a decimal amount`);
  const [, sign, whole, frac = ''] = m;
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) {
    throw new MoneyError(`${what}: "${input}" has more than ${scale} decimals`);
  }
  const fracDigits = frac.slice(0, scale).padEnd(scale, '0');
  const value = Number(whole) * 10 ** scale + (scale > 0 ? Number(fracDigits) : 0);
  assertInt(value, what);
  return sign && value !== 0 ? -value : value;
}

/** A JSON number as the shortest decimal string, refusing exponents, NaN and infinities. */
function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) throw new MoneyError(`${n} is not a finite amount`);
  const s = String(n);
  if (/e/i.test(s)) throw new MoneyError(`${n} is out of range`);
  return s;
}

/** "225.00" or 225 → 22500 cents. At most 2 decimals. */
export function parseUsd(input: string | number): Cents {
  return parseScaled(input, 2, 'amount');
}

/** "4.5" or 4.5 → 45000 (1/10000 USD). At most 4 decimals. */
export function parsePrice4(input: string | number): Price4 {
  return parseScaled(input, 4, 'price');
}

/** 22500 → "225.00" */
export function formatUsd(cents: Cents): string {
  assertInt(cents, 'amount');
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** 45000 → "4.50"; keeps the 3rd and 4th decimals only when they are not zero. */
export function formatPrice4(p: Price4): string {
  assertInt(p, 'price');
  const neg = p < 0;
  const abs = Math.abs(p);
  const whole = Math.floor(abs / 10000);
  let frac = String(abs % 10000).padStart(4, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/**
 * Integer division rounding half away from zero (half-up on magnitudes), done in BigInt so
 * intermediate products never lose precision.
 */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new MoneyError('division by zero');
  const neg = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (2n * d);
  return neg ? -q : q;
}

function toSafe(b: bigint, what: string): number {
  const n = Number(b);
  assertInt(n, what);
  return n;
}

/**
 * Line amount: unit price (1/10000 USD) × quantity × (optional) term multiplier, rounded
 * half-up to the cent once, at the end.
 */
export function lineAmount(unitPrice: Price4, quantity: number, multiplier = 1): Cents {
  assertInt(unitPrice, 'unit price');
  assertInt(quantity, 'quantity');
  assertInt(multiplier, 'multiplier');
  return toSafe(
    divRoundHalfUp(BigInt(unitPrice) * BigInt(quantity) * BigInt(multiplier), 100n),
    'line amount',
  );
}

/** cents × numerator / denominator, half-up (e.g. 10% of x is mulDivHalfUp(x, 10, 100)). */
export function mulDivHalfUp(amount: Cents, numerator: number | bigint, denominator: number | bigint): Cents {
  assertInt(amount, 'amount');
  if (typeof numerator === 'number') assertInt(numerator, 'numerator');
  if (typeof denominator === 'number') assertInt(denominator, 'denominator');
  return toSafe(divRoundHalfUp(BigInt(amount) * BigInt(numerator), BigInt(denominator)), 'amount');
}

export function sum(amounts: readonly Cents[]): Cents {
  let total = 0;
  for (const a of amounts) {
    assertInt(a, 'amount');
    total += a;
    assertInt(total, 'running sum');
  }
  return total;
}

export function add(a: Cents, b: Cents): Cents {
  return sum([a, b]);
}

export function subtract(a: Cents, b: Cents): Cents {
  return sum([a, -b]);
}

export function min(a: Cents, b: Cents): Cents {
  assertInt(a, 'amount');
  assertInt(b, 'amount');
  return a < b ? a : b;
}

export function max(a: Cents, b: Cents): Cents {
  assertInt(a, 'amount');
  assertInt(b, 'amount');
  return a > b ? a : b;
}

/**
 * Largest-remainder split: `total` (≥ 0) across parts in proportion to `weights` (≥ 0, not all
 * zero). The parts always add up to `total` exactly; ties in remainder go to the earlier part.
 * With equal weights 1000 over three parts gives [334, 333, 333].
 */
export function allocate(total: Cents, weights: readonly (number | bigint)[]): Cents[] {
  assertInt(total, 'total');
  if (total < 0) throw new MoneyError('cannot allocate a negative total');
  if (weights.length === 0) throw new MoneyError('nothing to allocate to');
  const w = weights.map((x) => BigInt(x));
  if (w.some((x) => x < 0n)) throw new MoneyError('weights must not be negative');
  const wsum = w.reduce((a, b) => a + b, 0n);
  if (wsum === 0n) throw new MoneyError('weights must not all be zero');
  const t = BigInt(total);
  const floors = w.map((x) => (t * x) / wsum);
  const remainders = w.map((x, i) => t * x - floors[i]! * wsum);
  let left = t - floors.reduce((a, b) => a + b, 0n);
  const order = remainders
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    floors[i] = floors[i]! + 1n;
    left -= 1n;
  }
  return floors.map((x) => toSafe(x, 'part'));
}
