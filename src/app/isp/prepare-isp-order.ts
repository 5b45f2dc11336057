import { type Account, getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { getMainSubuser, getSubuser, type Subuser } from '../../db/subusers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { IspPriceBook } from '../../domain/isp-pricing.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps } from '../deps.ts';
import type { IspRequest } from './allocate-stock.ts';
import { type IspOrderInput, loadIspPriceBook, priceIspOrder } from './price-isp-order.ts';

/** The subuser a batch is bound to: the one named (of this account), else the main one. */
async function resolveSubuser(q: Sql, accountId: string, id: string | undefined): Promise<Result<Subuser>> {
  const s = id === undefined ? await getMainSubuser(q, accountId) : await getSubuser(q, id, accountId);
  if (!s) return err('not_found', `No such subuser: ${id ?? '(main)'}`, { param: 'subuser' });
  if (s.status !== 'active') {
    return err('invalid_state', `subuser ${s.id} is disabled; enable it or bind the batch to another`, {
      param: 'subuser',
    });
  }
  return ok(s);
}

export interface Prepared {
  account: Account;
  book: IspPriceBook;
  draft: Order;
  req: IspRequest;
}

/** The reads and checks before any payment: account, gate, price, subuser. */
export async function prepareIspOrder(
  deps: Deps,
  accountId: string,
  input: IspOrderInput,
  now: Date,
  opts: { gate: boolean },
): Promise<Result<Prepared>> {
  const [account, book, contractBp] = await Promise.all([
    getAccount(deps.db, accountId),
    loadIspPriceBook(deps.db),
    contractDiscountBasisPoints(deps.db, accountId, 'isp'),
  ]);
  if (!account) return err('not_found', 'no such account');
  if (opts.gate) {
    const gate = orderGate(account, 'isp');
    if (!gate.ok) return gate;
  }
  const priced = await priceIspOrder(deps.db, deps.ids, account.id, input, now, book, contractBp);
  if (!priced.ok) return priced;
  const subuser = await resolveSubuser(deps.db, account.id, input.subuser);
  if (!subuser.ok) return subuser;
  return ok({
    account,
    book,
    draft: priced.value,
    req: {
      country: input.country,
      city: input.city ?? null,
      asn: input.asn ?? null,
      quantity: input.quantity,
      months: input.months ?? 1,
      subuserId: subuser.value.id,
      onShortage: input.onShortage ?? 'fail',
      autoRenew: input.autoRenew ?? false,
      contractBp,
    },
  });
}
