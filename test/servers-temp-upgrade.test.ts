/** Temporary upgrades of servers (SPEC §7 temp_upgrade) through HTTP, driven by the test clock. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { tempUpgradeCents } from '../src/app/servers/temp-upgrade-pricing.ts';
import { tempUpgradeServer } from '../src/app/servers/temp-upgrade-server.ts';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { advance, buyServer, errorCode, getServerJson, HOUR, toThirtyDayMonth } from './support/servers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

function tempUpgrade(key: string, id: string, body: Record<string, unknown>) {
  return h.call('POST', `/v1/servers/${id}/temp-upgrade`, { key, body });
}

async function tempOrders(key: string) {
  const res = await h.call('GET', '/v1/orders?type=temp_upgrade', { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as {
    details: Record<string, unknown>;
    line_items: { config: { spec: string } }[];
  }[];
}

describe('the price of a temporary upgrade: Σ monthly difference × seconds / (720 × 3600), half-up once', () => {
  it.each([
    ['s1.small → s1.medium, 24 h', [{ monthlyDelta4: 200_000, seconds: 24 * HOUR }], 67],
    ['s1.small → s1.xlarge, 72 h', [{ monthlyDelta4: 1_400_000, seconds: 72 * HOUR }], 1400],
    ['s1.small → s1.medium, 1 h', [{ monthlyDelta4: 200_000, seconds: HOUR }], 3],
    [
      'a whole 720-hour month is the monthly difference',
      [{ monthlyDelta4: 600_000, seconds: 720 * HOUR }],
      6000,
    ],
    [
      'medium → large for 12 h and small → large for 12 h, rounded once',
      [
        { monthlyDelta4: 400_000, seconds: 12 * HOUR },
        { monthlyDelta4: 600_000, seconds: 12 * HOUR },
      ],
      167,
    ],
    ['nothing', [{ monthlyDelta4: 0, seconds: HOUR }], 0],
  ])('%s', (_what, parts, cents) => {
    expect(tempUpgradeCents(parts)).toBe(cents);
  });

  it('refuses a negative difference or a fractional second', () => {
    expect(() => tempUpgradeCents([{ monthlyDelta4: -1, seconds: 1 }])).toThrow(RangeError);
    expect(() => tempUpgradeCents([{ monthlyDelta4: 1, seconds: 0.5 }])).toThrow(RangeError);
  });
});

describe('prepaid temporary upgrade', () => {
  it('s1.small → s1.medium for 24 h: (40.00 − 20.00) × 24 / 720 = 0.67, reverted by the job at the end', async () => {
    await toThirtyDayMonth(h);
    const c = await h.customer({ balanceUsd: 30, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid', months: 1 });
    expect(await balanceOf(h, c.key)).toBe(10);

    const dry = await tempUpgrade(c.key, id, { spec: 's1.medium', hours: 24, dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ type: 'temp_upgrade', total_usd: 0.67, paid_usd: 0 });
    expect(await balanceOf(h, c.key)).toBe(10);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.small');

    const res = await tempUpgrade(c.key, id, { spec: 's1.medium', hours: 24 });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      product: 'server',
      type: 'temp_upgrade',
      payment_status: 'paid',
      original_usd: 0.67,
      total_usd: 0.67,
      paid_usd: 0.67,
      details: { from_spec: 's1.small', to_spec: 's1.medium', base_spec: 's1.small', hours: 24 },
    });
    expect(o.line_items).toHaveLength(2);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      config: { spec: 's1.small', configuration: 'old' },
      payable_usd: 0,
    });
    expect(o.line_items[1]).toMatchObject({
      instance_id: id,
      config: { spec: 's1.medium', configuration: 'new', hours: 24 },
      previous_config: { spec: 's1.small' },
      duration: 'PT24H',
      payable_usd: 0.67,
      paid_usd: 0.67,
    });
    expect(await balanceOf(h, c.key)).toBe(9.33);
    const up = await getServerJson(h, c.key, id);
    expect(up).toMatchObject({ spec: 's1.medium', compute_power: 2, paid_usd: 20 });
    expect(up.temp_upgrade).toEqual({ base_spec: 's1.small', until: o.line_items[1].ends_at });
    // a spec change waits for the temporary upgrade to end
    const change = await h.call('POST', `/v1/servers/${id}/change`, {
      key: c.key,
      body: { spec: 's1.large' },
    });
    expect(change.statusCode, change.body).toBe(409);

    await advance(h, 24 * HOUR - 1);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.medium');
    await advance(h, 1);
    const back = await getServerJson(h, c.key, id);
    expect(back).toMatchObject({ spec: 's1.small', temp_upgrade: null, status: 'running' });
    const orders = await tempOrders(c.key);
    expect(orders).toHaveLength(2);
    const revert = orders.find((x) => x.details.phase === 'revert');
    expect(revert).toMatchObject({ total_usd: 0, details: { from_spec: 's1.medium', to_spec: 's1.small' } });
    expect(revert?.line_items.map((l: { config: { spec: string } }) => l.config.spec)).toEqual([
      's1.medium',
      's1.small',
    ]);
    expect(await balanceOf(h, c.key)).toBe(9.33);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('consecutive: extend by 24 h (0.67 more), then s1.large while upgraded (1.67), reverted once at the end', async () => {
    await toThirtyDayMonth(h);
    const c = await h.customer({ balanceUsd: 30, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid', months: 1 });
    const first = await tempUpgrade(c.key, id, { spec: 's1.medium', hours: 24 });
    expect(first.statusCode, first.body).toBe(200);
    const firstUntil = Date.parse(first.json().details.until);

    const ext = await tempUpgrade(c.key, id, { spec: 's1.medium', hours: 24 });
    expect(ext.statusCode, ext.body).toBe(200);
    expect(ext.json()).toMatchObject({ total_usd: 0.67 });
    expect(Date.parse(ext.json().details.until)).toBe(firstUntil + 24 * HOUR * 1000);
    expect(ext.json().line_items[0]).toMatchObject({ config: { spec: 's1.medium', configuration: 'old' } });
    expect(ext.json().line_items[1].starts_at).toBe(first.json().details.until);

    // 36 h later: 12 h of the window left at s1.medium. s1.large for 24 h from now:
    // (80 − 40) × 12 h + (80 − 20) × 12 h over 720 h = 0.67 + 1.00 → 1.67 rounded once
    await advance(h, 36 * HOUR);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.medium');
    const higher = await tempUpgrade(c.key, id, { spec: 's1.large', hours: 24 });
    expect(higher.statusCode, higher.body).toBe(200);
    const ho = higher.json();
    expect(ho).toMatchObject({ total_usd: 1.67, details: { from_spec: 's1.medium', base_spec: 's1.small' } });
    expect(ho.line_items.map((l: { config: { spec: string } }) => l.config.spec)).toEqual([
      's1.medium',
      's1.large',
    ]);
    expect(ho.line_items.map((l: { instance_id: string }) => l.instance_id)).toEqual([id, id]);
    expect(await balanceOf(h, c.key)).toBe(10 - 0.67 - 0.67 - 1.67);

    // the old window's end passes: nothing reverts (the job for it finds a later end)
    await advance(h, 12 * HOUR);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.large');
    await advance(h, 12 * HOUR);
    expect(await getServerJson(h, c.key, id)).toMatchObject({ spec: 's1.small', temp_upgrade: null });
    const reverts = (await tempOrders(c.key)).filter((x) => x.details.phase === 'revert');
    expect(reverts).toHaveLength(1);
    expect(reverts[0]?.details).toMatchObject({ from_spec: 's1.large', to_spec: 's1.small' });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('paid by the default card when the balance is empty', async () => {
    await toThirtyDayMonth(h);
    const c = await customerWithCard(h, { balanceUsd: 20, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid', months: 1 });
    const res = await tempUpgrade(c.key, id, { spec: 's1.xlarge', hours: 72 });
    expect(res.statusCode, res.body).toBe(200);
    // (160 − 20) × 72 / 720 = 14.00
    expect(res.json()).toMatchObject({ total_usd: 14, paid_usd: 14 });
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([1400]);
  });
});

describe('idempotency', () => {
  it('the same Idempotency-Key twice answers the first order and charges once', async () => {
    await toThirtyDayMonth(h);
    const c = await h.customer({ balanceUsd: 30, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid', months: 1 });
    const send = () =>
      h.call('POST', `/v1/servers/${id}/temp-upgrade`, {
        key: c.key,
        body: { spec: 's1.medium', hours: 24 },
        headers: { 'idempotency-key': 'temp-upgrade-once' },
      });
    const a = await send();
    const b = await send();
    expect(a.statusCode, a.body).toBe(200);
    expect(b.statusCode, b.body).toBe(200);
    expect(b.json().id).toBe(a.json().id);
    expect(await balanceOf(h, c.key)).toBe(9.33);
    expect((await tempOrders(c.key)).length).toBe(1);
  });
});

describe('crash recovery', () => {
  it('a card-paid temporary upgrade whose process died after the charge is applied by recoverPayments, once', async () => {
    await toThirtyDayMonth(h);
    const c = await customerWithCard(h, { kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid', months: 1 });
    await expect(
      tempUpgradeServer(h.deps, {
        accountId: c.id,
        serverId: id,
        spec: 's1.medium',
        hours: 24,
        afterCharge: async () => {
          throw new Error('process died');
        },
      }),
    ).rejects.toThrow('process died');
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.small');
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 1, voided: 0 });
    const s = await getServerJson(h, c.key, id);
    expect(s).toMatchObject({ spec: 's1.medium', temp_upgrade: { base_spec: 's1.small' } });
    // both charges at the same test-clock instant: compare them as a set
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents).sort((a, b) => a - b)).toEqual([67, 2000]);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 0 });
    // the revert job was queued by the recovery's settlement too
    await advance(h, 24 * HOUR);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.small');
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('postpaid temporary upgrade', () => {
  it('no charge now: the spec is the higher one for the window (billed hourly at it), then back', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'postpaid' });
    const res = await tempUpgrade(c.key, id, { spec: 's1.large', hours: 3 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ type: 'temp_upgrade', payment_mode: 'postpaid', total_usd: 0 });
    expect(res.json().line_items[0]).toMatchObject({ unit_price_usd: 0.03, config: { spec: 's1.small' } });
    expect(res.json().line_items[1]).toMatchObject({ unit_price_usd: 0.12, config: { spec: 's1.large' } });
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.large');
    expect(await balanceOf(h, c.key)).toBe(100);
    await advance(h, 3 * HOUR);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.small');
    // stopped, so the later tests' clock advances do not bill it
    expect((await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} })).statusCode).toBe(
      200,
    );
  });
});

describe('refused temporary upgrades', () => {
  it('400 for a spec not higher, bad hours, past the term; 409 stopped or short of money; 404 another account', async () => {
    await toThirtyDayMonth(h);
    const c = await h.customer({ balanceUsd: 45, kyc: true });
    const other = await h.customer({ balanceUsd: 50, kyc: true });
    const id = await buyServer(h, c.key, { spec: 's1.medium', payment_mode: 'prepaid', months: 1 });
    for (const body of [
      { spec: 's1.small', hours: 1 },
      { spec: 's1.medium', hours: 1 },
      { spec: 's1.large', hours: 0 },
      { spec: 's1.large', hours: 721 },
      { spec: 's1.large', hours: 1.5 },
      { spec: 's9.huge', hours: 1 },
      { spec: 's1.large' },
      { spec: 's1.large', hours: 1, extra: true },
    ]) {
      const r = await tempUpgrade(c.key, id, body);
      expect(r.statusCode, `${JSON.stringify(body)}: ${r.body}`).toBe(400);
      expect(errorCode(r)).toBe('invalid_request');
    }
    // a 30-day term: one second in, 720 hours would end a second past the term
    await advance(h, 1);
    const past = await tempUpgrade(c.key, id, { spec: 's1.large', hours: 720 });
    expect(past.statusCode, past.body).toBe(400);
    expect(past.json().error.param).toBe('hours');
    expect((await tempUpgrade(c.key, id, { spec: 's1.large', hours: 719, dry_run: true })).statusCode).toBe(
      200,
    );
    const broke = await tempUpgrade(c.key, id, { spec: 's1.xlarge', hours: 240 });
    expect(broke.statusCode, broke.body).toBe(409);
    expect(errorCode(broke)).toBe('insufficient_balance');
    for (const body of [
      { spec: 's1.large', hours: 1 },
      { spec: 's1.large', hours: 1, dry_run: true },
    ]) {
      const foreign = await tempUpgrade(other.key, id, body);
      expect(foreign.statusCode, foreign.body).toBe(404);
      expect(errorCode(foreign)).toBe('not_found');
    }
    expect(await balanceOf(h, other.key)).toBe(50);
    await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} });
    const stopped = await tempUpgrade(c.key, id, { spec: 's1.large', hours: 1 });
    expect(stopped.statusCode, stopped.body).toBe(409);
    expect(errorCode(stopped)).toBe('invalid_state');
    expect((await tempOrders(c.key)).length).toBe(0);
  });
});

describe('races', () => {
  it('two temporary upgrades of one server at once: each applied is charged once (an extension, or 409 moved meanwhile)', async () => {
    await toThirtyDayMonth(h);
    const c = await h.customer({ balanceUsd: 40, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid', months: 1 });
    const start = (await h.deps.clock.now()).getTime();
    const res = await Promise.all(
      [0, 1, 2].map(() => tempUpgrade(c.key, id, { spec: 's1.medium', hours: 24 })),
    );
    const won = res.filter((r) => r.statusCode === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of res.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode, r.body).toBe(409);
      expect(errorCode(r)).toBe('invalid_state');
    }
    // every order that succeeded extended the window by its 24 h and was charged 0.67, no other
    const s = await getServerJson(h, c.key, id);
    expect(Date.parse(s.temp_upgrade.until) - start).toBe(won.length * 24 * HOUR * 1000);
    expect((await tempOrders(c.key)).length).toBe(won.length);
    expect(await balanceOf(h, c.key)).toBeCloseTo(20 - 0.67 * won.length, 2);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
