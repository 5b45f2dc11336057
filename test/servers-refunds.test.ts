/**
 * Servers' refunds going back to their sources (SPEC §5, §7), postpaid unsubscribe and change,
 * and server orders paid with vouchers — through HTTP, driven by the test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import {
  advance,
  buyServer,
  DAY,
  errorCode,
  getServerJson,
  HOUR,
  toThirtyDayMonth,
} from './support/servers.ts';
import { issueVoucher } from './support/vouchers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const FAR = { expires_at: '2030-01-01T00:00:00.000Z' };

function post(key: string, path: string, body: Record<string, unknown>) {
  return h.call('POST', path, { key, body });
}

async function voucherLeft(key: string, id: string): Promise<number> {
  const data = (await h.call('GET', '/v1/vouchers', { key })).json().data as {
    id: string;
    remaining_usd: number;
  }[];
  return data.find((v) => v.id === id)?.remaining_usd ?? Number.NaN;
}

describe('prepaid refunds go back to their sources', () => {
  it('a card-paid month unsubscribed after 10 of 30 days: 13.33 back to the card through the gateway', async () => {
    await toThirtyDayMonth(h);
    const c = await customerWithCard(h, { kyc: true });
    const placed = await post(c.key, '/v1/orders', {
      product: 'server',
      spec: 's1.small',
      payment_mode: 'prepaid',
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const id = placed.json().details.server_id as string;
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([2000]);
    await advance(h, 10 * DAY);

    const dry = await post(c.key, `/v1/servers/${id}/unsubscribe`, { dry_run: true });
    expect(dry.json()).toMatchObject({ refunded_usd: 13.33 });
    expect((await cardCharges(h, c.id))[0]?.refunded_cents).toBe(0);

    const res = await post(c.key, `/v1/servers/${id}/unsubscribe`, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      type: 'unsubscribe',
      refunded_usd: 13.33,
      details: { refund_to: 'sources', refund_to_card_usd: 13.33, refund_to_balance_usd: 0 },
    });
    expect((await cardCharges(h, c.id)).map((x) => x.refunded_cents)).toEqual([1333]);
    expect(await balanceOf(h, c.key)).toBe(0);
    const paying = (await h.call('GET', `/v1/orders/${placed.json().id}`, { key: c.key })).json();
    expect(paying).toMatchObject({ payment_status: 'partially_refunded', refunded_usd: 13.33 });
    expect((await getServerJson(h, c.key, id)).status).toBe('stopped');
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('voucher 10.00 + balance 10.00: the 13.33 refund takes the balance back first, then 3.33 to the voucher', async () => {
    await toThirtyDayMonth(h);
    const c = await h.customer({ balanceUsd: 10, kyc: true });
    const v = await issueVoucher(h, c.id, 10, FAR);
    const placed = await post(c.key, '/v1/orders', {
      product: 'server',
      spec: 's1.small',
      payment_mode: 'prepaid',
      vouchers: [v],
    });
    expect(placed.statusCode, placed.body).toBe(200);
    expect(placed.json()).toMatchObject({ original_usd: 20, voucher_usd: 10, total_usd: 10, paid_usd: 10 });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await voucherLeft(c.key, v)).toBe(0);
    const id = placed.json().details.server_id as string;
    expect((await getServerJson(h, c.key, id)).paid_usd).toBe(20);
    await advance(h, 10 * DAY);
    const res = await post(c.key, `/v1/servers/${id}/unsubscribe`, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().details).toMatchObject({
      refund_to_balance_usd: 10,
      refund_to_vouchers_usd: 3.33,
      refund_to_card_usd: 0,
    });
    expect(await balanceOf(h, c.key)).toBe(10);
    expect(await voucherLeft(c.key, v)).toBe(3.33);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a downgrade of a card-paid server refunds the difference to the card', async () => {
    await toThirtyDayMonth(h);
    const c = await customerWithCard(h, { kyc: true });
    const id = await buyServer(h, c.key, { spec: 's1.medium', payment_mode: 'prepaid' });
    await advance(h, 10 * DAY);
    const res = await post(c.key, `/v1/servers/${id}/change`, { spec: 's1.small' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ refunded_usd: 13.34, details: { refund_to_card_usd: 13.34 } });
    expect((await cardCharges(h, c.id)).map((x) => [x.amount_cents, x.refunded_cents])).toEqual([
      [4000, 1334],
    ]);
    expect(await balanceOf(h, c.key)).toBe(0);
    // what is left on the card's order is what the smaller term is still worth
    const u = await post(c.key, `/v1/servers/${id}/unsubscribe`, {});
    expect(u.json()).toMatchObject({ refunded_usd: 13.33, details: { refund_to_card_usd: 13.33 } });
    expect((await cardCharges(h, c.id))[0]?.refunded_cents).toBe(2667);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('another account cannot unsubscribe or change a server (404), nothing refunded', async () => {
    const c = await customerWithCard(h, { kyc: true });
    const other = await h.customer({ balanceUsd: 10, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'prepaid' });
    for (const [path, body] of [
      [`/v1/servers/${id}/unsubscribe`, {}],
      [`/v1/servers/${id}/change`, { spec: 's1.large' }],
      [`/v1/servers/${id}/change`, { spec: 's1.large', dry_run: true }],
    ] as const) {
      const r = await post(other.key, path, body);
      expect(r.statusCode, r.body).toBe(404);
      expect(errorCode(r)).toBe('not_found');
    }
    expect((await cardCharges(h, c.id))[0]?.refunded_cents).toBe(0);
    expect(await balanceOf(h, other.key)).toBe(10);
  });
});

describe('postpaid unsubscribe and change', () => {
  it('unsubscribe stops it now with no refund: old and new configuration as two lines', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'postpaid' });
    await advance(h, 90 * 60);
    const dry = await post(c.key, `/v1/servers/${id}/unsubscribe`, { dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect((await getServerJson(h, c.key, id)).status).toBe('running');
    const res = await post(c.key, `/v1/servers/${id}/unsubscribe`, {});
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ type: 'unsubscribe', payment_mode: 'postpaid', refunded_usd: 0, total_usd: 0 });
    expect(o.line_items).toHaveLength(2);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      config: { spec: 's1.small', payment_mode: 'postpaid', status: 'running', configuration: 'old' },
    });
    expect(o.line_items[1]).toMatchObject({
      instance_id: id,
      config: { status: 'stopped', configuration: 'new' },
      previous_config: { status: 'running' },
    });
    const s = await getServerJson(h, c.key, id);
    expect(s.status).toBe('stopped');
    expect(s.stopped_at).toBe(o.line_items[1].config.stopped_at);
    expect(await balanceOf(h, c.key)).toBe(100);
    const again = await post(c.key, `/v1/servers/${id}/unsubscribe`, {});
    expect(again.statusCode, again.body).toBe(409);
    expect(errorCode(again)).toBe('invalid_state');
  });

  it('change: the spec from now on, nothing charged, the old and new hourly prices as two lines', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = await buyServer(h, c.key, { payment_mode: 'postpaid' });
    const dry = await post(c.key, `/v1/servers/${id}/change`, { spec: 's1.large', dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.small');
    const res = await post(c.key, `/v1/servers/${id}/change`, { spec: 's1.large' });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ type: 'change', payment_mode: 'postpaid', total_usd: 0, paid_usd: 0 });
    expect(o.line_items).toHaveLength(2);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      unit_price_usd: 0.03,
      config: { spec: 's1.small' },
    });
    expect(o.line_items[1]).toMatchObject({
      instance_id: id,
      unit_price_usd: 0.12,
      config: { spec: 's1.large', configuration: 'new' },
      previous_config: { spec: 's1.small' },
    });
    expect(await getServerJson(h, c.key, id)).toMatchObject({ spec: 's1.large', compute_power: 4 });
    expect(await balanceOf(h, c.key)).toBe(100);
    const same = await post(c.key, `/v1/servers/${id}/change`, { spec: 's1.large' });
    expect(same.statusCode, same.body).toBe(400);
    expect(errorCode(same)).toBe('invalid_request');
    // while temporarily upgraded, a change waits
    expect(
      (await post(c.key, `/v1/servers/${id}/temp-upgrade`, { spec: 's1.xlarge', hours: 2 })).statusCode,
    ).toBe(200);
    const during = await post(c.key, `/v1/servers/${id}/change`, { spec: 's1.small' });
    expect(during.statusCode, during.body).toBe(409);
    await advance(h, 2 * HOUR);
    expect((await getServerJson(h, c.key, id)).spec).toBe('s1.large');
    await post(c.key, `/v1/servers/${id}/unsubscribe`, {});
    const stopped = await post(c.key, `/v1/servers/${id}/change`, { spec: 's1.small' });
    expect(stopped.statusCode, stopped.body).toBe(409);
    expect(errorCode(stopped)).toBe('invalid_state');
  });

  it('races: three unsubscribes of one postpaid server stop it once; two changes apply in turn or 409', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const a = await buyServer(h, c.key, { payment_mode: 'postpaid' });
    const changes = await Promise.all(
      ['s1.medium', 's1.large'].map((spec) => post(c.key, `/v1/servers/${a}/change`, { spec })),
    );
    const applied = changes.filter((r) => r.statusCode === 200).map((r) => r.json());
    for (const r of changes.filter((x) => x.statusCode !== 200)) expect(r.statusCode, r.body).toBe(409);
    // each change applied from the spec the server had: the chain ends at the server's spec
    const last = applied.find((o) => !applied.some((p) => p.details.from_spec === o.details.to_spec));
    expect((await getServerJson(h, c.key, a)).spec).toBe(last.details.to_spec);
    const stops = await Promise.all([0, 1, 2].map(() => post(c.key, `/v1/servers/${a}/unsubscribe`, {})));
    expect(stops.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    const orders = (await h.call('GET', '/v1/orders?type=unsubscribe', { key: c.key })).json().data;
    expect(orders).toHaveLength(1);
  });
});
