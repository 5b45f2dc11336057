/**
 * The API's JSON: USD amounts are JSON numbers with two decimals ("total_usd": 225.00), which
 * JSON.stringify cannot write. Presenters wrap amounts with usd()/price(); the serializer writes
 * them as a marker string and then unquotes the marker into the exact decimal.
 */
import { randomBytes } from 'node:crypto';
import { type Cents, formatPrice4, formatUsd, type Price4 } from '../domain/money.ts';

const MARK = `\u0001${randomBytes(6).toString('hex')}:`;
const MARKED = new RegExp(`"\\\\u0001${MARK.slice(1)}(-?\\d+\\.\\d+)"`, 'g');

class Decimal {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `${MARK}${this.text}`;
  }
}

/** An amount in cents, shown as a USD number with two decimals. */
export function usd(cents: Cents): number {
  return new Decimal(formatUsd(cents)) as unknown as number;
}

/** A unit price in 1/10000 USD, shown with two to four decimals. */
export function price(p: Price4): number {
  return new Decimal(formatPrice4(p)) as unknown as number;
}

export function stringify(value: unknown): string {
  return JSON.stringify(value).replace(MARKED, '$1');
}
