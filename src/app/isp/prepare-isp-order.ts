import type { Account } from '../../db/accounts.ts';
import { readIspOrderContext } from '../../db/isp-order-reads.ts';
import type { Subuser } from '../../db/subusers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type IspPriceBook, ispPriceBookFromRows } from '../../domain/isp-pricing.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps } from '../deps.ts';
import type { IspRequest } from './allocate-stock.ts';
import { type IspOrderInput, priceIspOrder } from './price-isp-order.ts';

/** The subuser a batch is bound to: the one named (of this account), else the main one. */
function resolveSubuser(s: Subuser | null, id: string | undefined): Result<Subuser> {
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

/**
 * The reads and checks before any payment: account, gate, price, subuser (the reads in one round
 * trip, db/isp-order-reads.ts).
 */
export async function prepareIspOrder(
  deps: Deps,
  accountId: string,
  input: IspOrderInput,
  now: Date,
  opts: { gate: boolean },
): Promise<Result<Prepared>> {
  const read = await readIspOrderContext(deps.db, accountId, input.subuser ?? null);
  if (!read) return err('not_found', 'no such account');
  const { account, contractBp } = read;
  const book = ispPriceBookFromRows(read.prices);
  if (opts.gate) {
    const gate = orderGate(account, 'isp');
    if (!gate.ok) return gate;
  }
  const priced = await priceIspOrder(deps.db, deps.ids, account.id, input, now, book, contractBp);
  if (!priced.ok) return priced;
  const subuser = resolveSubuser(read.subuser, input.subuser);
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
