/** Payment methods (brand, last 4, expiry and the gateway's token only) and card payments. */
import { type CardPaymentStatus, cardPaymentMove } from '../domain/card-payment-states.ts';
import type { Sql } from './client.ts';

export interface PaymentMethod {
  id: string;
  accountId: string;
  gateway: string;
  gatewayRef: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  createdAt: Date;
}

const PM_COLS = 'id, account_id, gateway, gateway_ref, brand, last4, exp_month, exp_year, created_at';

function mapPm(r: Record<string, unknown>): PaymentMethod {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    gateway: r.gateway as string,
    gatewayRef: r.gateway_ref as string,
    brand: r.brand as string,
    last4: r.last4 as string,
    expMonth: r.exp_month as number,
    expYear: r.exp_year as number,
    createdAt: r.created_at as Date,
  };
}

export async function insertPaymentMethod(q: Sql, pm: PaymentMethod): Promise<void> {
  await q.query(`INSERT INTO payment_methods (${PM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    pm.id,
    pm.accountId,
    pm.gateway,
    pm.gatewayRef,
    pm.brand,
    pm.last4,
    pm.expMonth,
    pm.expYear,
    pm.createdAt,
  ]);
}

export async function getPaymentMethod(q: Sql, id: string, accountId: string): Promise<PaymentMethod | null> {
  const rows = await q.query(
    `SELECT ${PM_COLS} FROM payment_methods WHERE id = $1 AND account_id = $2 AND detached_at IS NULL`,
    [id, accountId],
  );
  return rows[0] ? mapPm(rows[0]) : null;
}

export async function listPaymentMethods(q: Sql, accountId: string): Promise<PaymentMethod[]> {
  const rows = await q.query(
    `SELECT ${PM_COLS} FROM payment_methods WHERE account_id = $1 AND detached_at IS NULL
     ORDER BY created_at DESC, id DESC`,
    [accountId],
  );
  return rows.map(mapPm);
}

export async function detachPaymentMethod(q: Sql, id: string, accountId: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE payment_methods SET detached_at = $3 WHERE id = $1 AND account_id = $2 AND detached_at IS NULL
     RETURNING id`,
    [id, accountId, at],
  );
  return rows.length === 1;
}

// ---- card payments ----

export interface Payment {
  id: string;
  accountId: string;
  purpose: 'order' | 'top_up';
  orderId: string | null;
  paymentMethodId: string;
  gateway: string;
  amountCents: number;
  status: CardPaymentStatus;
  gatewayChargeId: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  draft: unknown;
  createdAt: Date;
  updatedAt: Date;
}

const PAY_COLS = `id, account_id, purpose, order_id, payment_method_id, gateway, amount_cents, status,
  gateway_charge_id, failure_code, failure_message, draft, created_at, updated_at`;

function mapPayment(r: Record<string, unknown>): Payment {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    purpose: r.purpose as Payment['purpose'],
    orderId: (r.order_id as string | null) ?? null,
    paymentMethodId: r.payment_method_id as string,
    gateway: r.gateway as string,
    amountCents: r.amount_cents as number,
    status: r.status as CardPaymentStatus,
    gatewayChargeId: (r.gateway_charge_id as string | null) ?? null,
    failureCode: (r.failure_code as string | null) ?? null,
    failureMessage: (r.failure_message as string | null) ?? null,
    draft: r.draft,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/**
 * Records a card payment's intent ('processing'). False when the order already has a payment in
 * flight (one per order: migration 017): nothing is written and the caller must not charge.
 */
export async function insertPaymentIntent(
  q: Sql,
  p: Pick<
    Payment,
    | 'id'
    | 'accountId'
    | 'purpose'
    | 'orderId'
    | 'paymentMethodId'
    | 'gateway'
    | 'amountCents'
    | 'draft'
    | 'createdAt'
  >,
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO payments (id, account_id, purpose, order_id, payment_method_id, gateway, amount_cents, status,
       draft, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9, $9)
     ON CONFLICT (order_id) WHERE status = 'processing' AND order_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [
      p.id,
      p.accountId,
      p.purpose,
      p.orderId,
      p.paymentMethodId,
      p.gateway,
      p.amountCents,
      JSON.stringify(p.draft),
      p.createdAt,
    ],
  );
  return rows.length === 1;
}

/** Locks a payment still 'processing' (the settle step and recovery race for it); null if settled. */
export async function lockProcessingPayment(q: Sql, id: string): Promise<Payment | null> {
  const rows = await q.query(
    `SELECT ${PAY_COLS} FROM payments WHERE id = $1 AND status = 'processing' FOR UPDATE`,
    [id],
  );
  return rows[0] ? mapPayment(rows[0]) : null;
}

/**
 * Finishes a payment: moves it to `f.status` if it is still in a state the table
 * (domain/card-payment-states.ts) lets move there — 'processing' — and true when this call moved
 * it; false when another writer finished it first (recovery and the request that made it may race).
 */
export async function finishPayment(
  q: Sql,
  id: string,
  f: {
    status: Exclude<CardPaymentStatus, 'processing'>;
    chargeId?: string | null;
    failureCode?: string | null;
    failureMessage?: string | null;
    at: Date;
  },
): Promise<boolean> {
  const move = cardPaymentMove(f.status);
  const rows = await q.query(
    `UPDATE payments SET status = $2, gateway_charge_id = COALESCE($3, gateway_charge_id), failure_code = $4,
       failure_message = $5, updated_at = $6 WHERE id = $1 AND status = ANY($7::text[]) RETURNING id`,
    [id, move.to, f.chargeId ?? null, f.failureCode ?? null, f.failureMessage ?? null, f.at, move.from],
  );
  return rows.length === 1;
}

/** Payments left 'processing' since before `before`: a process died between charge and settle. */
export async function listStaleProcessingPayments(q: Sql, before: Date, limit: number): Promise<Payment[]> {
  const rows = await q.query(
    `SELECT ${PAY_COLS} FROM payments WHERE status = 'processing' AND created_at < $1
     ORDER BY created_at LIMIT $2`,
    [before, limit],
  );
  return rows.map(mapPayment);
}

export async function getPayment(q: Sql, id: string): Promise<Payment | null> {
  const rows = await q.query(`SELECT ${PAY_COLS} FROM payments WHERE id = $1`, [id]);
  return rows[0] ? mapPayment(rows[0]) : null;
}

/** A page of the account's attached payment methods, newest first; a foreign cursor yields nothing. */
export async function listPaymentMethodsPage(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<PaymentMethod[]> {
  const rows = await q.query(
    `SELECT ${PM_COLS} FROM payment_methods p
     WHERE p.account_id = $1 AND p.detached_at IS NULL
       AND ($2::text IS NULL OR (p.created_at, p.id) < (
             SELECT c.created_at, c.id FROM payment_methods c WHERE c.id = $2 AND c.account_id = $1))
     ORDER BY p.created_at DESC, p.id DESC LIMIT $3`,
    [accountId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapPm);
}

/** Notes on a finished payment what happened to a charge that landed after it was given up. */
export async function notePaymentFailure(
  q: Sql,
  id: string,
  f: { chargeId: string; failureCode: string; failureMessage: string; at: Date },
): Promise<void> {
  await q.query(
    `UPDATE payments SET gateway_charge_id = $2, failure_code = $3, failure_message = $4, updated_at = $5
     WHERE id = $1`,
    [id, f.chargeId, f.failureCode, f.failureMessage, f.at],
  );
}

/**
 * The account's payments made for one idempotency key (the `idem` in their draft), newest first,
 * created at or after `since`.
 */
export async function listPaymentsForIdempotencyKey(
  q: Sql,
  accountId: string,
  purpose: Payment['purpose'],
  idem: { scope: string; key: string },
  since: Date,
): Promise<Payment[]> {
  const rows = await q.query(
    `SELECT ${PAY_COLS} FROM payments
     WHERE account_id = $1 AND purpose = $2 AND created_at >= $5
       AND draft -> 'idem' ->> 'scope' = $3 AND draft -> 'idem' ->> 'key' = $4
     ORDER BY created_at DESC, id DESC`,
    [accountId, purpose, idem.scope, idem.key, since],
  );
  return rows.map(mapPayment);
}

/** A top-up as the API shows it: the payment and, once settled, the balance right after its credit. */
export interface TopUpRecord {
  payment: Payment;
  balanceAfter: number | null;
}

export async function getTopUp(q: Sql, id: string, accountId: string): Promise<TopUpRecord | null> {
  const rows = await q.query(
    `SELECT ${PAY_COLS},
       (SELECT l.balance_after FROM ledger_entries l
         WHERE l.payment_id = payments.id AND l.account_id = payments.account_id AND l.asset = 'cash'
           AND l.cause = 'top_up'
         ORDER BY l.seq LIMIT 1) AS top_up_balance_after
     FROM payments WHERE id = $1 AND account_id = $2 AND purpose = 'top_up'`,
    [id, accountId],
  );
  const r = rows[0];
  if (!r) return null;
  return { payment: mapPayment(r), balanceAfter: (r.top_up_balance_after as number | null) ?? null };
}

/** Payments still 'processing' that were made for one idempotency key (the `idem` in their draft). */
export async function listProcessingPaymentsForKey(
  q: Sql,
  idem: { scope: string; key: string },
): Promise<Payment[]> {
  const rows = await q.query(
    `SELECT ${PAY_COLS} FROM payments
     WHERE status = 'processing' AND draft -> 'idem' ->> 'scope' = $1 AND draft -> 'idem' ->> 'key' = $2
     ORDER BY created_at`,
    [idem.scope, idem.key],
  );
  return rows.map(mapPayment);
}

/** Whether a card payment for the order is in flight ('processing'): the order is reserved by it. */
export async function hasProcessingPayment(q: Sql, orderId: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM payments WHERE order_id = $1::text AND status = 'processing' LIMIT 1`,
    [orderId],
  );
  return rows.length > 0;
}

export interface OrderCardPayment {
  id: string;
  amountCents: number;
  gatewayChargeId: string | null;
}

/** The card payments that paid for an order (succeeded), oldest first. */
export async function listOrderCardPayments(q: Sql, orderId: string): Promise<OrderCardPayment[]> {
  const rows = await q.query<{ id: string; amount_cents: number; gateway_charge_id: string | null }>(
    `SELECT id, amount_cents, gateway_charge_id FROM payments
     WHERE order_id = $1::text AND purpose = 'order' AND status = 'succeeded' ORDER BY created_at, id`,
    [orderId],
  );
  return rows.map((r) => ({
    id: r.id,
    amountCents: r.amount_cents,
    gatewayChargeId: r.gateway_charge_id ?? null,
  }));
}
