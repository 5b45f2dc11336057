/** Servers (SPEC §7) through HTTP: ordering prepaid / postpaid, list and get, unsubscribe. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { placeServerOrder } from '../src/app/servers/place-server-order.ts';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const DAY = 24 * 3600;

async function advance(seconds: number): Promise<void> {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode, res.body).toBe(200);
}

async function now(): Promise<Date> {
  return h.deps.clock.now();
}

function buy(key: string, body: Record<string, unknown>) {
  return h.call('POST', '/v1/orders', { key, body: { product: 'server', spec: 's1.small', ...body } });
}

function code(res: { json(): { error: { code: string } } }): string {
  return res.json().error.code;
}

describe('ordering a server', () => {
  it('prepaid s1.small for a month: 20.00 from the balance, a running server with its term', async () => {
    const c = await h.customer({ balanceUsd: 50, kyc: true });
    const res = await buy(c.key, { payment_mode: 'prepaid', months: 1 });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      product: 'server',
      type: 'new',
      status: 'completed',
      payment_status: 'paid',
      payment_mode: 'prepaid',
      original_usd: 20,
      total_usd: 20,
      paid_usd: 20,
    });
    expect(o.line_items).toHaveLength(1);
    const id = o.details.server_id as string;
    expect(id).toMatch(/^ins_[0-9A-Z]{26}$/);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      duration: 'P1M',
      unit_price_usd: 20,
      paid_usd: 20,
    });
    expect(await balanceOf(h, c.key)).toBe(30);

    const got = await h.call('GET', `/v1/servers/${id}`, { key: c.key });
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({
      id,
      object: 'server',
      spec: 's1.small',
      compute_power: 1,
      payment_mode: 'prepaid',
      status: 'running',
      paid_usd: 20,
      order: o.id,
    });
    const start = new Date(got.json().current_period_start);
    const end = new Date(got.json().current_period_end);
    expect(end.getUTCMonth()).toBe((start.getUTCMonth() + 1) % 12);
  });

  it('prepaid 12 months is 12 × the monthly price (s1.medium 480.00), the rest on the card', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100, kyc: true });
    const res = await buy(c.key, { spec: 's1.medium', payment_mode: 'prepaid', months: 12 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ original_usd: 480, total_usd: 480, paid_usd: 480 });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([38000]);
  });

  it('postpaid with 100.00 available: a new order of 0 payable and a running postpaid server', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await buy(c.key, { spec: 's1.large', payment_mode: 'postpaid' });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      type: 'new',
      payment_mode: 'postpaid',
      status: 'completed',
      total_usd: 0,
      paid_usd: 0,
    });
    expect(o.line_items[0]).toMatchObject({ payment_mode: 'postpaid', unit_price_usd: 0.12, duration: null });
    expect(await balanceOf(h, c.key)).toBe(100);
    const s = (await h.call('GET', `/v1/servers/${o.details.server_id}`, { key: c.key })).json();
    expect(s).toMatchObject({ payment_mode: 'postpaid', status: 'running', current_period_end: null });
  });

  it('quote shows the price and the balance rule without creating anything', async () => {
    const c = await h.customer({ balanceUsd: 10, kyc: true });
    const q1 = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'server', spec: 's1.xlarge', payment_mode: 'prepaid', months: 1 },
    });
    expect(q1.statusCode, q1.body).toBe(200);
    expect(q1.json()).toMatchObject({ product: 'server', total_usd: 160, payment_status: 'pending_payment' });
    const q2 = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'server', spec: 's1.small', payment_mode: 'postpaid' },
    });
    expect(q2.statusCode, q2.body).toBe(200);
    expect(JSON.stringify(q2.json())).toContain('balance_below_threshold');
    const list = await h.call('GET', '/v1/servers', { key: c.key });
    expect(list.json().data).toEqual([]);
  });
});

describe('refused orders', () => {
  it('no KYC: 409 kyc_required, nothing taken', async () => {
    const c = await h.customer({ balanceUsd: 50 });
    const res = await buy(c.key, { payment_mode: 'prepaid' });
    expect(res.statusCode, res.body).toBe(409);
    expect(code(res)).toBe('kyc_required');
    expect(await balanceOf(h, c.key)).toBe(50);
    expect((await h.call('GET', '/v1/servers', { key: c.key })).json().data).toEqual([]);
  });

  it('an unknown spec is 400 invalid_request', async () => {
    const c = await h.customer({ balanceUsd: 50, kyc: true });
    const res = await buy(c.key, { spec: 's9.huge', payment_mode: 'prepaid' });
    expect(res.statusCode, res.body).toBe(400);
    expect(code(res)).toBe('invalid_request');
  });

  it('months 3 is 400 invalid_request; months on a postpaid server too', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const res = await buy(c.key, { payment_mode: 'prepaid', months: 3 });
    expect(res.statusCode, res.body).toBe(400);
    expect(code(res)).toBe('invalid_request');
    const pp = await buy(c.key, { payment_mode: 'postpaid', months: 1 });
    expect(pp.statusCode, pp.body).toBe(400);
    expect(await balanceOf(h, c.key)).toBe(500);
  });

  it('postpaid below the 100.00 threshold: 409 balance_below_threshold, no server', async () => {
    const c = await h.customer({ balanceUsd: 99.99, kyc: true });
    const res = await buy(c.key, { payment_mode: 'postpaid' });
    expect(res.statusCode, res.body).toBe(409);
    expect(code(res)).toBe('balance_below_threshold');
    expect((await h.call('GET', '/v1/servers', { key: c.key })).json().data).toEqual([]);
    const orders = await h.call('GET', '/v1/orders?product=server', { key: c.key });
    expect(orders.json().data).toEqual([]);
  });

  it('prepaid with too little balance and no card: 409 insufficient_balance, nothing created', async () => {
    const c = await h.customer({ balanceUsd: 5, kyc: true });
    const res = await buy(c.key, { payment_mode: 'prepaid' });
    expect(res.statusCode, res.body).toBe(409);
    expect(code(res)).toBe('insufficient_balance');
    expect(await balanceOf(h, c.key)).toBe(5);
  });
});

describe('listing', () => {
  it('lists the account’s servers newest first with a cursor', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await buy(c.key, { payment_mode: 'prepaid' });
      expect(r.statusCode, r.body).toBe(200);
      ids.push(r.json().details.server_id);
      await advance(1);
    }
    const p1 = (await h.call('GET', '/v1/servers?limit=2', { key: c.key })).json();
    expect(p1.data.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]]);
    expect(p1.has_more).toBe(true);
    const p2 = (await h.call('GET', `/v1/servers?limit=2&starting_after=${ids[1]}`, { key: c.key })).json();
    expect(p2.data.map((s: { id: string }) => s.id)).toEqual([ids[0]]);
    expect(p2.has_more).toBe(false);
  });
});

describe('unsubscribe', () => {
  it('a prepaid month of 30 days unsubscribed after 10 days refunds two thirds: 20.00 → 13.33', async () => {
    // move to the first of a 30-day month so the term is exactly 30 days
    const t = await now();
    const firstOfJune = Date.UTC(2026, 5, 1, t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds());
    if (firstOfJune > t.getTime()) await advance(Math.floor((firstOfJune - t.getTime()) / 1000));
    const c = await h.customer({ balanceUsd: 20, kyc: true });
    const placed = await buy(c.key, { payment_mode: 'prepaid', months: 1 });
    expect(placed.statusCode, placed.body).toBe(200);
    const id = placed.json().details.server_id as string;
    const srv = (await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json();
    const termSeconds = (Date.parse(srv.current_period_end) - Date.parse(srv.current_period_start)) / 1000;
    expect(termSeconds).toBe(30 * DAY);
    expect(await balanceOf(h, c.key)).toBe(0);

    await advance(10 * DAY);
    const dry = await h.call('POST', `/v1/servers/${id}/unsubscribe`, {
      key: c.key,
      body: { dry_run: true },
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ type: 'unsubscribe', refunded_usd: 13.33 });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect((await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json().status).toBe('running');

    const res = await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      product: 'server',
      type: 'unsubscribe',
      status: 'completed',
      payment_status: 'refunded',
      refunded_usd: 13.33,
      details: { server_id: id, refund_usd: 13.33, term_seconds: 30 * DAY, unused_seconds: 20 * DAY },
    });
    expect(o.line_items).toHaveLength(2);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      config: { spec: 's1.small', status: 'running', paid_usd: 20, configuration: 'old' },
    });
    expect(o.line_items[1]).toMatchObject({
      instance_id: id,
      previous_config: { spec: 's1.small', status: 'running', paid_usd: 20 },
      config: { spec: 's1.small', status: 'stopped', refund_usd: 13.33, configuration: 'new' },
    });
    expect(o.details).toMatchObject({
      refund_to: 'sources',
      refund_to_balance_usd: 13.33,
      refund_to_card_usd: 0,
    });
    expect(await balanceOf(h, c.key)).toBe(13.33);
    // the balance part goes back on the order that paid for the term (the refund engine's refund)
    const tx = (await h.call('GET', '/v1/billing/transactions', { key: c.key })).json().data[0];
    expect(tx).toMatchObject({ amount_usd: 13.33, cause: 'refund', order_id: placed.json().id });
    const paying = (await h.call('GET', `/v1/orders/${placed.json().id}`, { key: c.key })).json();
    expect(paying).toMatchObject({ payment_status: 'partially_refunded', refunded_usd: 13.33 });
    const after = (await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json();
    expect(after.status).toBe('stopped');
    expect(after.stopped_at).not.toBeNull();

    const again = await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} });
    expect(again.statusCode, again.body).toBe(409);
    expect(code(again)).toBe('invalid_state');
    expect(await balanceOf(h, c.key)).toBe(13.33);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('tenant isolation', () => {
  it('another account’s server is 404 on GET, unsubscribe and its dry run, and absent from the list', async () => {
    const owner = await h.customer({ balanceUsd: 50, kyc: true });
    const other = await h.customer({ balanceUsd: 50, kyc: true });
    const placed = await buy(owner.key, { payment_mode: 'prepaid' });
    const id = placed.json().details.server_id as string;
    const get = await h.call('GET', `/v1/servers/${id}`, { key: other.key });
    expect(get.statusCode).toBe(404);
    expect(code(get)).toBe('not_found');
    for (const body of [{}, { dry_run: true }]) {
      const u = await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: other.key, body });
      expect(u.statusCode, u.body).toBe(404);
    }
    const list = (await h.call('GET', '/v1/servers', { key: other.key })).json();
    expect(list.data).toEqual([]);
    expect((await h.call('GET', `/v1/servers/${id}`, { key: owner.key })).json().status).toBe('running');
    expect(await balanceOf(h, other.key)).toBe(50);
  });
});

describe('crash recovery', () => {
  it('a card-paid server whose process died after the charge is created by recoverPayments, once', async () => {
    const c = await customerWithCard(h, { balanceUsd: 5, kyc: true });
    await expect(
      placeServerOrder(h.deps, {
        accountId: c.id,
        input: { product: 'server', spec: 's1.small', paymentMode: 'prepaid', months: 1 },
        afterCharge: async () => {
          throw new Error('process died');
        },
      }),
    ).rejects.toThrow('process died');
    expect((await h.call('GET', '/v1/servers', { key: c.key })).json().data).toEqual([]);
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 1, voided: 0 });
    const list = (await h.call('GET', '/v1/servers', { key: c.key })).json().data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ spec: 's1.small', status: 'running', paid_usd: 20 });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([1500]);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 0 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

/** Moves the clock to the next 1st of a 30-day month (same time of day) so a 1-month term is 30 days. */
async function toThirtyDayMonth(): Promise<void> {
  const t = await now();
  for (let m = t.getUTCMonth() + 1; ; m++) {
    const first = Date.UTC(t.getUTCFullYear(), m, 1, t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds());
    const d = new Date(first);
    if (new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() === 30) {
      await advance(Math.floor((first - t.getTime()) / 1000));
      return;
    }
  }
}

async function serverFor(key: string, spec: string): Promise<string> {
  const placed = await buy(key, { spec, payment_mode: 'prepaid', months: 1 });
  expect(placed.statusCode, placed.body).toBe(200);
  return placed.json().details.server_id as string;
}

describe('change', () => {
  it('upgrade s1.small → s1.medium after 10 of 30 days: charged 26.67 − 13.33 = 13.34, two line items', async () => {
    await toThirtyDayMonth();
    const c = await h.customer({ balanceUsd: 40, kyc: true });
    const id = await serverFor(c.key, 's1.small');
    await advance(10 * DAY);
    const dry = await h.call('POST', `/v1/servers/${id}/change`, {
      key: c.key,
      body: { spec: 's1.medium', dry_run: true },
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ type: 'change', total_usd: 13.34, paid_usd: 0 });
    expect(await balanceOf(h, c.key)).toBe(20);

    const res = await h.call('POST', `/v1/servers/${id}/change`, { key: c.key, body: { spec: 's1.medium' } });
    expect(res.statusCode, res.body).toBe(200);
    // amounts are USD everywhere, nested details included: the server as it was is paid 20.00
    expect(res.body).not.toContain('_cents');
    expect(res.body).toContain('"paid_usd":20.00');
    const o = res.json();
    expect(o).toMatchObject({
      product: 'server',
      type: 'change',
      payment_status: 'paid',
      total_usd: 13.34,
      paid_usd: 13.34,
      details: {
        from_spec: 's1.small',
        to_spec: 's1.medium',
        old_remaining_usd: 13.33,
        new_remaining_usd: 26.67,
      },
    });
    expect(o.line_items).toHaveLength(2);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      config: { spec: 's1.small', configuration: 'old', remaining_value_usd: 13.33 },
      payable_usd: 0,
    });
    expect(o.line_items[1]).toMatchObject({
      instance_id: id,
      config: { spec: 's1.medium', configuration: 'new', remaining_value_usd: 26.67 },
      previous_config: { spec: 's1.small' },
      original_usd: 13.34,
      payable_usd: 13.34,
      paid_usd: 13.34,
    });
    expect(await balanceOf(h, c.key)).toBe(6.66);
    const s = (await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json();
    expect(s).toMatchObject({ spec: 's1.medium', compute_power: 2, paid_usd: 40 });
    // the term is now worth the medium price: unsubscribing at once refunds its remaining 26.67
    const u = await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: { dry_run: true } });
    expect(u.json().refunded_usd).toBe(26.67);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('downgrade s1.medium → s1.small after 10 of 30 days refunds 13.34 to the balance', async () => {
    await toThirtyDayMonth();
    const c = await h.customer({ balanceUsd: 40, kyc: true });
    const id = await serverFor(c.key, 's1.medium');
    await advance(10 * DAY);
    const res = await h.call('POST', `/v1/servers/${id}/change`, { key: c.key, body: { spec: 's1.small' } });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      type: 'change',
      payment_status: 'refunded',
      total_usd: 0,
      refunded_usd: 13.34,
    });
    expect(o.line_items.map((l: { config: { spec: string } }) => l.config.spec)).toEqual([
      's1.medium',
      's1.small',
    ]);
    expect(await balanceOf(h, c.key)).toBe(13.34);
    expect(o.details).toMatchObject({ refund_to: 'sources', refund_to_balance_usd: 13.34 });
    const tx = (await h.call('GET', '/v1/billing/transactions', { key: c.key })).json().data[0];
    expect(tx).toMatchObject({ amount_usd: 13.34, cause: 'refund', order_id: o.details.refunds[0].order_id });
  });

  it('the same spec is 400, a stopped server 409, another account’s server 404', async () => {
    const c = await h.customer({ balanceUsd: 40, kyc: true });
    const other = await h.customer({ balanceUsd: 40, kyc: true });
    const id = await serverFor(c.key, 's1.small');
    const same = await h.call('POST', `/v1/servers/${id}/change`, { key: c.key, body: { spec: 's1.small' } });
    expect(same.statusCode, same.body).toBe(400);
    const foreign = await h.call('POST', `/v1/servers/${id}/change`, {
      key: other.key,
      body: { spec: 's1.large' },
    });
    expect(foreign.statusCode, foreign.body).toBe(404);
    const foreignRenew = await h.call('POST', `/v1/servers/${id}/renew`, {
      key: other.key,
      body: { months: 1 },
    });
    expect(foreignRenew.statusCode, foreignRenew.body).toBe(404);
    await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} });
    const stopped = await h.call('POST', `/v1/servers/${id}/change`, {
      key: c.key,
      body: { spec: 's1.large' },
    });
    expect(stopped.statusCode, stopped.body).toBe(409);
    expect(code(stopped)).toBe('invalid_state');
  });
});

describe('renew', () => {
  it('renews a prepaid month for 20.00: the term runs a month longer and is worth 40.00', async () => {
    const c = await h.customer({ balanceUsd: 40, kyc: true });
    const id = await serverFor(c.key, 's1.small');
    const before = (await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json();
    const bad = await h.call('POST', `/v1/servers/${id}/renew`, { key: c.key, body: { months: 3 } });
    expect(bad.statusCode, bad.body).toBe(400);
    const dry = await h.call('POST', `/v1/servers/${id}/renew`, {
      key: c.key,
      body: { months: 1, dry_run: true },
    });
    expect(dry.json()).toMatchObject({ type: 'renew', total_usd: 20, paid_usd: 0 });
    const res = await h.call('POST', `/v1/servers/${id}/renew`, { key: c.key, body: { months: 1 } });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ type: 'renew', total_usd: 20, paid_usd: 20 });
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      starts_at: before.current_period_end,
      duration: 'P1M',
    });
    const after = (await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json();
    expect(after.current_period_end).toBe(o.line_items[0].ends_at);
    expect(after.paid_usd).toBe(40);
    expect(await balanceOf(h, c.key)).toBe(0);
    const broke = await h.call('POST', `/v1/servers/${id}/renew`, { key: c.key, body: { months: 1 } });
    expect(broke.statusCode, broke.body).toBe(409);
    expect(code(broke)).toBe('insufficient_balance');
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('races', () => {
  it('two unsubscribes of one server at once: one refund, the other 409', async () => {
    const c = await h.customer({ balanceUsd: 20, kyc: true });
    const id = await serverFor(c.key, 's1.small');
    const res = await Promise.all(
      [0, 1, 2].map(() => h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} })),
    );
    expect(res.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect(await balanceOf(h, c.key)).toBe(20);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('an upgrade and a renewal at once: both apply only against the server as priced (one wins)', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const id = await serverFor(c.key, 's1.small');
    await advance(DAY);
    const [a, b] = await Promise.all([
      h.call('POST', `/v1/servers/${id}/change`, { key: c.key, body: { spec: 's1.large' } }),
      h.call('POST', `/v1/servers/${id}/renew`, { key: c.key, body: { months: 1 } }),
    ]);
    const codes = [a.statusCode, b.statusCode];
    expect(codes).toContain(200);
    const s = (await h.call('GET', `/v1/servers/${id}`, { key: c.key })).json();
    const paid = [a, b].filter((r) => r.statusCode === 200).reduce((t, r) => t + r.json().paid_usd, 0);
    // what the account paid is exactly what was spent: no charge without its change
    expect(await balanceOf(h, c.key)).toBeCloseTo(200 - 20 - paid, 2);
    if (codes.includes(409)) expect(s.spec === 's1.large' || s.paid_usd === 40).toBe(true);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
