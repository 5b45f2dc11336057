/**
 * What an ISP order (or its quote) reads before it pays, in one round trip: the account, its ISP
 * contract discount, the subuser its batch is bound to (the one named, else the main one), and
 * the ISP prices. Each was a statement of its own (issue 14 item 6: fewer round trips per order).
 */
import { type Account, mapAccount } from './accounts.ts';
import type { Sql } from './client.ts';
import { mapSubuser, type Subuser } from './subusers.ts';

export interface IspOrderReads {
  account: Account;
  /** the account's ISP contract discount in basis points (0: none) */
  contractBp: number;
  /** the subuser asked for (of this account), or the main one; null when there is none */
  subuser: Subuser | null;
  /** the price book's ISP rows (code and price), as ispPriceBookFromRows takes them */
  prices: { code: string; unitPrice4: number }[];
}

/** Null when there is no such account. */
export async function readIspOrderContext(
  q: Sql,
  accountId: string,
  subuserId: string | null,
): Promise<IspOrderReads | null> {
  const rows = await q.query(
    `SELECT a.id, a.email, a.name, a.balance_cents, a.kyc_status, a.status, a.suspended_reason, a.suspended_at,
       a.suspended_by, a.default_payment_method_id, a.created_at, a.updated_at,
       (SELECT cd.basis_points FROM contract_discounts cd WHERE cd.account_id = a.id AND cd.product = 'isp')
         AS contract_bp,
       s.id AS s_id, s.account_id AS s_account_id, s.username AS s_username, s.password AS s_password,
       s.name AS s_name, s.is_main AS s_is_main, s.status AS s_status, s.created_at AS s_created_at,
       s.updated_at AS s_updated_at,
       (SELECT jsonb_agg(jsonb_build_object('code', p.code, 'unitPrice4', p.unit_price4)
                         ORDER BY p.min_quantity, p.code)
        FROM price_book p WHERE p.product = 'isp') AS prices
     FROM accounts a
     LEFT JOIN subusers s ON s.account_id = a.id
       AND CASE WHEN $2::text IS NULL THEN s.is_main ELSE s.id = $2::text END
     WHERE a.id = $1::text`,
    [accountId, subuserId],
    { prepare: true },
  );
  const r = rows[0];
  if (!r) return null;
  const sub: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith('s_')) sub[k.slice(2)] = v;
  const prices = (r.prices as { code: string; unitPrice4: number | string }[] | null) ?? [];
  return {
    account: mapAccount(r),
    contractBp: r.contract_bp === null || r.contract_bp === undefined ? 0 : Number(r.contract_bp),
    subuser: sub.id === null || sub.id === undefined ? null : mapSubuser(sub),
    prices: prices.map((p) => ({ code: p.code, unitPrice4: Number(p.unitPrice4) })),
  };
}
