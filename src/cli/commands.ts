/**
 * The `orderdesk` commands (SPEC §11): each one parses its arguments, calls the same use-case
 * the admin API calls, and answers with the same JSON the API would (or a short line with
 * --text). Argument mistakes are UsageErrors (exit 2); what a use-case refuses is a domain
 * error (exit 1).
 */
import fs from 'node:fs';
import { z } from 'zod';
import {
  createAdminToken,
  revokeManagedAdminToken,
  searchAdminTokens,
} from '../app/access/create-admin-token.ts';
import { createApiKey, listAccountApiKeys, revokeAccountApiKey } from '../app/access/create-api-key.ts';
import { searchAccountVouchers } from '../app/accounts/find-account.ts';
import { adjustBalance } from '../app/billing/adjust-balance.ts';
import { adminInventory } from '../app/inventory/admin-inventory.ts';
import { importInventory, rowsFromCsv } from '../app/inventory/import-inventory.ts';
import { decideKyc } from '../app/kyc/decide-kyc.ts';
import { type RefundOutcome, refundOrder, retryRefund } from '../app/refunds/refund-order.ts';
import { issueVoucher, VOUCHER_PRODUCTS, type VoucherProduct } from '../app/vouchers/issue-voucher.ts';
import { presentAccount } from '../contract/account.ts';
import { presentAdminInventory, presentImport } from '../contract/admin-inventory.ts';
import { presentAdminToken } from '../contract/admin-token.ts';
import { presentApiKey } from '../contract/api-key.ts';
import { presentLedgerEntry } from '../contract/ledger-entry.ts';
import { page, whole } from '../contract/list.ts';
import { presentRefundOutcome } from '../contract/refund-plan.ts';
import { presentVoucher } from '../contract/voucher.ts';
import { migrate } from '../db/migrate.ts';
import type { VoucherStatus } from '../db/vouchers.ts';
import { formatUsd } from '../domain/money.ts';
import { UsageError } from './args.ts';
import { amountArg, type Command, done, flag, LIST_FLAGS, listPage } from './command.ts';
import { accountCommands } from './commands/accounts.ts';
import { discountCommands } from './commands/discounts.ts';

export type { Command, CommandInput, Outcome } from './command.ts';

const VOUCHER_STATUSES: readonly VoucherStatus[] = ['active', 'expired', 'used_up'];
const instant = z.iso.datetime({ offset: true });

function kycCommand(decision: 'approved' | 'rejected', verb: string): Command {
  return {
    path: ['kyc', verb],
    args: ['ACCOUNT_ID'],
    summary: `${decision === 'approved' ? 'Approve' : 'Reject'} an account's KYC`,
    flags: [{ name: 'reason', value: 'TEXT', description: 'shown to the customer with the decision' }],
    prepare: (input) => async (ctx) => {
      const r = await decideKyc(ctx.deps, {
        accountId: input.positionals[0]!,
        decision,
        reason: flag(input, 'reason') ?? null,
        operator: ctx.operator,
      });
      return done(
        r,
        (a) => presentAccount(a),
        (a) => `${a.id}  kyc ${a.kycStatus}`,
      );
    },
  };
}

/** A refund (or its plan) in a few lines: the order's status and where the money goes. */
function refundText(r: RefundOutcome): string {
  const p = r.plan;
  const vouchers = p.toVouchers.map(
    (v) =>
      `  to voucher ${v.voucherId}: ${formatUsd(v.amount)} USD${v.forfeited ? ' (expired: forfeited)' : ''}`,
  );
  return [
    r.refund
      ? `${r.order.id}  ${r.order.paymentStatus}  refunded ${formatUsd(r.order.refunded)} of ${formatUsd(p.paid)} USD  (${r.refund.id} ${r.refund.status})`
      : `${r.order.id}  dry run: would be ${p.resultingPaymentStatus}`,
    `  paid ${formatUsd(p.paid)} − already refunded ${formatUsd(p.alreadyRefunded)} = refundable ${formatUsd(p.refundable)}; requested ${formatUsd(p.requested)}`,
    `  to card: ${formatUsd(p.toCard)} USD`,
    `  to balance: ${formatUsd(p.toBalance)} USD`,
    ...vouchers,
  ].join('\n');
}

export const commands: Command[] = [
  {
    path: ['migrate'],
    args: [],
    summary: 'Apply pending database migrations',
    flags: [],
    prepare: () => async (ctx) => {
      // opening the context already migrated; a second pass reports nothing left to do
      const applied = [...ctx.applied, ...(await migrate(ctx.deps.db))];
      return {
        ok: true,
        json: { object: 'migrations', engine: ctx.deps.db.engine, applied },
        text: applied.length ? `applied migrations ${applied.join(', ')}` : 'database schema is up to date',
      };
    },
  },
  ...accountCommands,
  {
    path: ['api-keys', 'create'],
    args: ['ACCOUNT_ID'],
    summary: 'Create an API key for an account (the key is shown this once)',
    flags: [{ name: 'name', value: 'NAME', description: 'a label for the key' }],
    prepare: (input) => async (ctx) => {
      const r = await createApiKey(ctx.deps, input.positionals[0]!, flag(input, 'name') ?? null);
      return done(
        r,
        (k) => ({
          id: k.id,
          object: 'api_key',
          name: k.name,
          key: k.key,
          created_at: k.createdAt.toISOString(),
        }),
        (k) => `${k.id}  ${k.key}`,
      );
    },
  },
  {
    path: ['api-keys', 'list'],
    args: ['ACCOUNT_ID'],
    summary: "List an account's API keys (prefix only; revoked ones too)",
    flags: [],
    prepare: (input) => async (ctx) =>
      done(
        await listAccountApiKeys(ctx.deps, input.positionals[0]!),
        (keys) => whole(keys, presentApiKey),
        (keys) =>
          keys
            .map(
              (k) =>
                `${k.id}  ${k.keyPrefix}…  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'live'}`,
            )
            .join('\n'),
      ),
  },
  {
    path: ['api-keys', 'revoke'],
    args: ['ACCOUNT_ID', 'KEY_ID'],
    summary: 'Revoke an API key: every request with it is refused from now on',
    flags: [],
    prepare: (input) => async (ctx) =>
      done(
        await revokeAccountApiKey(ctx.deps, input.positionals[0]!, input.positionals[1]!),
        presentApiKey,
        (k) => `${k.id} revoked at ${k.revokedAt?.toISOString()}`,
      ),
  },
  {
    path: ['admin-tokens', 'create'],
    args: [],
    summary: 'Create an operator token for the admin API (the token is shown this once)',
    flags: [{ name: 'name', value: 'NAME', description: 'who or what uses it' }],
    prepare: (input) => async (ctx) =>
      done(
        await createAdminToken(ctx.deps, flag(input, 'name') ?? null),
        presentAdminToken,
        (t) => `${t.id}  ${t.token}`,
      ),
  },
  {
    path: ['admin-tokens', 'list'],
    args: [],
    summary: 'List the operator tokens (never the tokens themselves)',
    flags: [],
    prepare: () => async (ctx) =>
      done(
        await searchAdminTokens(ctx.deps),
        (tokens) => whole(tokens, (t) => presentAdminToken(t)),
        (tokens) =>
          tokens
            .map(
              (t) =>
                `${t.id}  ${t.name ?? '-'}  ${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'live'}`,
            )
            .join('\n'),
      ),
  },
  {
    path: ['admin-tokens', 'revoke'],
    args: ['TOKEN_ID'],
    summary: 'Revoke an operator token: every request with it is refused from now on',
    flags: [],
    prepare: (input) => async (ctx) =>
      done(
        await revokeManagedAdminToken(ctx.deps, input.positionals[0]!),
        presentAdminToken,
        (t) => `${t.id} revoked at ${t.revokedAt?.toISOString()}`,
      ),
  },
  kycCommand('approved', 'approve'),
  kycCommand('rejected', 'reject'),
  ...discountCommands,
  {
    path: ['credit'],
    args: ['ACCOUNT_ID', 'AMOUNT_USD'],
    summary: 'Adjust a balance by AMOUNT_USD (negative to debit, at most the balance), as a ledger entry',
    flags: [{ name: 'reason', value: 'TEXT', required: true, description: 'why, kept in the ledger' }],
    prepare: (input) => {
      const [accountId, amount] = input.positionals as [string, string];
      const amountCents = amountArg(amount, 'AMOUNT_USD');
      const reason = flag(input, 'reason')!.trim();
      if (!reason) throw new UsageError('--reason must not be blank');
      return async (ctx) => {
        const r = await adjustBalance(ctx.deps, { accountId, amountCents, reason, operator: ctx.operator });
        return done(
          r,
          presentLedgerEntry,
          (e) => `${e.id}  ${formatUsd(e.amount)} USD  balance ${formatUsd(e.balanceAfter)} USD`,
        );
      };
    },
  },
  {
    path: ['vouchers', 'issue'],
    args: ['ACCOUNT_ID', 'AMOUNT_USD'],
    summary: 'Issue a voucher to an account',
    flags: [
      {
        name: 'expires',
        value: 'TIME',
        required: true,
        description: 'ISO 8601 time with a zone, in the future (2026-12-31T23:59:59Z)',
      },
      {
        name: 'products',
        value: 'LIST',
        description: `comma-separated: ${VOUCHER_PRODUCTS.join(',')} (default any)`,
      },
    ],
    prepare: (input) => {
      const [accountId, amount] = input.positionals as [string, string];
      const amountCents = amountArg(amount, 'AMOUNT_USD');
      const expires = flag(input, 'expires')!;
      if (!instant.safeParse(expires).success) {
        throw new UsageError(
          `--expires: "${expires}" is not an ISO 8601 time with a zone (2026-12-31T23:59:59Z)`,
        );
      }
      const list = flag(input, 'products');
      let products: VoucherProduct[] | undefined;
      if (list !== undefined) {
        products = list.split(',').map((p) => p.trim()) as VoucherProduct[];
        const bad = products.find((p) => !VOUCHER_PRODUCTS.includes(p));
        if (bad !== undefined) {
          throw new UsageError(`--products: unknown product "${bad}" (${VOUCHER_PRODUCTS.join(', ')})`);
        }
      }
      return async (ctx) => {
        const r = await issueVoucher(ctx.deps, {
          accountId,
          amountCents,
          expiresAt: new Date(expires),
          ...(products ? { products } : {}),
          operator: ctx.operator,
        });
        return done(
          r,
          presentVoucher,
          (v) =>
            `${v.id}  ${formatUsd(v.amountCents)} USD  expires ${v.expiresAt.toISOString()}  ${v.products ? v.products.join(',') : 'any product'}`,
        );
      };
    },
  },
  {
    path: ['vouchers', 'list'],
    args: ['ACCOUNT_ID'],
    summary: "List an account's vouchers, newest first",
    flags: [{ name: 'status', value: 'STATUS', description: VOUCHER_STATUSES.join('|') }, ...LIST_FLAGS],
    prepare: (input) => {
      const p = listPage(input);
      const status = flag(input, 'status');
      if (status !== undefined && !VOUCHER_STATUSES.includes(status as VoucherStatus)) {
        throw new UsageError(`--status must be one of ${VOUCHER_STATUSES.join(', ')}`);
      }
      return async (ctx) => {
        const r = await searchAccountVouchers(ctx.deps, input.positionals[0]!, {
          ...p,
          ...(status ? { status: status as VoucherStatus } : {}),
        });
        return done(
          r,
          (rows) => page(rows, p.limit, presentVoucher),
          (rows) =>
            rows
              .slice(0, p.limit)
              .map(
                (v) =>
                  `${v.id}  ${formatUsd(v.remainingCents)}/${formatUsd(v.amountCents)} USD  ${v.status}  expires ${v.expiresAt.toISOString()}`,
              )
              .join('\n'),
        );
      };
    },
  },
  {
    path: ['inventory', 'import'],
    args: ['FILE'],
    summary:
      'Import ISP IPs from a CSV file (header ip,port,country,city,asn[,lat,lon]); bad rows are skipped',
    flags: [],
    prepare: (input) => {
      const file = input.positionals[0]!;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const parsed = rowsFromCsv(text);
      return async (ctx) => {
        if (!parsed.ok) return { ok: false, error: parsed.error };
        const tty = process.stderr.isTTY === true;
        const r = await importInventory(ctx.deps, parsed.value.rows, {
          ignoredColumns: parsed.value.ignoredColumns,
          ...(tty
            ? {
                onProgress: (done: number, total: number) =>
                  process.stderr.write(
                    `\rwriting ${done.toLocaleString('en')} of ${total.toLocaleString('en')} rows`,
                  ),
              }
            : {}),
        });
        if (tty) process.stderr.write('\n');
        return done(r, presentImport, (s) => {
          const reasons = Object.entries(s.skippedByReason).map(([k, n]) => `${k} ${n}`);
          const lines = [
            `imported ${s.imported} of ${s.rows} rows; skipped ${s.skipped.length}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
            ...s.skipped
              .slice(0, 20)
              .map((x) => `  line ${x.line}  ${x.ip ?? '-'}  ${x.reason}: ${x.message}`),
            ...(s.skipped.length > 20 ? [`  … and ${s.skipped.length - 20} more (--json lists them)`] : []),
          ];
          return lines.join('\n');
        });
      };
    },
  },
  {
    path: ['inventory', 'show'],
    args: [],
    summary: 'ISP stock by country, city and ASN: available, held, allocated',
    flags: [
      { name: 'country', value: 'CC', description: 'only this country (ISO alpha-2, like us)' },
      { name: 'city', value: 'CITY', description: 'only this city (slug, like newyork)' },
      { name: 'asn', value: 'ASN', description: 'only this carrier ASN' },
    ],
    prepare: (input) => {
      const country = flag(input, 'country');
      const city = flag(input, 'city');
      const asn = flag(input, 'asn');
      if (asn !== undefined && !/^\d{1,10}$/.test(asn)) throw new UsageError('--asn must be an integer');
      return async (ctx) => {
        const r = await adminInventory(ctx.deps, {
          ...(country !== undefined ? { country } : {}),
          ...(city !== undefined ? { city } : {}),
          ...(asn !== undefined ? { asn: Number(asn) } : {}),
        });
        return done(r, presentAdminInventory, (v) =>
          [
            ...v.places.map(
              (p) =>
                `${p.country}  ${p.city.padEnd(14)}  AS${String(p.asn).padEnd(10)}  available ${p.available}  held ${p.held}  allocated ${p.allocated}${p.retired ? `  retired ${p.retired}` : ''}`,
            ),
            `total  available ${v.totals.available}  held ${v.totals.held}  allocated ${v.totals.allocated}`,
          ].join('\n'),
        );
      };
    },
  },
  {
    path: ['orders', 'refund'],
    args: ['ORDER_ID'],
    summary: 'Refund an order to its sources (card, balance, vouchers); --dry-run shows the plan',
    flags: [
      {
        name: 'reason',
        value: 'TEXT',
        required: true,
        description: 'why, kept with the refund (1–500 chars)',
      },
      { name: 'amount', value: 'USD', description: 'how much (default: everything left to refund)' },
      { name: 'dry-run', boolean: true, description: 'show the plan with every term, change nothing' },
    ],
    prepare: (input) => {
      const amount = flag(input, 'amount');
      const amountCents = amount === undefined ? undefined : amountArg(amount, '--amount');
      if (amountCents !== undefined && amountCents <= 0)
        throw new UsageError('--amount must be greater than 0');
      const reason = flag(input, 'reason')!.trim();
      if (!reason) throw new UsageError('--reason must not be blank');
      return async (ctx) => {
        const r = await refundOrder(ctx.deps, {
          orderId: input.positionals[0]!,
          accountId: null,
          ...(amountCents !== undefined ? { amountCents } : {}),
          reason,
          dryRun: input.flags.has('dry-run'),
          requestedBy: ctx.operator,
        });
        return done(r, presentRefundOutcome, refundText);
      };
    },
  },
  {
    path: ['orders', 'retry-refund'],
    args: ['ORDER_ID'],
    summary: 'Retry the failed card part of a refund (refund_failed → refunding → refunded)',
    flags: [
      {
        name: 'to-balance',
        boolean: true,
        description: 'the card cannot take it (closed): credit it to the balance and close the refund',
      },
    ],
    prepare: (input) => async (ctx) =>
      done(
        await retryRefund(ctx.deps, {
          orderId: input.positionals[0]!,
          requestedBy: ctx.operator,
          to: input.flags.has('to-balance') ? 'balance' : 'card',
        }),
        presentRefundOutcome,
        refundText,
      ),
  },
];
