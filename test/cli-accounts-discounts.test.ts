/**
 * `orderdesk accounts suspend|resume` and `orderdesk discounts get|set` (SPEC §11, issue 12 item 3,
 * issue 11 item 7): the same use-cases and the same JSON as the admin API, a short line with
 * --text, usage errors before the database is opened (exit 2), refusals exit 1. Run in this process
 * against a database of their own (PGlite DATA_DIR, or PostgreSQL when DATABASE_URL is set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { type CliEnv, cliEnv, type Ran, runCli } from './support/cli-env.ts';

let cli: CliEnv;
let accountId: string;

const orderdesk = (args: string[]): Promise<Ran> => runCli(cli.env, args);

beforeAll(async () => {
  cli = await cliEnv('orderdesk-cli-accounts-');
  const created = await orderdesk(['accounts', 'create', '--email', 'suspend@example.com', '--name', 'Sus']);
  expect(created.code, created.stderr).toBe(0);
  accountId = JSON.parse(created.stdout).id;
});

afterAll(async () => {
  await cli?.close();
});

/** The suspension mails queued for the account, oldest first. */
async function mailKinds(): Promise<string[]> {
  const ctx = await openContext(cli.env);
  try {
    const rows = await ctx.deps.db.query<{ kind: string }>(
      `SELECT kind FROM mail_outbox WHERE account_id = $1 AND kind LIKE 'account_%' ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((r) => r.kind);
  } finally {
    await ctx.close();
  }
}

describe('orderdesk accounts suspend / resume', () => {
  it('suspend prints the account as the API does; again changes nothing; resume restores it', async () => {
    const r = await orderdesk(['accounts', 'suspend', accountId, '--reason', 'chargeback under review']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      id: accountId,
      object: 'account',
      status: 'suspended',
      suspended_reason: 'chargeback under review',
    });
    expect(json.suspended_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    const again = await orderdesk(['accounts', 'suspend', accountId, '--reason', 'other', '--text']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(
      `${accountId}  suspended since ${json.suspended_at}: chargeback under review  (already suspended: nothing changed, no mail)\n`,
    );
    const got = await orderdesk(['accounts', 'get', accountId, '--text']);
    expect(got.stdout).toContain('  suspended\n');

    const resumed = await orderdesk(['accounts', 'resume', accountId, '--text']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe(`${accountId}  active\n`);
    const twice = await orderdesk(['accounts', 'resume', accountId]);
    expect(JSON.parse(twice.stdout)).toMatchObject({
      status: 'active',
      suspended_reason: null,
      suspended_at: null,
    });

    expect(await mailKinds()).toEqual(['account_suspended', 'account_resumed']);
    const ctx = await openContext(cli.env);
    try {
      const log = await ctx.deps.db.query<{ operator: string }>(
        'SELECT operator FROM account_status_changes WHERE account_id = $1 ORDER BY id',
        [accountId],
      );
      expect(log).toHaveLength(2);
      expect(log[0]!.operator).toMatch(/^cli/);
    } finally {
      await ctx.close();
    }
  });

  it('an unknown account exits 1 not_found; a reason over 500 characters exits 1 invalid_request', async () => {
    const unknown = await orderdesk([
      'accounts',
      'suspend',
      'acc_01HZZZZZZZZZZZZZZZZZZZZZZZ',
      '--reason',
      'x',
    ]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr).error).toMatchObject({ code: 'not_found', param: 'id' });
    const long = await orderdesk(['accounts', 'suspend', accountId, '--reason', 'x'.repeat(501), '--text']);
    expect(long.code).toBe(1);
    expect(long.stderr).toBe('invalid_request: reason must be 1 to 500 characters, not blank\n');
    expect((await orderdesk(['accounts', 'resume', 'acc_01HZZZZZZZZZZZZZZZZZZZZZZZ'])).code).toBe(1);
  });
});

/** The JSON the API answers for the account's contract discounts: every product, 0 when none. */
function discountsJson(percents: Record<string, number>) {
  const products = ['residential', 'mobile', 'isp', 'server', 'reserved_instance'];
  return {
    object: 'contract_discounts',
    account_id: accountId,
    ...Object.fromEntries(products.map((p) => [p, percents[p] ?? 0])),
  };
}

describe('orderdesk discounts get / set', () => {
  it('get shows none; set replaces the set and prints what the PUT answers; get then shows it', async () => {
    const none = await orderdesk(['discounts', 'get', accountId]);
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual(discountsJson({}));
    expect((await orderdesk(['discounts', 'get', accountId, '--text'])).stdout).toBe(
      `${accountId}  no contract discounts\n`,
    );

    const set = await orderdesk([
      'discounts',
      'set',
      accountId,
      '--residential',
      '10',
      '--isp',
      '5',
      '--reserved-instance',
      '12.25',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual(
      discountsJson({ residential: 10, isp: 5, reserved_instance: 12.25 }),
    );
    expect((await orderdesk(['discounts', 'get', accountId, '--text'])).stdout).toBe(
      `${accountId}  residential 10%  isp 5%  reserved_instance 12.25%\n`,
    );

    // replace semantics, as the PUT: products not named have none afterwards
    const replaced = await orderdesk(['discounts', 'set', accountId, '--server', '7.5', '--text']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toBe(`${accountId}  server 7.5%\n`);
    const cleared = await orderdesk(['discounts', 'set', accountId, '--residential', '0']);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ residential: 0, server: 0, isp: 0 });
  });

  it('an unknown account exits 1 not_found', async () => {
    for (const args of [
      ['discounts', 'get', 'acc_01HZZZZZZZZZZZZZZZZZZZZZZZ'],
      ['discounts', 'set', 'acc_01HZZZZZZZZZZZZZZZZZZZZZZZ', '--isp', '5'],
    ]) {
      const r = await orderdesk(args);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'not_found', param: 'id' });
    }
  });

  it('help lists the new commands and their options', async () => {
    const help = await orderdesk(['help']);
    expect(help.code).toBe(0);
    for (const line of [
      'accounts suspend ACCOUNT_ID',
      'accounts resume ACCOUNT_ID',
      'discounts get ACCOUNT_ID',
      'discounts set ACCOUNT_ID',
    ])
      expect(help.stdout).toContain(line);
    const set = await orderdesk(['help', 'discounts', 'set']);
    expect(set.stdout).toContain(
      'usage: orderdesk discounts set ACCOUNT_ID [--residential PERCENT] [--mobile PERCENT] [--isp PERCENT] [--server PERCENT] [--reserved-instance PERCENT]',
    );
    const suspend = await orderdesk(['accounts', 'suspend', '--help']);
    expect(suspend.stdout).toContain('usage: orderdesk accounts suspend ACCOUNT_ID --reason TEXT');
  });
});

describe('usage errors exit 2 before the database is opened', () => {
  it.each([
    [['accounts', 'suspend', 'acc_x'], '--reason is required'],
    [['accounts', 'suspend', 'acc_x', '--reason', '  '], '--reason must not be blank'],
    [['accounts', 'suspend', '--reason', 'x'], 'expected ACCOUNT_ID'],
    [['accounts', 'resume'], 'expected ACCOUNT_ID'],
    [['accounts', 'resume', 'acc_x', '--reason', 'x'], 'unknown option --reason'],
    [['discounts', 'set', 'acc_x'], 'name at least one product'],
    [['discounts', 'set', 'acc_x', '--isp', '101'], 'not a percent from 0 to 100'],
    [['discounts', 'set', 'acc_x', '--isp', '-5'], 'not a percent from 0 to 100'],
    [['discounts', 'set', 'acc_x', '--isp', '1.005'], 'not a percent from 0 to 100'],
    [['discounts', 'set', 'acc_x', '--isp', '1e1'], 'not a percent from 0 to 100'],
    [['discounts', 'set', 'acc_x', '--isp', 'ten'], 'not a percent from 0 to 100'],
    [['discounts', 'set', 'acc_x', '--gold', '5'], 'unknown option --gold'],
    [['discounts', 'get'], 'expected ACCOUNT_ID'],
    [['discounts', 'frob', 'acc_x'], 'discounts needs one of: get, set'],
  ])('orderdesk %j: %s', async (args, message) => {
    const r = await orderdesk(args);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain(message);
  });
});
