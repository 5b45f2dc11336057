/**
 * Unsubscribing a reserved-instance coupon (SPEC §7: value × unused / term, the allocated value for
 * an adjusted coupon) with the refund going back to its sources (SPEC §5), through HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { advance, errorCode } from './support/servers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function buy(key: string, spec: string, count: number) {
  const res = await h.call('POST', '/v1/orders', {
    key,
    body: { product: 'reserved_instance', spec, count, years: 1 },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function coupon(key: string, id: string) {
  const data = (await h.call('GET', '/v1/reserved-instances', { key })).json().data as {
    id: string;
    status: string;
    term_starts_at: string;
    term_ends_at: string;
  }[];
  const c = data.find((x) => x.id === id);
  expect(c).toBeDefined();
  return c!;
}

function unsubscribe(key: string, id: string, body: Record<string, unknown> = {}) {
  return h.call('POST', `/v1/reserved-instances/${id}/unsubscribe`, { key, body });
}

/** Advances to the middle of the coupon's term (a year of 365 or 366 days: an even number of seconds). */
async function toHalfTerm(key: string, id: string): Promise<void> {
  const c = await coupon(key, id);
  const term = (Date.parse(c.term_ends_at) - Date.parse(c.term_starts_at)) / 1000;
  const elapsed = ((await h.deps.clock.now()).getTime() - Date.parse(c.term_starts_at)) / 1000;
  await advance(h, term / 2 - elapsed);
}

describe('unsubscribe a coupon', () => {
  it('1 × s1.small for a year (200.00) unsubscribed half-way refunds 100.00 to the balance', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const bought = await buy(c.key, 's1.small', 1);
    const id = bought.details.reserved_instance_id as string;
    expect(await balanceOf(h, c.key)).toBe(0);
    await toHalfTerm(c.key, id);

    const dry = await unsubscribe(c.key, id, { dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ type: 'unsubscribe', refunded_usd: 100 });
    expect((await coupon(c.key, id)).status).toBe('active');
    expect(await balanceOf(h, c.key)).toBe(0);

    const res = await unsubscribe(c.key, id);
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      product: 'reserved_instance',
      type: 'unsubscribe',
      payment_status: 'refunded',
      refunded_usd: 100,
      details: { refund_usd: 100, value_usd: 200, refund_to_balance_usd: 100 },
    });
    expect(o.line_items).toHaveLength(2);
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      config: { status: 'active', configuration: 'old' },
    });
    expect(o.line_items[1]).toMatchObject({
      instance_id: id,
      config: { status: 'unsubscribed', refund_usd: 100, configuration: 'new' },
      previous_config: { status: 'active', value_usd: 200 },
    });
    expect(await balanceOf(h, c.key)).toBe(100);
    expect((await coupon(c.key, id)).status).toBe('unsubscribed');
    const paying = (await h.call('GET', `/v1/orders/${bought.id}`, { key: c.key })).json();
    expect(paying).toMatchObject({ payment_status: 'partially_refunded', refunded_usd: 100 });

    const again = await unsubscribe(c.key, id);
    expect(again.statusCode, again.body).toBe(409);
    expect(errorCode(again)).toBe('invalid_state');
    const adj = await h.call('POST', '/v1/reserved-instances/adjust', {
      key: c.key,
      body: { sources: [id], targets: [{ spec: 's1.small', count: 1 }] },
    });
    expect(adj.statusCode, adj.body).toBe(409);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a card-paid coupon refunds to the card', async () => {
    const c = await customerWithCard(h, { kyc: true });
    const bought = await buy(c.key, 's1.small', 1);
    const id = bought.details.reserved_instance_id as string;
    await toHalfTerm(c.key, id);
    const res = await unsubscribe(c.key, id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().details).toMatchObject({ refund_to_card_usd: 100, refund_to_balance_usd: 0 });
    expect((await cardCharges(h, c.id)).map((x) => [x.amount_cents, x.refunded_cents])).toEqual([
      [20000, 10000],
    ]);
    expect(await balanceOf(h, c.key)).toBe(0);
  });

  it('an adjusted coupon refunds its allocated value from the purchase it came from', async () => {
    const c = await h.customer({ balanceUsd: 400, kyc: true });
    const bought = await buy(c.key, 's1.medium', 1);
    const source = bought.details.reserved_instance_id as string;
    const adj = await h.call('POST', '/v1/reserved-instances/adjust', {
      key: c.key,
      body: { sources: [source], targets: [{ spec: 's1.small', count: 2 }] },
    });
    expect(adj.statusCode, adj.body).toBe(200);
    const target = adj.json().targets[0];
    expect(target.value_usd).toBe(400);
    await toHalfTerm(c.key, target.id);
    const res = await unsubscribe(c.key, target.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ refunded_usd: 200, details: { refunds: [{ order_id: bought.id }] } });
    expect(await balanceOf(h, c.key)).toBe(200);
    // the adjusted source itself is no longer active
    expect((await unsubscribe(c.key, source)).statusCode).toBe(409);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('another account’s coupon is 404 (dry run too); an unknown id is 404', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const other = await h.customer({ balanceUsd: 10, kyc: true });
    const id = (await buy(c.key, 's1.small', 1)).details.reserved_instance_id as string;
    for (const body of [{}, { dry_run: true }]) {
      const r = await unsubscribe(other.key, id, body);
      expect(r.statusCode, r.body).toBe(404);
      expect(errorCode(r)).toBe('not_found');
    }
    expect((await unsubscribe(c.key, 'ri_00000000000000000000000000')).statusCode).toBe(404);
    const bad = await unsubscribe(c.key, id, { dry_run: 'yes' });
    expect(bad.statusCode, bad.body).toBe(400);
    expect((await coupon(c.key, id)).status).toBe('active');
    expect(await balanceOf(h, other.key)).toBe(10);
  });

  it('three unsubscribes of one coupon at once: one refund', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const id = (await buy(c.key, 's1.small', 1)).details.reserved_instance_id as string;
    await toHalfTerm(c.key, id);
    const res = await Promise.all([0, 1, 2].map(() => unsubscribe(c.key, id)));
    expect(res.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
