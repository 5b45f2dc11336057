/**
 * The built-in `sandbox` payment gateway (SPEC §5), for development and tests. It keeps its state
 * in the database (sandbox_cards, sandbox_charges, sandbox_refunds) so that every process sees the
 * same charges and crash-recovery tests can ask it what happened.
 *
 * Test cards: 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 declines `card_declined`;
 * 4000 0000 0000 9995 declines `insufficient_funds`; 4000 0000 0000 0341 charges fine but every
 * refund of its charges fails `refund_failed_by_issuer` (for refund-failure flows); any other
 * Luhn-valid number succeeds.
 *
 * The card number is never stored: a card is its token, a behaviour and a fingerprint (sha256 of
 * the digits). Charges are deduplicated by idempotency key through the table's unique index, so
 * concurrent calls with one key make one charge. Refunds are deduplicated the same way through
 * sandbox_refunds: one transaction inserts the key (ON CONFLICT DO NOTHING), and only the call
 * whose insert happened applies the refund and stores its outcome, succeeded or failed; any other
 * call with that key (a retry, or a concurrent call, which waits for the winner to commit) gets the
 * stored outcome. So a key refunds at most once, and a key that failed keeps failing: retry a
 * failed refund with a new key. Over-refunding is impossible either way, since the refund is one
 * conditional UPDATE. A refund of an unknown charge is not stored (there is no charge to refer to).
 *
 * Caller bugs throw: a non-positive or non-integer amount, an empty idempotency key, and one key
 * reused for a different card or amount (charges) or a different charge or amount (refunds).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db, Sql } from '../db/client.ts';
import type {
  CardInput,
  CardResult,
  ChargeRecord,
  ChargeResult,
  PaymentGateway,
  RefundResult,
} from './payment-gateway.ts';

type Behaviour = 'succeed' | 'card_declined' | 'insufficient_funds' | 'refund_fails';

const TEST_CARDS: Readonly<Record<string, Behaviour>> = {
  '4242424242424242': 'succeed',
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
  '4000000000000341': 'refund_fails',
};

/** The decline code a charge on a card with this behaviour gets, or null when it succeeds. */
function declineCodeFor(behaviour: Behaviour | undefined): string | null {
  if (behaviour === undefined) return 'card_declined'; // unknown token
  if (behaviour === 'succeed' || behaviour === 'refund_fails') return null;
  return behaviour;
}

const DECLINE_MESSAGES: Readonly<Record<string, string>> = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
};

const UNKNOWN_TOKEN_MESSAGE = 'Your card was declined: no such card token.';

/** True when the digit string passes the Luhn checksum. */
export function luhnValid(digits: string): boolean {
  let total = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
    double = !double;
  }
  return total % 10 === 0;
}

/** The card brand from the number's prefix. */
export function cardBrand(digits: string): 'visa' | 'mastercard' | 'amex' | 'unknown' {
  if (digits.startsWith('4')) return 'visa';
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  if (two === 34 || two === 37) return 'amex';
  return 'unknown';
}

interface ChargeRow {
  id: string;
  card_token: string;
  amount_cents: number;
  status: 'succeeded' | 'declined';
  decline_code: string | null;
  refunded_cents: number;
  card_known: boolean;
}

const SELECT_CHARGE = `
  SELECT c.id, c.card_token, c.amount_cents, c.status, c.decline_code, c.refunded_cents,
         (k.token IS NOT NULL) AS card_known
    FROM sandbox_charges c
    LEFT JOIN sandbox_cards k ON k.token = c.card_token
   WHERE c.idempotency_key = $1`;

function toChargeResult(row: ChargeRow): ChargeResult {
  if (row.status === 'succeeded') return { status: 'succeeded', chargeId: row.id };
  const code = row.decline_code ?? 'card_declined';
  const message = row.card_known
    ? (DECLINE_MESSAGES[code] ?? 'Your card was declined.')
    : UNKNOWN_TOKEN_MESSAGE;
  return { status: 'declined', code, message };
}

function assertPositiveCents(amountCents: number): void {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) {
    throw new RangeError(`amount must be a positive integer number of cents, got ${amountCents}`);
  }
}

function assertSameRequest(row: ChargeRow, token: string, amountCents: number, key: string): void {
  if (row.card_token !== token || row.amount_cents !== amountCents) {
    throw new Error(`idempotency key ${key} was already used for a different charge`);
  }
}

type CardCheck = Extract<CardResult, { ok: false }> | { ok: true; digits: string; expYear: number };

function validateCard(card: CardInput, now: Date): CardCheck {
  const digits = card.number.replace(/[ -]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) {
    return { ok: false, code: 'card_invalid', message: 'The card number is not valid.' };
  }
  const month = card.expMonth;
  const year =
    Number.isInteger(card.expYear) && card.expYear >= 0 && card.expYear < 100
      ? 2000 + card.expYear
      : card.expYear;
  if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(year)) {
    return { ok: false, code: 'card_expired', message: 'The card expiry date is not valid.' };
  }
  if (year * 12 + month < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1) {
    return { ok: false, code: 'card_expired', message: 'The card has expired.' };
  }
  if (!/^\d{3,4}$/.test(card.cvc)) {
    return { ok: false, code: 'card_invalid', message: 'The card security code is not valid.' };
  }
  return { ok: true, digits, expYear: year };
}

export function sandboxGateway(db: Db): PaymentGateway {
  return {
    name: 'sandbox',

    async createCard(card, now) {
      const checked = validateCard(card, now);
      if (!checked.ok) return checked;
      const { digits, expYear } = checked;
      const token = `tok_sandbox_${randomBytes(12).toString('hex')}`;
      const fingerprint = createHash('sha256').update(digits).digest('hex');
      const behaviour: Behaviour = TEST_CARDS[digits] ?? 'succeed';
      await db.query(
        'INSERT INTO sandbox_cards (token, fingerprint, behaviour, created_at) VALUES ($1, $2, $3, $4)',
        [token, fingerprint, behaviour, now],
      );
      return {
        ok: true,
        token,
        brand: cardBrand(digits),
        last4: digits.slice(-4),
        expMonth: card.expMonth,
        expYear,
      };
    },

    async charge({ token, amountCents, idempotencyKey, now }) {
      assertPositiveCents(amountCents);
      if (!idempotencyKey) throw new Error('an idempotency key is required');

      const [seen] = await db.query<ChargeRow>(SELECT_CHARGE, [idempotencyKey]);
      if (seen) {
        assertSameRequest(seen, token, amountCents, idempotencyKey);
        return toChargeResult(seen);
      }

      const [card] = await db.query<{ behaviour: Behaviour }>(
        'SELECT behaviour FROM sandbox_cards WHERE token = $1',
        [token],
      );
      const declineCode = declineCodeFor(card?.behaviour);
      const id = `ch_sandbox_${randomBytes(12).toString('hex')}`;
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO sandbox_charges (id, idempotency_key, card_token, amount_cents, status, decline_code, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id`,
        [id, idempotencyKey, token, amountCents, declineCode ? 'declined' : 'succeeded', declineCode, now],
      );
      if (inserted.length > 0) {
        if (!declineCode) return { status: 'succeeded', chargeId: id };
        const message = card ? DECLINE_MESSAGES[declineCode]! : UNKNOWN_TOKEN_MESSAGE;
        return { status: 'declined', code: declineCode, message };
      }

      // A concurrent call with the same key won the insert: its result is the result.
      const [winner] = await db.query<ChargeRow>(SELECT_CHARGE, [idempotencyKey]);
      if (!winner) throw new Error(`charge for idempotency key ${idempotencyKey} vanished`);
      assertSameRequest(winner, token, amountCents, idempotencyKey);
      return toChargeResult(winner);
    },

    async findCharge(idempotencyKey): Promise<ChargeRecord | null> {
      const [row] = await db.query<ChargeRow>(SELECT_CHARGE, [idempotencyKey]);
      if (!row) return null;
      return {
        chargeId: row.id,
        status: row.status,
        amountCents: row.amount_cents,
        refundedCents: row.refunded_cents,
      };
    },

    /**
     * Idempotent per `idempotencyKey` (see the file comment): the same key refunds at most once and
     * always returns the first outcome; never refunds more than was charged.
     */
    async refund({ chargeId, amountCents, idempotencyKey, now }): Promise<RefundResult> {
      assertPositiveCents(amountCents);
      if (!idempotencyKey) throw new Error('an idempotency key is required');
      return db.tx((q) => refundOnce(q, chargeId, amountCents, idempotencyKey, now));
    },
  };
}

type RefundFailureCode =
  | 'no_such_charge'
  | 'charge_not_refundable'
  | 'amount_too_large'
  | 'refund_failed_by_issuer';

interface RefundRow {
  charge_id: string;
  amount_cents: number;
  status: 'succeeded' | 'failed';
  failure_code: string | null;
}

/** The message for a refund failure; a function of what sandbox_refunds stores, so a replay repeats it. */
function refundFailure(code: string, chargeId: string, amountCents: number): RefundResult {
  const messages: Readonly<Record<string, string>> = {
    no_such_charge: `No such charge: ${chargeId}.`,
    charge_not_refundable: 'A declined charge cannot be refunded.',
    amount_too_large: `Refund of ${amountCents} cents exceeds the amount left to refund on ${chargeId}.`,
    refund_failed_by_issuer: 'The card issuer declined the refund.',
  };
  return { status: 'failed', code, message: messages[code] ?? 'The refund failed.' };
}

function toRefundResult(row: RefundRow): RefundResult {
  if (row.status === 'succeeded') return { status: 'succeeded' };
  return refundFailure(row.failure_code ?? 'refund_failed', row.charge_id, row.amount_cents);
}

/** Runs in one transaction: claims the key, and only if this call claimed it, refunds and stores the outcome. */
async function refundOnce(
  q: Sql,
  chargeId: string,
  amountCents: number,
  idempotencyKey: string,
  now: Date,
): Promise<RefundResult> {
  // Claims the key for an existing charge. Against a concurrent claim of the same key this waits
  // for the other transaction and then inserts nothing (or inserts, if that one rolled back).
  const claimed = await q.query<{ idempotency_key: string }>(
    `INSERT INTO sandbox_refunds (idempotency_key, charge_id, amount_cents, status, created_at)
     SELECT $1, id, $3, 'processing', $4 FROM sandbox_charges WHERE id = $2
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING idempotency_key`,
    [idempotencyKey, chargeId, amountCents, now],
  );

  if (claimed.length === 0) {
    // Either the key was used before (its outcome is the result) or the charge does not exist.
    const [stored] = await q.query<RefundRow>(
      'SELECT charge_id, amount_cents, status, failure_code FROM sandbox_refunds WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    if (!stored) return refundFailure('no_such_charge', chargeId, amountCents);
    if (stored.charge_id !== chargeId || stored.amount_cents !== amountCents) {
      throw new Error(`idempotency key ${idempotencyKey} was already used for a different refund`);
    }
    return toRefundResult(stored);
  }

  const updated = await q.query<{ id: string }>(
    `UPDATE sandbox_charges c SET refunded_cents = c.refunded_cents + $2
      WHERE c.id = $1 AND c.status = 'succeeded' AND c.refunded_cents + $2 <= c.amount_cents
        AND NOT EXISTS (
          SELECT 1 FROM sandbox_cards k WHERE k.token = c.card_token AND k.behaviour = 'refund_fails')
      RETURNING c.id`,
    [chargeId, amountCents],
  );

  let failureCode: RefundFailureCode | null = null;
  if (updated.length === 0) {
    const [row] = await q.query<{
      status: string;
      amount_cents: number;
      refunded_cents: number;
      behaviour: string | null;
    }>(
      `SELECT c.status, c.amount_cents, c.refunded_cents, k.behaviour
         FROM sandbox_charges c
         LEFT JOIN sandbox_cards k ON k.token = c.card_token
        WHERE c.id = $1`,
      [chargeId],
    );
    // The claim's foreign key holds the charge, and charges are never deleted.
    if (!row) throw new Error(`charge ${chargeId} vanished during its refund`);
    if (row.status !== 'succeeded') failureCode = 'charge_not_refundable';
    else if (row.refunded_cents + amountCents > row.amount_cents) failureCode = 'amount_too_large';
    else if (row.behaviour === 'refund_fails') failureCode = 'refund_failed_by_issuer';
    else throw new Error(`refund of ${amountCents} cents on ${chargeId} failed for no known reason`);
  }

  await q.query('UPDATE sandbox_refunds SET status = $2, failure_code = $3 WHERE idempotency_key = $1', [
    idempotencyKey,
    failureCode ? 'failed' : 'succeeded',
    failureCode,
  ]);
  return failureCode ? refundFailure(failureCode, chargeId, amountCents) : { status: 'succeeded' };
}
