/** Contract discounts per account and product (migration 020), in basis points. */
import type { ContractDiscounts } from '../domain/contract-discount.ts';
import type { Product } from '../domain/products.ts';
import type { Sql } from './client.ts';

/** The account's contract discounts; products without one are absent. */
export async function listContractDiscounts(q: Sql, accountId: string): Promise<ContractDiscounts> {
  const rows = await q.query<{ product: Product; basis_points: number }>(
    'SELECT product, basis_points FROM contract_discounts WHERE account_id = $1',
    [accountId],
  );
  const out: ContractDiscounts = {};
  for (const r of rows) out[r.product] = Number(r.basis_points);
  return out;
}

/** The account's contract discount on one product in basis points, 0 when none (one index probe). */
export async function contractDiscountBasisPoints(
  q: Sql,
  accountId: string,
  product: string,
): Promise<number> {
  const rows = await q.query<{ basis_points: number }>(
    'SELECT basis_points FROM contract_discounts WHERE account_id = $1 AND product = $2',
    [accountId, product],
    { prepare: true },
  );
  return rows[0] ? Number(rows[0].basis_points) : 0;
}

/**
 * Replaces the account's contract discounts with `discounts`: products not named, or named with 0,
 * have none afterwards. Run it in the caller's transaction.
 */
export async function replaceContractDiscounts(
  q: Sql,
  accountId: string,
  discounts: ContractDiscounts,
  at: Date,
): Promise<void> {
  await q.query('DELETE FROM contract_discounts WHERE account_id = $1', [accountId]);
  const entries = Object.entries(discounts).filter(([, bp]) => bp !== undefined && bp > 0);
  if (entries.length === 0) return;
  await q.query(
    `INSERT INTO contract_discounts (account_id, product, basis_points, updated_at)
     SELECT $1, p, b, $4 FROM unnest($2::text[], $3::int[]) AS t(p, b)`,
    [accountId, entries.map(([p]) => p), entries.map(([, b]) => b), at],
  );
}

/**
 * The column a principal read (db/accounts.ts principalColumns, `accounts a`) carries the
 * account's contract discounts in: a JSON object product → basis points, or null when none.
 */
export const contractDiscountsColumn = `(SELECT json_object_agg(d.product, d.basis_points)
   FROM contract_discounts d WHERE d.account_id = a.id) AS contract_discounts`;

/** The contract discounts of a row read with contractDiscountsColumn. */
export function contractDiscountsOf(r: Record<string, unknown>): ContractDiscounts {
  const v = r.contract_discounts;
  if (v == null) return {};
  const obj = (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;
  const out: ContractDiscounts = {};
  for (const [p, b] of Object.entries(obj)) out[p as Product] = Number(b);
  return out;
}
