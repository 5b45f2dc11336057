/** Reading accounts and what hangs off them: KYC state and vouchers (SPEC §2, §5, §11). */
import {
  type Account,
  getAccount,
  getLatestKycSubmission,
  type KycStatus,
  type KycSubmission,
  listAccounts,
} from '../../db/accounts.ts';
import { getVoucher, listVouchers, type VoucherStatus } from '../../db/vouchers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { type VoucherView, voucherView } from '../vouchers/issue-voucher.ts';

export async function findAccount(deps: Deps, id: string): Promise<Result<Account>> {
  const a = await getAccount(deps.db, id);
  return a ? ok(a) : err('not_found', `No such account: ${id}`, { param: 'id' });
}

/** A page of accounts, newest first: limit + 1 rows so the caller can tell has_more. */
export async function searchAccounts(
  deps: Deps,
  page: { limit: number; startingAfter?: string; email?: string; kycStatus?: KycStatus },
): Promise<Result<Account[]>> {
  return ok(await listAccounts(deps.db, { ...page, limit: page.limit + 1 }));
}

export interface KycState {
  status: KycStatus;
  /** the latest submission, decided or not; null when the account never submitted */
  submission: KycSubmission | null;
}

export async function findKyc(deps: Deps, accountId: string): Promise<Result<KycState>> {
  const account = await getAccount(deps.db, accountId);
  if (!account) return err('not_found', `No such account: ${accountId}`, { param: 'id' });
  return ok({ status: account.kycStatus, submission: await getLatestKycSubmission(deps.db, accountId) });
}

/** accountId null: an operator sees any account's voucher. Another tenant's is not_found. */
export async function findVoucher(
  deps: Deps,
  accountId: string | null,
  id: string,
): Promise<Result<VoucherView>> {
  const v = await getVoucher(deps.db, id, accountId);
  if (!v) return err('not_found', `No such voucher: ${id}`, { param: 'id' });
  return ok(voucherView(v, await deps.clock.now()));
}

/** A page of the account's vouchers, newest first (limit + 1 rows), optionally by status. */
export async function searchVouchers(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string; status?: VoucherStatus },
): Promise<Result<VoucherView[]>> {
  const now = await deps.clock.now();
  const rows = await listVouchers(deps.db, accountId, { ...page, limit: page.limit + 1, now });
  return ok(rows.map((v) => voucherView(v, now)));
}

/** The operator's view of an account's vouchers: not_found for an unknown account. */
export async function searchAccountVouchers(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string; status?: VoucherStatus },
): Promise<Result<VoucherView[]>> {
  if (!(await getAccount(deps.db, accountId))) {
    return err('not_found', `No such account: ${accountId}`, { param: 'id' });
  }
  return searchVouchers(deps, accountId, page);
}
