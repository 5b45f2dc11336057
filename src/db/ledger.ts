/**
 * The ledger: append-only entries for every change of a cash balance, a voucher or a traffic
 * pool, each written in one statement together with the cached balance it moves, so the cache
 * always equals the sum of the entries.
 */
import type { Order } from '../domain/order.ts';
import type { Sql } from './client.ts';
import { orderCtesSql, orderInsertParams } from './orders.ts';

export type LedgerCause =
  | 'order'
  | 'refund'
  | 'top_up'
  | 'card_payment'
  | 'usage'
  | 'usage_charge'
  | 'adjustment'
  | 'voucher_issued'
  | 'voucher_restored';

export interface LedgerEntry {
  id: string;
  accountId: string;
  asset: string;
  amount: number;
  balanceAfter: number;
  cause: LedgerCause;
  orderId: string | null;
  paymentId: string | null;
  memo: string | null;
  createdAt: Date;
}

interface Move {
  id: string;
  accountId: string;
  amount: number;
  cause: LedgerCause;
  orderId?: string | null;
  paymentId?: string | null;
  memo?: string | null;
  at: Date;
}

const INSERT_ENTRY = `INSERT INTO ledger_entries
  (id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at)
  SELECT $1, $2, $3, $4::int8, m.after, $5, $6, $7, $8, $9 FROM moved m
  RETURNING id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at`;

function params(m: Move, asset: string) {
  return [
    m.id,
    m.accountId,
    asset,
    m.amount,
    m.cause,
    m.orderId ?? null,
    m.paymentId ?? null,
    m.memo ?? null,
    m.at,
  ];
}

function mapLedgerEntry(r: Record<string, unknown>): LedgerEntry {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    asset: r.asset as string,
    amount: r.amount as number,
    balanceAfter: r.balance_after as number,
    cause: r.cause as LedgerCause,
    orderId: (r.order_id as string | null) ?? null,
    paymentId: (r.payment_id as string | null) ?? null,
    memo: (r.memo as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/** Moves the account's cash balance by `amount` cents (signed). */
export async function moveCash(q: Sql, m: Move): Promise<LedgerEntry> {
  const rows = await q.query(
    `WITH moved AS (
       UPDATE accounts SET balance_cents = balance_cents + $4::int8, updated_at = $9
       WHERE id = $2 RETURNING balance_cents AS after)
     ${INSERT_ENTRY}`,
    params(m, 'cash'),
  );
  if (!rows[0]) throw new Error(`account ${m.accountId} not found for a cash move`);
  return mapLedgerEntry(rows[0]);
}

/**
 * Debits cash only if the balance stays ≥ `floor` (0 for prepaid spending). Returns null when
 * the balance is too low: the conditional update is what stops concurrent orders overspending.
 */
export async function debitCashIfCovered(q: Sql, m: Move, floor = 0): Promise<LedgerEntry | null> {
  const rows = await q.query(
    `WITH moved AS (
       UPDATE accounts SET balance_cents = balance_cents + $4::int8, updated_at = $9
       WHERE id = $2 AND balance_cents + $4::int8 >= $10::int8 RETURNING balance_cents AS after)
     ${INSERT_ENTRY}`,
    [...params(m, 'cash'), floor],
  );
  return rows[0] ? mapLedgerEntry(rows[0]) : null;
}

const payOrderText = new Map<string, string>();

/** An idempotency key written finished, with its answer, by the statement that does the work. */
export interface KeyRecord {
  scope: string;
  key: string;
  requestHash: string;
  statusCode: number;
  responseBody: string;
}

/**
 * The text of `payOrderFromBalance` for one shape (with or without traffic; no idempotency key,
 * a claimed key to link, or a key to record; with or without the price guard), built once:
 * $1 cash entry id, $2 account, $3 signed amount, $4 order id, $5 time, then the pool's entry id,
 * product and bytes, then the key's scope and key (and, to record, its request hash, status and
 * body), then the price version, then the order's parameters.
 */
function payOrderSql(
  withPool: boolean,
  idemMode: 'none' | 'link' | 'record',
  withPriceGuard: boolean,
): string {
  const cacheKey = `${withPool}:${idemMode}:${withPriceGuard}`;
  const cached = payOrderText.get(cacheKey);
  if (cached) return cached;
  let n = 5;
  let pool = '';
  if (withPool) {
    const [id, product, bytes] = [`$${++n}::text`, `$${++n}::text`, `$${++n}::int8`];
    pool = `pool AS (
       INSERT INTO traffic_pools AS tp (account_id, product, remaining_bytes, purchased_bytes, used_bytes)
       SELECT $2::text, ${product}, ${bytes}, GREATEST(${bytes}, 0), GREATEST(-${bytes}, 0) FROM moved
       ON CONFLICT (account_id, product) DO UPDATE SET
         remaining_bytes = tp.remaining_bytes + ${bytes},
         purchased_bytes = tp.purchased_bytes + GREATEST(${bytes}, 0),
         used_bytes = tp.used_bytes + GREATEST(-${bytes}, 0)
       RETURNING remaining_bytes AS after),
     pool_entry AS (
       INSERT INTO ledger_entries
         (id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at)
       SELECT ${id}, $2::text, 'pool:' || ${product}, ${bytes}, pl.after, 'order', $4::text, NULL, NULL,
         $5::timestamptz FROM pool pl
       RETURNING 1),`;
  }
  let idem = '';
  let keyFree = '';
  if (idemMode === 'link') {
    const [scope, key] = [`$${++n}::text`, `$${++n}::text`];
    idem = `idem AS (
       UPDATE idempotency_keys SET resource_type = 'order', resource_id = $4::text
       WHERE account_scope = ${scope} AND key = ${key} AND EXISTS (SELECT 1 FROM moved)
       RETURNING 1),`;
  } else if (idemMode === 'record') {
    // the key is claimed, linked to the order and completed with the answer in this statement: it
    // pays only while no row has the key (a finished, running or expired one sends the request down
    // the claiming path), and of two racing requests with one key the second's INSERT fails on the
    // primary key (23505), which undoes its whole statement, debit included
    const [scope, key, hash, status, body] = [
      `$${++n}::text`,
      `$${++n}::text`,
      `$${++n}::text`,
      `$${++n}::int4`,
      `$${++n}::text`,
    ];
    keyFree = ` AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE account_scope = ${scope} AND key = ${key})`;
    idem = `idem AS (
       INSERT INTO idempotency_keys (account_scope, key, request_hash, state, locked_until, created_at,
         resource_type, resource_id, status_code, response_body)
       SELECT ${scope}, ${key}, ${hash}, 'done', $5::timestamptz, $5::timestamptz, 'order', $4::text, ${status}, ${body}
       FROM moved
       RETURNING 1),`;
  }
  // the prices the order was priced with are still the price book's (see app/orders/cached-prices.ts)
  const priceGuard =
    (withPriceGuard ? ` AND (SELECT version FROM price_book_version WHERE id = 1) = $${++n}::int8` : '') +
    keyFree;
  const sql = `WITH moved AS (
       UPDATE accounts SET balance_cents = balance_cents + $3::int8, updated_at = $5::timestamptz
       WHERE id = $2::text AND balance_cents + $3::int8 >= 0${priceGuard} RETURNING balance_cents AS after),
     cash AS (
       INSERT INTO ledger_entries
         (id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at)
       SELECT $1::text, $2::text, 'cash', $3::int8, m.after, 'order', $4::text, NULL, NULL, $5::timestamptz
       FROM moved m
       RETURNING id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at),
     ${pool}
     ${idem}
     ${orderCtesSql(n + 1, 'moved')}
     SELECT * FROM cash`;
  payOrderText.set(cacheKey, sql);
  return sql;
}

/**
 * Pays an order from the cash balance and writes it, in ONE statement (the hot path of
 * `POST /v1/orders`): the conditional debit of `debitCashIfCovered` with its entry, the order with
 * its line items and events, the traffic it buys (`movePool` with its entry) and the link to the
 * request's idempotency key. The debit comes first and everything else is written only if it
 * happened, so this is all or nothing without a multi-statement transaction, and the account's
 * row lock is held for one statement instead of several round trips. The statement is prepared
 * (its text depends only on which parts it writes, so there are few; parsing and planning it was
 * most of its cost). Null when the balance
 * does not cover the order, or `priceVersion` is given and no longer current (nothing written).
 */
export async function payOrderFromBalance(
  q: Sql,
  p: {
    order: Order;
    /** the order's first events' cause */
    cause: string;
    cashEntryId: string;
    /** traffic the order buys, if any: the pool entry's id and the bytes */
    pool: { entryId: string; product: string; bytes: number } | null;
    /** the request's claimed key, linked to the order */
    idem: { scope: string; key: string } | null;
    /**
     * or a key not yet claimed: recorded as finished with this answer, or nothing is written when
     * the key has a row; a concurrent request with the same key makes this statement fail with
     * unique_violation (23505) and write nothing
     */
    record?: KeyRecord | null;
    /** the price book version the order was priced at: nothing is written unless it is current */
    priceVersion?: number | null;
    at: Date;
  },
): Promise<LedgerEntry | null> {
  const o = p.order;
  const guard = p.priceVersion !== undefined && p.priceVersion !== null;
  const params: unknown[] = [p.cashEntryId, o.accountId, -o.payable, o.id, p.at];
  if (p.pool) params.push(p.pool.entryId, p.pool.product, p.pool.bytes);
  const r = p.record ?? null;
  if (r) params.push(r.scope, r.key, r.requestHash, r.statusCode, r.responseBody);
  else if (p.idem) params.push(p.idem.scope, p.idem.key);
  if (guard) params.push(p.priceVersion);
  params.push(...orderInsertParams(o, p.cause));
  const mode = r ? 'record' : p.idem ? 'link' : 'none';
  const rows = await q.query(payOrderSql(p.pool !== null, mode, guard), params, {
    prepare: true,
  });
  return rows[0] ? mapLedgerEntry(rows[0]) : null;
}

/** Moves a traffic pool by `amount` bytes: positive on purchase, negative on usage. */
export async function movePool(q: Sql, m: Move & { product: string }): Promise<LedgerEntry> {
  const rows = await q.query(
    `WITH moved AS (
       INSERT INTO traffic_pools AS p (account_id, product, remaining_bytes, purchased_bytes, used_bytes)
       VALUES ($2, $10, $4::int8, GREATEST($4::int8, 0), GREATEST(-$4::int8, 0))
       ON CONFLICT (account_id, product) DO UPDATE SET
         remaining_bytes = p.remaining_bytes + $4::int8,
         purchased_bytes = p.purchased_bytes + GREATEST($4::int8, 0),
         used_bytes = p.used_bytes + GREATEST(-$4::int8, 0)
       RETURNING remaining_bytes AS after)
     ${INSERT_ENTRY}`,
    [...params(m, `pool:${m.product}`), m.product],
  );
  return mapLedgerEntry(rows[0]!);
}

/** Moves a voucher's remaining value by `amount` cents (negative when used). */
export async function moveVoucher(q: Sql, m: Move & { voucherId: string }): Promise<LedgerEntry | null> {
  const rows = await q.query(
    `WITH moved AS (
       UPDATE vouchers SET remaining_cents = remaining_cents + $4::int8
       WHERE id = $10 AND account_id = $2 AND remaining_cents + $4::int8 >= 0 AND remaining_cents + $4::int8 <= amount_cents
       RETURNING remaining_cents AS after)
     ${INSERT_ENTRY}`,
    [...params(m, `voucher:${m.voucherId}`), m.voucherId],
  );
  return rows[0] ? mapLedgerEntry(rows[0]) : null;
}

/** Records a voucher's issue as its first entry (the voucher row itself is inserted with it). */
export async function recordVoucherIssued(q: Sql, m: Move & { voucherId: string }): Promise<LedgerEntry> {
  const rows = await q.query(
    `WITH moved AS (SELECT remaining_cents AS after FROM vouchers WHERE id = $10)
     ${INSERT_ENTRY}`,
    [...params(m, `voucher:${m.voucherId}`), m.voucherId],
  );
  return mapLedgerEntry(rows[0]!);
}

export async function listCashEntries(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<LedgerEntry[]> {
  const rows = await q.query(
    `SELECT id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at
     FROM ledger_entries
     WHERE account_id = $1 AND asset = 'cash'
       AND ($2::text IS NULL OR seq < (SELECT seq FROM ledger_entries WHERE id = $2 AND account_id = $1))
     ORDER BY seq DESC LIMIT $3`,
    [accountId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapLedgerEntry);
}

/** For audits and tests: every cached balance compared with the sum of its ledger entries. */
export async function ledgerMismatches(
  q: Sql,
): Promise<{ asset: string; owner: string; cached: number; ledger: number }[]> {
  return q
    .query(
      `SELECT 'cash' AS asset, a.id AS owner, a.balance_cents AS cached,
            COALESCE((SELECT sum(amount) FROM ledger_entries l WHERE l.account_id = a.id AND l.asset = 'cash'), 0)::int8 AS ledger
       FROM accounts a
     UNION ALL
     SELECT 'pool:' || p.product, p.account_id, p.remaining_bytes,
            COALESCE((SELECT sum(amount) FROM ledger_entries l WHERE l.account_id = p.account_id AND l.asset = 'pool:' || p.product), 0)::int8
       FROM traffic_pools p
     UNION ALL
     SELECT 'voucher', v.id, v.remaining_cents,
            COALESCE((SELECT sum(amount) FROM ledger_entries l WHERE l.asset = 'voucher:' || v.id), 0)::int8
       FROM vouchers v`,
    )
    .then((rows) =>
      (rows as { asset: string; owner: string; cached: number; ledger: number }[]).filter(
        (r) => r.cached !== r.ledger,
      ),
    );
}
