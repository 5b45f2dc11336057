/**
 * The commands run directly on the database (no server running): each calls the same use-case
 * as its admin API route and answers with the same presenter's JSON. Imported only in that mode,
 * so a command that talks to a server loads none of this.
 */
import {
  createAdminToken,
  revokeManagedAdminToken,
  searchAdminTokens,
} from '../app/access/create-admin-token.ts';
import { createApiKey, listAccountApiKeys, revokeAccountApiKey } from '../app/access/create-api-key.ts';
import { createAccount } from '../app/accounts/create-account.ts';
import { findAccount, findKyc, searchAccounts, searchAccountVouchers } from '../app/accounts/find-account.ts';
import { resumeAccount, type StatusChange, suspendAccount } from '../app/accounts/suspend-account.ts';
import { adjustBalance } from '../app/billing/adjust-balance.ts';
import { findContractDiscounts } from '../app/billing/find-contract-discounts.ts';
import { setContractDiscounts } from '../app/billing/set-contract-discounts.ts';
import { adminInventory } from '../app/inventory/admin-inventory.ts';
import { type ImportSummary, importInventory, rowsFromCsv } from '../app/inventory/import-inventory.ts';
import { searchJobs } from '../app/job-queue/list-jobs.ts';
import { retryJob } from '../app/job-queue/retry-job.ts';
import { decideKyc } from '../app/kyc/decide-kyc.ts';
import { findOrder, searchOrders } from '../app/orders/find-order.ts';
import { editPriceBook } from '../app/price-book/edit-price-book.ts';
import { listPriceBookEntries } from '../app/price-book/list-price-book.ts';
import { refundOrder, retryRefund } from '../app/refunds/refund-order.ts';
import { listSettlementRuns } from '../app/settlement/list-settlement-runs.ts';
import { recordServerTraffic } from '../app/settlement/record-server-traffic.ts';
import { settleServerHours } from '../app/settlement/settle-server-hours.ts';
import { authorizeGateway } from '../app/usage/authorize-gateway.ts';
import { issueVoucher, type VoucherProduct } from '../app/vouchers/issue-voucher.ts';
import type { TestClock } from '../clock.ts';
import { presentAccount } from '../contract/account.ts';
import { presentAdminInventory, presentImport } from '../contract/admin-inventory.ts';
import { presentAdminToken } from '../contract/admin-token.ts';
import { presentApiKey, presentCreatedApiKey } from '../contract/api-key.ts';
import { presentClock } from '../contract/clock.ts';
import { presentContractDiscounts } from '../contract/contract-discounts.ts';
import { presentJob } from '../contract/job.ts';
import { stringify } from '../contract/json.ts';
import { presentKyc } from '../contract/kyc.ts';
import { presentLedgerEntry } from '../contract/ledger-entry.ts';
import { page, whole } from '../contract/list.ts';
import { presentAdminOrder } from '../contract/order.ts';
import { presentPriceBookEntry, presentPriceBookVersion } from '../contract/price-book.ts';
import { presentRefundOutcome } from '../contract/refund-plan.ts';
import { presentServerTrafficBatch } from '../contract/server-traffic.ts';
import { presentSettlementRun } from '../contract/settlement-run.ts';
import { presentGatewayAuthorization } from '../contract/usage.ts';
import { presentVoucher } from '../contract/voucher.ts';
import type { AccountStatus } from '../db/accounts.ts';
import { migrate } from '../db/migrate.ts';
import type { VoucherStatus } from '../db/vouchers.ts';
import { loadDemo, loadDemoStock } from '../demo.ts';
import { type DomainError, err, type Result } from '../domain/errors.ts';
import { parsePrice4 } from '../domain/money.ts';
import { advanceAndRun } from '../jobs/advance-clock.ts';
import type { CommandInput } from './command.ts';
import type { AccountListArgs } from './commands/accounts.ts';
import type { DiscountsArgs } from './commands/discounts.ts';
import type { JobListArgs, TrafficArgs } from './commands/operations.ts';
import { commands, type InventoryImportArgs, type OrderListArgs } from './commands.ts';
import type { CliContext } from './context.ts';
import { noProgress, type Progress } from './output.ts';

/** What a command answered: the API's JSON text (as the server would send it), or the refusal. */
export type DirectOutcome = { ok: true; json: string; note?: string } | { ok: false; error: DomainError };

/** What a direct command may use besides the database: the progress display and Ctrl-C. */
export interface DirectIo {
  progress(label: string): Progress;
  /** true once Ctrl-C was pressed */
  interrupted(): boolean;
}

/** Thrown inside a transaction when Ctrl-C is pressed: the work rolls back. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(readonly summary: string) {
    super(summary);
  }
}

function done<T>(r: Result<T>, json: (v: T) => unknown, note?: (v: T) => string | undefined): DirectOutcome {
  if (!r.ok) return { ok: false, error: r.error };
  const n = note?.(r.value);
  return { ok: true, json: stringify(json(r.value)), ...(n ? { note: n } : {}) };
}

const ok = (json: unknown): DirectOutcome => ({ ok: true, json: stringify(json) });

/** A suspension or resumption that changed nothing says so (the API answers 200, unchanged). */
const unchanged = (c: StatusChange) =>
  c.changed ? undefined : `  (already ${c.account.status as AccountStatus}: nothing changed, no mail)`;

/** Rows per transaction of `inventory import` on the database. */
const CLI_IMPORT_BATCH = 10_000;

/** Adds one batch's summary to the whole import's. */
function mergeImport(total: ImportSummary, s: ImportSummary): void {
  total.rows += s.rows;
  total.imported += s.imported;
  total.skipped.push(...s.skipped);
  for (const [k, n] of Object.entries(s.skippedByReason)) {
    const key = k as keyof ImportSummary['skippedByReason'];
    total.skippedByReason[key] = (total.skippedByReason[key] ?? 0) + (n ?? 0);
  }
  total.countries = [...new Set([...total.countries, ...s.countries])].sort();
}

// biome-ignore lint/suspicious/noExplicitAny: each command has its own parsed arguments
type Runner = (p: any, ctx: CliContext, io: DirectIo) => Promise<DirectOutcome>;

export const runners: Record<string, Runner> = {
  migrate: async (_p, ctx) => {
    // opening the context already migrated; a second pass reports nothing left to do
    const applied = [...ctx.applied, ...(await migrate(ctx.deps.db))];
    return ok({ object: 'migrations', engine: ctx.deps.db.engine, applied });
  },
  'demo load': async (_p, ctx, io) => {
    const bar = io.progress('demo');
    bar.start(2, 'ISP stock');
    // the stock first, to count it (loadDemo loads it too, idempotently: then nothing more)
    const imported = await loadDemoStock(ctx.deps);
    bar.update(1, 'account');
    const demo = await loadDemo(ctx.deps);
    bar.update(2, 'done');
    bar.stop();
    return ok({
      object: 'demo',
      email: demo?.email ?? null,
      password: demo?.password ?? null,
      api_key: demo?.apiKey ?? null,
      stock_imported: imported,
    });
  },
  'accounts create': async (p, ctx) => done(await createAccount(ctx.deps, p), presentAccount),
  'accounts get': async (key: string, ctx) => {
    if (!key.includes('@')) return done(await findAccount(ctx.deps, key), presentAccount);
    const r = await searchAccounts(ctx.deps, { limit: 1, email: key });
    if (!r.ok) return { ok: false, error: r.error };
    const a = r.value[0];
    if (!a) {
      const e = err('not_found', `No account with email ${key}`, { param: 'email' });
      return { ok: false, error: e.error };
    }
    return ok(presentAccount(a));
  },
  'accounts list': async (p: AccountListArgs, ctx) =>
    done(await searchAccounts(ctx.deps, p), (rows) => page(rows, p.limit, presentAccount)),
  'accounts suspend': async (p, ctx) =>
    done(
      await suspendAccount(ctx.deps, { accountId: p.accountId, reason: p.reason, operator: ctx.operator }),
      (c) => presentAccount(c.account),
      unchanged,
    ),
  'accounts resume': async (accountId: string, ctx) =>
    done(
      await resumeAccount(ctx.deps, { accountId, operator: ctx.operator }),
      (c) => presentAccount(c.account),
      unchanged,
    ),
  'kyc get': async (accountId: string, ctx) => done(await findKyc(ctx.deps, accountId), presentKyc),
  'kyc approve': async (p, ctx) =>
    done(await decideKyc(ctx.deps, { ...p, operator: ctx.operator }), presentAccount),
  'kyc reject': async (p, ctx) =>
    done(await decideKyc(ctx.deps, { ...p, operator: ctx.operator }), presentAccount),
  'discounts get': async (accountId: string, ctx) =>
    done(await findContractDiscounts(ctx.deps, accountId), presentContractDiscounts),
  'discounts set': async (p: DiscountsArgs, ctx) =>
    done(
      await setContractDiscounts(ctx.deps, { accountId: p.accountId, discounts: p.discounts }),
      presentContractDiscounts,
    ),
  'api-keys create': async (p, ctx) =>
    done(await createApiKey(ctx.deps, p.accountId, p.name), presentCreatedApiKey),
  'api-keys list': async (accountId: string, ctx) =>
    done(await listAccountApiKeys(ctx.deps, accountId), (keys) => whole(keys, presentApiKey)),
  'api-keys revoke': async ([accountId, keyId]: [string, string], ctx) =>
    done(await revokeAccountApiKey(ctx.deps, accountId, keyId), presentApiKey),
  'admin-tokens create': async (name: string | null, ctx) =>
    done(await createAdminToken(ctx.deps, name), presentAdminToken),
  'admin-tokens list': async (_p, ctx) =>
    done(await searchAdminTokens(ctx.deps), (tokens) => whole(tokens, (t) => presentAdminToken(t))),
  'admin-tokens revoke': async (id: string, ctx) =>
    done(await revokeManagedAdminToken(ctx.deps, id), presentAdminToken),
  credit: async (p, ctx) =>
    done(
      await adjustBalance(ctx.deps, {
        accountId: p.accountId,
        amountCents: p.amountCents,
        reason: p.reason,
        operator: ctx.operator,
      }),
      presentLedgerEntry,
    ),
  'vouchers issue': async (p, ctx) =>
    done(
      await issueVoucher(ctx.deps, {
        accountId: p.accountId,
        amountCents: p.amountCents,
        expiresAt: new Date(p.expires),
        ...(p.products ? { products: p.products as VoucherProduct[] } : {}),
        operator: ctx.operator,
      }),
      presentVoucher,
    ),
  'vouchers list': async (p, ctx) =>
    done(
      await searchAccountVouchers(ctx.deps, p.accountId, {
        limit: p.limit,
        ...(p.startingAfter ? { startingAfter: p.startingAfter } : {}),
        ...(p.status ? { status: p.status as VoucherStatus } : {}),
      }),
      (rows) => page(rows, p.limit, presentVoucher),
    ),
  'inventory import': async (p: InventoryImportArgs, ctx, io) => {
    const parsed = rowsFromCsv(p.text);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    const all = parsed.value.rows;
    const bar = io.progress('rows');
    bar.start(all.length, 'writing');
    // batches of their own transaction: between them Ctrl-C is seen (PGlite's work never yields
    // to the event loop inside one) and what was committed is kept
    const total: ImportSummary = {
      rows: 0,
      imported: 0,
      skipped: [],
      skippedByReason: {},
      ignoredColumns: parsed.value.ignoredColumns,
      countries: [],
    };
    try {
      for (let i = 0; i < all.length; i += CLI_IMPORT_BATCH) {
        const r = await importInventory(ctx.deps, all.slice(i, i + CLI_IMPORT_BATCH), {
          ignoredColumns: parsed.value.ignoredColumns,
          onProgress: (n) => bar.update(i + n, 'writing'),
        });
        if (!r.ok) return { ok: false, error: r.error };
        mergeImport(total, r.value);
        bar.update(Math.min(all.length, i + CLI_IMPORT_BATCH), 'writing');
        await new Promise((resolve) => setImmediate(resolve));
        if (io.interrupted() && total.rows < all.length) {
          bar.stop();
          throw new Interrupted(
            `import interrupted after ${total.rows.toLocaleString('en')} of ${all.length.toLocaleString('en')} rows; ${total.imported.toLocaleString('en')} imported rows are kept, the rest was not read; run the same import again for the rest (rows already in stock are skipped)`,
          );
        }
      }
    } finally {
      bar.stop();
    }
    return ok(presentImport(total));
  },
  settle: async (_p, ctx, io) => {
    const bar = io.progress('accounts');
    bar.start(0, 'settling');
    try {
      const r = await settleServerHours(ctx.deps, {
        afterBatch: ({ accounts, total }) => {
          bar.update(accounts, 'settling', total);
          // each batch is committed: stopping between batches leaves the rest to the next run
          if (io.interrupted()) {
            throw new Interrupted(
              `settlement interrupted after ${accounts.toLocaleString('en')} of ${total.toLocaleString('en')} accounts; those are billed, the next run bills the rest`,
            );
          }
        },
      });
      return done(r, presentSettlementRun);
    } finally {
      bar.stop();
    }
  },
  'inventory show': async (q, ctx) => done(await adminInventory(ctx.deps, q), presentAdminInventory),
  'orders get': async (id: string, ctx) =>
    done(await findOrder(ctx.deps, null, id), (o) => presentAdminOrder(o.order, o.events)),
  'orders list': async (p: OrderListArgs, ctx) =>
    done(
      await searchOrders(ctx.deps, {
        accountId: p.account ?? null,
        limit: p.limit,
        ...(p.startingAfter ? { startingAfter: p.startingAfter } : {}),
        ...(p.status ? { status: p.status as never } : {}),
        ...(p.paymentStatus ? { paymentStatus: p.paymentStatus as never } : {}),
        ...(p.product ? { product: p.product as never } : {}),
      }),
      (rows) => page(rows, p.limit, (o) => presentAdminOrder(o)),
    ),
  'orders refund': async (p, ctx) =>
    done(
      await refundOrder(ctx.deps, { ...p, accountId: null, requestedBy: ctx.operator }),
      presentRefundOutcome,
    ),
  'orders retry-refund': async (p, ctx) =>
    done(
      await retryRefund(ctx.deps, { orderId: p.orderId, requestedBy: ctx.operator, to: p.to }),
      presentRefundOutcome,
    ),
  'jobs list': async (p: JobListArgs, ctx) => {
    const now = await ctx.deps.clock.now();
    const found = await searchJobs(ctx.deps, {
      state: p.state ?? 'failed',
      limit: p.limit,
      ...(p.kind ? { kind: p.kind } : {}),
      ...(p.startingAfter ? { startingAfter: Number(p.startingAfter) } : {}),
    });
    return ok(page(found, p.limit, (j) => presentJob(j, now)));
  },
  'jobs retry': async (id: number, ctx) => {
    const retried = await retryJob(ctx.deps, id);
    // the state as of after the retry (due from `at`, read inside retryJob)
    const now = await ctx.deps.clock.now();
    return done(retried, (j) => presentJob(j, now));
  },
  'settlement runs': async (p: { limit: number; startingAfter?: string }, ctx) =>
    done(
      await listSettlementRuns(ctx.deps, {
        limit: p.limit,
        ...(p.startingAfter ? { startingAfter: Number(p.startingAfter) } : {}),
      }),
      (runs) => page(runs, p.limit, presentSettlementRun),
    ),
  'servers traffic': async (p: TrafficArgs, ctx) =>
    done(
      await recordServerTraffic(ctx.deps, {
        serverId: p.serverId,
        reports: [{ id: p.reportId, bytes: p.bytes, at: new Date(p.at) }],
      }),
      (x) => presentServerTrafficBatch(p.serverId, x),
    ),
  'prices list': async (_p, ctx) =>
    ok(whole((await listPriceBookEntries(ctx.deps)).entries, presentPriceBookEntry)),
  'prices set': async (p, ctx) =>
    done(
      await editPriceBook(ctx.deps, { prices: { [p.key]: parsePrice4(p.price) }, reason: p.reason }),
      presentPriceBookVersion,
    ),
  'gateway authorize': async (q, ctx) =>
    done(await authorizeGateway(ctx.deps, q), presentGatewayAuthorization),
  'clock get': async (_p, ctx) =>
    ok(presentClock({ now: await ctx.deps.clock.now(), frozen: ctx.deps.clock.frozen })),
  'clock advance': async (seconds: number, ctx) => {
    const clock = ctx.deps.clock as TestClock;
    if (!clock.frozen || typeof clock.advance !== 'function') {
      const e = err('invalid_state', 'The test clock is off; set ORDERDESK_TEST_CLOCK=1');
      return { ok: false, error: e.error };
    }
    const r = await advanceAndRun(ctx.deps, clock, seconds);
    return ok(presentClock({ now: r.now, frozen: true, jobsRun: r.jobsRun }));
  },
};

/**
 * One command run directly with a given context (tests run it on the harness's deps): its
 * arguments parsed, its answer as JSON text and as the short lines --text prints.
 */
export async function runDirect(
  name: string,
  input: CommandInput,
  ctx: CliContext,
): Promise<{ ok: true; json: string; text: string } | { ok: false; error: DomainError }> {
  const command = commands.find((c) => c.path.join(' ') === name);
  const runner = runners[name];
  if (!command || !runner) throw new Error(`no command ${name}`);
  const r = await runner(command.parse(input), ctx, { progress: () => noProgress, interrupted: () => false });
  return r.ok ? { ok: true, json: r.json, text: `${command.text(JSON.parse(r.json))}${r.note ?? ''}` } : r;
}
