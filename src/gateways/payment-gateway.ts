/**
 * The payment gateway behind card payments (SPEC §5): the built-in `sandbox` gateway implements it
 * for development and tests, a Stripe gateway is the production target. The server stores brand,
 * last 4 and expiry only; the card number goes to the gateway and comes back as a token.
 *
 * Charges and refunds happen outside the database transaction (DESIGN habit 7): the caller records
 * its intent first, then calls the gateway with an idempotency key of its own making, so that a
 * recovery job can ask `findCharge` what happened, or simply repeat the call, after a crash.
 * Amounts are integer cents.
 */

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export type CardResult =
  | { ok: true; token: string; brand: string; last4: string; expMonth: number; expYear: number }
  | { ok: false; code: 'card_invalid' | 'card_expired'; message: string };

export type ChargeResult =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'declined'; code: string; message: string };

export interface ChargeRecord {
  chargeId: string;
  status: 'succeeded' | 'declined';
  amountCents: number;
  refundedCents: number;
}

export type RefundResult = { status: 'succeeded' } | { status: 'failed'; code: string; message: string };

export interface PaymentGateway {
  readonly name: string;
  /** tokenizes a card; the server never stores the number */
  createCard(card: CardInput, now: Date): Promise<CardResult>;
  /** charges with the gateway's own idempotency key: the same key never charges twice and returns the first result */
  charge(req: {
    token: string;
    amountCents: number;
    idempotencyKey: string;
    now: Date;
  }): Promise<ChargeResult>;
  /** what the gateway knows of a charge made with this idempotency key, or null (used by crash recovery) */
  findCharge(idempotencyKey: string): Promise<ChargeRecord | null>;
  refund(req: {
    chargeId: string;
    amountCents: number;
    idempotencyKey: string;
    now: Date;
  }): Promise<RefundResult>;
}
