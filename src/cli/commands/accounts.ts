/**
 * `orderdesk accounts …` (SPEC §11): create, look up, list, suspend and resume accounts, with the
 * same use-cases and the same JSON as the admin API (/admin/v1/accounts…).
 */
import { createAccount } from '../../app/accounts/create-account.ts';
import { findAccount, searchAccounts } from '../../app/accounts/find-account.ts';
import { resumeAccount, type StatusChange, suspendAccount } from '../../app/accounts/suspend-account.ts';
import { presentAccount } from '../../contract/account.ts';
import { page } from '../../contract/list.ts';
import type { Account, KycStatus } from '../../db/accounts.ts';
import { formatUsd } from '../../domain/money.ts';
import { UsageError } from '../args.ts';
import { type Command, done, flag, LIST_FLAGS, listPage } from '../command.ts';

const accountLine = (a: Account) =>
  `${a.id}  ${a.email}  balance ${formatUsd(a.balanceCents)} USD  kyc ${a.kycStatus}  ${a.status}`;

const KYC_STATUSES: readonly KycStatus[] = ['not_submitted', 'pending', 'approved', 'rejected'];

/** One line for a suspension or a resumption: the state now, and whether this command changed it. */
function statusLine(c: StatusChange): string {
  const a = c.account;
  const state =
    a.status === 'suspended'
      ? `suspended since ${a.suspendedAt?.toISOString()}: ${a.suspendedReason}`
      : 'active';
  return `${a.id}  ${state}${c.changed ? '' : `  (already ${a.status}: nothing changed, no mail)`}`;
}

export const accountCommands: Command[] = [
  {
    path: ['accounts', 'create'],
    args: [],
    summary: 'Create an account (with its main subuser)',
    flags: [
      { name: 'email', value: 'EMAIL', required: true, description: 'login and contact email' },
      { name: 'name', value: 'NAME', required: true, description: 'customer name' },
      { name: 'password', value: 'PASSWORD', description: 'console password, at least 8 characters' },
    ],
    prepare: (input) => async (ctx) => {
      const password = flag(input, 'password');
      const r = await createAccount(ctx.deps, {
        email: flag(input, 'email')!,
        name: flag(input, 'name')!,
        ...(password !== undefined ? { password } : {}),
      });
      return done(r, (a) => presentAccount(a), accountLine);
    },
  },
  {
    path: ['accounts', 'get'],
    args: ['ACCOUNT_ID'],
    summary: 'Look up an account: balance, KYC status',
    flags: [],
    prepare: (input) => async (ctx) =>
      done(await findAccount(ctx.deps, input.positionals[0]!), (a) => presentAccount(a), accountLine),
  },
  {
    path: ['accounts', 'list'],
    args: [],
    summary: 'List accounts, newest first',
    flags: [
      { name: 'email', value: 'EMAIL', description: 'only the account with this email' },
      { name: 'kyc-status', value: 'STATUS', description: KYC_STATUSES.join('|') },
      ...LIST_FLAGS,
    ],
    prepare: (input) => {
      const p = listPage(input);
      const kyc = flag(input, 'kyc-status');
      if (kyc !== undefined && !KYC_STATUSES.includes(kyc as KycStatus)) {
        throw new UsageError(`--kyc-status must be one of ${KYC_STATUSES.join(', ')}`);
      }
      const email = flag(input, 'email');
      return async (ctx) => {
        const r = await searchAccounts(ctx.deps, {
          ...p,
          ...(email ? { email } : {}),
          ...(kyc ? { kycStatus: kyc as KycStatus } : {}),
        });
        return done(
          r,
          (rows) => page(rows, p.limit, (a) => presentAccount(a)),
          (rows) => rows.slice(0, p.limit).map(accountLine).join('\n'),
        );
      };
    },
  },
  {
    path: ['accounts', 'suspend'],
    args: ['ACCOUNT_ID'],
    summary: 'Suspend an account: it reads and pays arrears but cannot order; mails the customer',
    flags: [
      {
        name: 'reason',
        value: 'TEXT',
        required: true,
        description: 'why (1–500 chars), shown to the customer and kept for audit',
      },
    ],
    prepare: (input) => {
      const reason = flag(input, 'reason')!.trim();
      if (!reason) throw new UsageError('--reason must not be blank');
      return async (ctx) =>
        done(
          await suspendAccount(ctx.deps, {
            accountId: input.positionals[0]!,
            reason,
            operator: ctx.operator,
          }),
          (c) => presentAccount(c.account),
          statusLine,
        );
    },
  },
  {
    path: ['accounts', 'resume'],
    args: ['ACCOUNT_ID'],
    summary: 'Resume a suspended account: it may order again; mails the customer',
    flags: [],
    prepare: (input) => async (ctx) =>
      done(
        await resumeAccount(ctx.deps, { accountId: input.positionals[0]!, operator: ctx.operator }),
        (c) => presentAccount(c.account),
        statusLine,
      ),
  },
];
