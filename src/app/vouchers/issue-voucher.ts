/**
 * An operator issues a voucher to an account (SPEC §5, §11): an amount, an expiry in the future
 * and optionally the products it may pay for. The voucher row and its first ledger entry
 * (cause 'voucher_issued', asset 'voucher:<id>') are written in one transaction.
 */
import { getAccount } from '../../db/accounts.ts';
import { attachResource, readKey } from '../../db/idempotency.ts';
import { recordVoucherIssued } from '../../db/ledger.ts';
import { getVoucher, insertVoucher, type Voucher, type VoucherStatus } from '../../db/vouchers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Cents } from '../../domain/money.ts';
import { PRODUCTS, type Product } from '../../domain/products.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

/** A voucher may be limited to any of the catalog's products. */
export const VOUCHER_PRODUCTS = PRODUCTS;
export type VoucherProduct = Product;

/** At most 1,000,000.00 USD per voucher. */
const MAX_VOUCHER: Cents = 100_000_000;

export interface VoucherView extends Voucher {
  status: VoucherStatus;
}

/** Used up when nothing remains; else expired from expires_at on; else active. */
export function voucherStatus(v: Pick<Voucher, 'remainingCents' | 'expiresAt'>, now: Date): VoucherStatus {
  if (v.remainingCents <= 0) return 'used_up';
  return v.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

export function voucherView(v: Voucher, now: Date): VoucherView {
  return { ...v, status: voucherStatus(v, now) };
}

export interface IssueVoucherCommand {
  accountId: string;
  amountCents: Cents;
  expiresAt: Date;
  /** omitted or null: any product */
  products?: readonly VoucherProduct[] | null;
  operator: string;
  idem?: IdempotencyLink;
}

export async function issueVoucher(deps: Deps, cmd: IssueVoucherCommand): Promise<Result<VoucherView>> {
  if (!Number.isSafeInteger(cmd.amountCents) || cmd.amountCents <= 0) {
    return err('invalid_request', 'amount_usd must be greater than zero', { param: 'amount_usd' });
  }
  if (cmd.amountCents > MAX_VOUCHER) {
    return err('invalid_request', 'amount_usd must be at most 1000000.00', { param: 'amount_usd' });
  }
  if (Number.isNaN(cmd.expiresAt.getTime())) {
    return err('invalid_request', 'expires_at is not a valid time', { param: 'expires_at' });
  }
  const now = await deps.clock.now();
  if (cmd.expiresAt.getTime() <= now.getTime()) {
    return err('invalid_request', `expires_at must be in the future (now is ${now.toISOString()})`, {
      param: 'expires_at',
    });
  }
  let products: VoucherProduct[] | null = null;
  if (cmd.products) {
    const unknown = cmd.products.find((p) => !VOUCHER_PRODUCTS.includes(p));
    if (unknown !== undefined) {
      return err('invalid_request', `unknown product "${unknown}"`, { param: 'products' });
    }
    if (cmd.products.length === 0) {
      return err('invalid_request', 'products must name at least one product; omit it for any product', {
        param: 'products',
      });
    }
    // stored in catalogue order, each once
    products = VOUCHER_PRODUCTS.filter((p) => cmd.products!.includes(p));
  }
  return resultTx(deps.db, async (q) => {
    if (cmd.idem) {
      // a request under this key that died after committing already issued the voucher
      const prior = await readKey(q, cmd.idem.scope, cmd.idem.key);
      if (prior?.resourceType === 'voucher' && prior.resourceId) {
        const v = await getVoucher(q, prior.resourceId, null);
        if (v) return ok(voucherView(v, now));
      }
    }
    const account = await getAccount(q, cmd.accountId);
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`, { param: 'id' });
    const voucher = await insertVoucher(q, {
      id: deps.ids.next('vch'),
      accountId: account.id,
      amountCents: cmd.amountCents,
      products,
      expiresAt: cmd.expiresAt,
      at: now,
    });
    await recordVoucherIssued(q, {
      id: deps.ids.next('txn'),
      accountId: account.id,
      voucherId: voucher.id,
      amount: voucher.amountCents,
      cause: 'voucher_issued',
      memo: `issued by ${cmd.operator}`,
      at: now,
    });
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'voucher', voucher.id);
    return ok(voucherView(voucher, now));
  });
}
