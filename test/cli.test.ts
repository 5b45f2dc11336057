/**
 * The orderdesk CLI end to end (SPEC §11): spawned as a child process against its own database —
 * a temporary PGlite DATA_DIR (seeded with the migrated test template), or a fresh PostgreSQL
 * database when DATABASE_URL is set.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../src/app/accounts/create-account.ts';
import { adjustBalance } from '../src/app/billing/adjust-balance.ts';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { addPaymentMethod } from '../src/app/payment-methods/add-payment-method.ts';
import { openContext } from '../src/cli/context.ts';
import { lockFilePath } from '../src/db/data-dir-lock.ts';
import type { Result } from '../src/domain/errors.ts';
import { type CliEnv, cliEnv, type Ran, runCli } from './support/cli-env.ts';
import type { TestDb } from './support/test-db.ts';

let cli: CliEnv;
let dataDir: string;
let pg: TestDb | null;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  cli = await cliEnv('orderdesk-cli-');
  ({ dataDir, pg, env } = cli);
});

afterAll(async () => {
  await cli?.close();
});

/** `orderdesk …` as a child process (through bin/orderdesk.js when viaBin). */
function orderdesk(args: string[], opts: { viaBin?: boolean } = {}): Promise<Ran> {
  const argv = opts.viaBin ? ['bin/orderdesk.js', ...args] : ['--import', 'tsx', 'src/cli/main.ts', ...args];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { env, cwd: process.cwd(), timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The same command in this process (cheaper than a child), capturing its output. */
function inProcess(args: string[]): Promise<Ran> {
  return runCli(env, args);
}

describe('orderdesk CLI (SPEC §11)', () => {
  let accountId: string;

  it('accounts create → api-keys create → credit → accounts get shows the balance', async () => {
    const created = await orderdesk([
      'accounts',
      'create',
      '--email',
      'ops@example.com',
      '--name',
      'Ops Test',
    ]);
    expect(created.code).toBe(0);
    const account = JSON.parse(created.stdout);
    expect(account).toMatchObject({
      object: 'account',
      email: 'ops@example.com',
      name: 'Ops Test',
      balance_usd: 0,
      kyc_status: 'not_submitted',
    });
    expect(account.id).toMatch(/^acc_[0-9A-Z]{26}$/);
    accountId = account.id;

    const key = await orderdesk(['api-keys', 'create', accountId, '--name', 'ops']);
    expect(key.code).toBe(0);
    expect(JSON.parse(key.stdout)).toMatchObject({ object: 'api_key', name: 'ops' });
    expect(JSON.parse(key.stdout).key).toMatch(/^od_live_[A-Za-z0-9]{32}$/);

    const credit = await orderdesk(['credit', accountId, '125.50', '--reason', 'wire received']);
    expect(credit.code).toBe(0);
    expect(credit.stdout).toContain('"amount_usd":125.50');
    expect(JSON.parse(credit.stdout)).toMatchObject({
      object: 'transaction',
      cause: 'adjustment',
      balance_after_usd: 125.5,
    });
    expect(JSON.parse(credit.stdout).memo).toMatch(/^wire received \(by cli:/);

    const debit = await inProcess(['credit', accountId, '-25.50', '--reason', 'fee', '--text']);
    expect(debit.code).toBe(0);
    expect(debit.stdout).toMatch(/^txn_[0-9A-Z]{26} {2}-25\.50 USD {2}balance 100\.00 USD\n$/);

    const got = await orderdesk(['accounts', 'get', accountId]);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('"balance_usd":100.00');
    expect(JSON.parse(got.stdout)).toMatchObject({ id: accountId, balance_usd: 100 });
    if (!pg) expect(fs.existsSync(lockFilePath(dataDir))).toBe(false);
  });

  it('migrate reports the schema up to date', async () => {
    const r = await inProcess(['migrate']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      object: 'migrations',
      engine: pg ? 'postgres' : 'pglite',
      applied: [],
    });
    expect((await inProcess(['migrate', '--text'])).stdout).toBe('database schema is up to date\n');
  });

  it.skipIf(process.env.DATABASE_URL)(
    "refuses an embedded database another live process holds; takes over a dead holder's lock",
    async () => {
      const lock = lockFilePath(dataDir);
      fs.writeFileSync(lock, `${process.ppid}\n`);
      const held = await inProcess(['accounts', 'list']);
      expect(held.code).toBe(1);
      expect(held.stderr).toContain(`in use by process ${process.ppid}`);
      fs.writeFileSync(lock, '2147483646\n');
      expect((await inProcess(['accounts', 'list'])).code).toBe(0);
      expect(fs.existsSync(lock)).toBe(false);
    },
  );

  it('a refusal exits 1 with the error code and message on stderr', async () => {
    const r = await inProcess(['accounts', 'get', 'acc_01HZZZZZZZZZZZZZZZZZZZZZZZ']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({
      error: { code: 'not_found', message: 'No such account: acc_01HZZZZZZZZZZZZZZZZZZZZZZZ', param: 'id' },
    });
  });

  it('a usage error exits 2 before the database is opened (here through bin/orderdesk.js)', async () => {
    const r = await orderdesk(['credit', 'acc_x', '10'], { viaBin: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--reason is required');
    expect(r.stderr).toContain('usage: orderdesk credit ACCOUNT_ID AMOUNT_USD --reason TEXT');
    const help = await inProcess(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('orderdesk <command>');
  });

  it.each([
    [['frobnicate'], 'unknown command'],
    [['kyc', 'maybe', 'acc_x'], 'kyc needs one of: get, approve, reject'],
    [['accounts', 'get'], 'expected ACCOUNT_ID'],
    [['accounts', 'get', 'a', 'b'], 'expected ACCOUNT_ID'],
    [['accounts', 'create', '--email', 'x@example.com'], '--name is required'],
    [['accounts', 'list', '--colour', 'red'], 'unknown option --colour'],
    [['credit', 'acc_x', 'ten', '--reason', 'x'], 'not a USD amount'],
    [['vouchers', 'issue', 'acc_x', '5', '--expires', 'tomorrow'], 'not an ISO 8601 time'],
    [
      ['vouchers', 'issue', 'acc_x', '5', '--expires', '2099-01-01T00:00:00Z', '--products', 'gold'],
      'unknown product',
    ],
    [['accounts', 'list', '--json', '--text'], 'exclude each other'],
  ])('orderdesk %j is a usage error (exit 2): %s', async (args, message) => {
    const r = await inProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('kyc approve, vouchers issue and list, accounts list --email, as the admin API does them', async () => {
    const approved = await inProcess(['kyc', 'approve', accountId, '--reason', 'checked by phone']);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ id: accountId, kyc_status: 'approved' });
    const twice = await inProcess(['kyc', 'approve', accountId, '--text']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe('invalid_state: KYC is already approved\n');

    const issued = await inProcess([
      'vouchers',
      'issue',
      accountId,
      '20',
      '--expires',
      '2099-01-01T00:00:00Z',
      '--products',
      'mobile,residential',
    ]);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('"amount_usd":20.00');
    expect(JSON.parse(issued.stdout)).toMatchObject({
      object: 'voucher',
      products: ['residential', 'mobile'],
      status: 'active',
      expires_at: '2099-01-01T00:00:00.000Z',
    });
    const past = await inProcess(['vouchers', 'issue', accountId, '20', '--expires', '2000-01-01T00:00:00Z']);
    expect(past.code).toBe(1);
    expect(JSON.parse(past.stderr).error).toMatchObject({ code: 'invalid_request', param: 'expires_at' });

    const vouchers = await inProcess(['vouchers', 'list', accountId]);
    expect(JSON.parse(vouchers.stdout)).toMatchObject({
      object: 'list',
      has_more: false,
      data: [{ id: JSON.parse(issued.stdout).id }],
    });
    const listed = await inProcess(['accounts', 'list', '--email', 'OPS@example.com', '--text']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(`${accountId}  ops@example.com  balance 100.00 USD  kyc approved  active\n`);
  });
});

/** The value of a use-case that must succeed in the setup. */
function must<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('orderdesk orders refund / retry-refund (SPEC §5, §11)', () => {
  it('refund --dry-run shows the plan; refund refunds to the balance; too much exits 1 refund_exceeds_paid', async () => {
    const ctx = await openContext(env);
    let orderId: string;
    try {
      const acc = must(await createAccount(ctx.deps, { email: 'refunds@example.com', name: 'Refunds' }));
      must(
        await adjustBalance(ctx.deps, {
          accountId: acc.id,
          amountCents: 10000,
          reason: 'funds',
          operator: 'test',
        }),
      );
      orderId = must(
        await placeOrder(ctx.deps, { accountId: acc.id, input: { product: 'residential', gb: 10 } }),
      ).id;
    } finally {
      await ctx.close();
    }

    const dry = await inProcess([
      'orders',
      'refund',
      orderId,
      '--reason',
      'check',
      '--amount',
      '20',
      '--dry-run',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      object: 'refund_plan',
      dry_run: true,
      order: orderId,
      paid_total_usd: 45,
      refundable_usd: 45,
      requested_usd: 20,
      to_balance_usd: 20,
      resulting_payment_status: 'partially_refunded',
    });
    const dryText = await inProcess([
      'orders',
      'refund',
      orderId,
      '--reason',
      'check',
      '--dry-run',
      '--text',
    ]);
    expect(dryText.stdout).toContain(`${orderId}  dry run: would be refunded`);
    expect(dryText.stdout).toContain(
      'paid 45.00 − already refunded 0.00 = refundable 45.00; requested 45.00',
    );

    const done = await orderdesk(['orders', 'refund', orderId, '--reason', 'goodwill', '--amount', '20']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      id: orderId,
      payment_status: 'partially_refunded',
      refunded_usd: 20,
      refund: { status: 'succeeded', reason: 'goodwill', to_balance_usd: 20, remaining_usd: 25 },
    });

    const beyond = await inProcess(['orders', 'refund', orderId, '--reason', 'more', '--amount', '25.01']);
    expect(beyond.code).toBe(1);
    expect(JSON.parse(beyond.stderr).error).toMatchObject({
      code: 'refund_exceeds_paid',
      param: 'amount_usd',
    });

    const rest = await inProcess(['orders', 'refund', orderId, '--reason', 'the rest', '--text']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(new RegExp(`^${orderId} {2}refunded {2}refunded 45\\.00 of 45\\.00 USD`));
  });

  it('retry-refund retries a failed card refund; other orders exit 1 invalid_state', async () => {
    const ctx = await openContext(env);
    let orderId: string;
    let accountId: string;
    try {
      accountId = must(await createAccount(ctx.deps, { email: 'refund-card@example.com', name: 'Card' })).id;
      must(
        await addPaymentMethod(ctx.deps, {
          accountId,
          card: { number: '4000000000000341', expMonth: 12, expYear: 2030, cvc: '123' },
        }),
      );
      orderId = must(await placeOrder(ctx.deps, { accountId, input: { product: 'residential', gb: 1 } })).id;
    } finally {
      await ctx.close();
    }
    const failed = await inProcess(['orders', 'refund', orderId, '--reason', 'card']);
    expect(failed.code, failed.stderr).toBe(0);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      payment_status: 'refund_failed',
      refund: { status: 'failed' },
    });

    const again = await orderdesk(['orders', 'retry-refund', orderId]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ payment_status: 'refund_failed' });

    const fix = await openContext(env);
    try {
      // the card issuer accepts refunds again
      await fix.deps.db.query(
        `UPDATE sandbox_cards SET behaviour = 'succeed'
         WHERE token = (SELECT gateway_ref FROM payment_methods WHERE account_id = $1)`,
        [accountId],
      );
    } finally {
      await fix.close();
    }
    const ok = await inProcess(['orders', 'retry-refund', orderId, '--text']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${orderId} {2}refunded {2}refunded 4\\.50 of 4\\.50 USD`));

    const nothing = await inProcess(['orders', 'retry-refund', orderId]);
    expect(nothing.code).toBe(1);
    expect(JSON.parse(nothing.stderr).error.code).toBe('invalid_state');
    const unknown = await inProcess(['orders', 'refund', 'ord_01HZZZZZZZZZZZZZZZZZZZZZZZ', '--reason', 'x']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr).error.code).toBe('not_found');
  });

  it.each([
    [['orders', 'refund', 'ord_x'], '--reason is required'],
    [['orders', 'refund', 'ord_x', '--reason', ' '], '--reason must not be blank'],
    [['orders', 'refund', 'ord_x', '--reason', 'x', '--amount', '-1'], '--amount must be greater than 0'],
    [['orders', 'refund', 'ord_x', '--reason', 'x', '--amount', '1.005'], 'not a USD amount'],
    [['orders', 'refund', 'ord_x', '--reason', 'x', '--dry-run=yes'], '--dry-run takes no value'],
    [['orders', 'retry-refund'], 'expected ORDER_ID'],
  ])('orderdesk %j is a usage error (exit 2): %s', async (args, message) => {
    const r = await inProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
