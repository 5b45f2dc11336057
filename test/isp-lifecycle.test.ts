/**
 * ISP batch lifecycle, write side (SPEC §6): refresh once per billing period,
 * release back to stock with a zero `unsubscribe` order, single-IP replacement with the 14-day /
 * 10% quota and the paid `change` order beyond it, dry runs, tenant isolation, and a race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';
import { addStock, availableAt, batchIps } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const DAY = 86_400;
let asn = 65100;

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode).toBe(200);
}

/** A ready batch of `quantity` IPs at a fresh place (us/newyork/<asn>), with `spare` more in stock. */
async function readyBatch(key: string, opts: { quantity?: number; spare?: number; ready?: boolean } = {}) {
  asn += 1;
  const quantity = opts.quantity ?? 5;
  await addStock(h.db, { country: 'us', city: 'newyork', asn, count: quantity + (opts.spare ?? 0) });
  const res = await h.call('POST', '/v1/orders', {
    key,
    body: { product: 'isp', country: 'us', city: 'newyork', asn, quantity, months: 1 },
  });
  expect(res.statusCode).toBe(200);
  if (opts.ready !== false) await advance(120);
  return { batchId: res.json().details.batch_id as string, orderId: res.json().id as string, asn };
}

const liveIds = async (batchId: string) => (await batchIps(h.db, batchId)).map((r) => r.ip_id);
const replace = (key: string, ipId: string, body: Record<string, unknown> = { reason: 'blocked' }) =>
  h.call('POST', `/v1/isp/ips/${ipId}/replace`, { key, body });
const balance = async (key: string) => (await h.call('GET', '/v1/account', { key })).json().balance_usd;

describe('POST /v1/isp/batches/{id}/refresh', () => {
  it('swaps every IP for a fresh one of the same place, returns the old ones to stock, once per period', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId, asn } = await readyBatch(c.key, { spare: 5 });
    const before = await liveIds(batchId);

    const res = await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: batchId, status: 'ready', allowances: { refresh_used: true } });
    const after = await liveIds(batchId);
    expect(after).toHaveLength(5);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    for (const ip of await batchIps(h.db, batchId)) expect(ip).toMatchObject({ city: 'newyork', asn });
    expect(await availableAt(h.db, { country: 'us', city: 'newyork', asn })).toBe(5);

    const again = await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: c.key });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'refresh_limit_reached',
      resets_at: res.json().allowances.resets_at,
    });
    expect(await liveIds(batchId)).toEqual(after);
  });

  it('the refresh is available again once the billing period rolls over', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await readyBatch(c.key, { spare: 10 });
    expect((await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: c.key })).statusCode).toBe(200);
    // as if renewed: the batch runs on, and the clock moves into its second period
    await h.db.query(`UPDATE isp_batches SET expires_at = expires_at + interval '3 months' WHERE id = $1`, [
      batchId,
    ]);
    await advance(32 * DAY);
    const view = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json();
    expect(view.allowances.refresh_used).toBe(false);
    const res = await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json().allowances.refresh_used).toBe(true);
  });

  it('not enough fresh stock is 422 insufficient_inventory and nothing changes', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId, asn } = await readyBatch(c.key, { spare: 4 });
    const before = await liveIds(batchId);
    const res = await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: c.key });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'insufficient_inventory', available: 4, requested: 5 });
    expect(await liveIds(batchId)).toEqual(before);
    expect(await availableAt(h.db, { country: 'us', city: 'newyork', asn })).toBe(4);
    const view = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json();
    expect(view.allowances.refresh_used).toBe(false);
  });

  it('only a ready batch is refreshed: provisioning is 409 invalid_state', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await readyBatch(c.key, { spare: 5, ready: false });
    const res = await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: c.key });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'invalid_state', status: 'provisioning' });
  });
});

describe('DELETE /v1/isp/batches/{id}', () => {
  it('releases: IPs back to stock, an unsubscribe order with zero amounts, and a waiting order is served', async () => {
    const a = await h.customer({ balanceUsd: 100, kyc: true });
    const b = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId, asn } = await readyBatch(a.key);
    const ips = await liveIds(batchId);
    const wait = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn, quantity: 5, on_shortage: 'wait' },
    });
    expect(wait.statusCode).toBe(200);
    expect(wait.json().status).toBe('waiting_inventory');

    const res = await h.call('DELETE', `/v1/isp/batches/${batchId}`, { key: a.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: batchId, status: 'released', released_at: expect.any(String) });
    expect(await liveIds(batchId)).toEqual([]);
    expect(await h.call('GET', `/v1/isp/batches/${batchId}/ips`, { key: a.key })).toMatchObject({
      statusCode: 409,
    });

    const order = await h.call('GET', `/v1/orders/${res.json().unsubscribe_order_id}`, { key: a.key });
    expect(order.statusCode).toBe(200);
    expect(order.json()).toMatchObject({
      type: 'unsubscribe',
      product: 'isp',
      status: 'completed',
      payment_status: 'paid',
      original_usd: 0,
      total_usd: 0,
      paid_usd: 0,
      details: { batch_id: batchId, quantity: 5 },
    });
    expect(order.json().line_items[0]).toMatchObject({
      instance_id: batchId,
      payable_usd: 0,
      previous_config: { batch_id: batchId, country: 'us', city: 'newyork', asn, quantity: 5, months: 1 },
    });
    expect(await balance(a.key)).toBe(75);

    // the released IPs serve the waiting order (the queued run)
    await advance(1);
    const served = (await h.call('GET', `/v1/orders/${wait.json().id}`, { key: b.key })).json();
    expect(served.status).toBe('provisioning');
    expect((await liveIds(served.details.batch_id)).sort()).toEqual([...ips].sort());

    const again = await h.call('DELETE', `/v1/isp/batches/${batchId}`, { key: a.key });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'invalid_state', status: 'released' });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a provisioning batch can be released: its order completes and its IPs go back', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId, orderId, asn } = await readyBatch(c.key, { ready: false });
    const res = await h.call('DELETE', `/v1/isp/batches/${batchId}`, { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('released');
    expect(await availableAt(h.db, { country: 'us', city: 'newyork', asn })).toBe(5);
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: c.key })).json().status).toBe('completed');
    await advance(120);
    expect((await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json().status).toBe(
      'released',
    );
  });
});

describe('POST /v1/isp/ips/{ip_id}/replace', () => {
  it('day 13 is free and uncounted; from day 15 a batch of 20 has 2 free, then 409 replacement_quota_exceeded', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId, asn } = await readyBatch(c.key, { quantity: 20, spare: 10 });
    const ips = await liveIds(batchId);

    await advance(13 * DAY);
    const d13 = await replace(c.key, ips[0]!);
    expect(d13.statusCode).toBe(200);
    expect(d13.json()).toMatchObject({
      object: 'ip_replacement',
      batch_id: batchId,
      old_ip: { id: ips[0], country: 'us', city: 'newyork', asn },
      new_ip: { country: 'us', city: 'newyork', asn, port: 8000 },
      free: true,
      counts_toward_quota: false,
      order_id: null,
      charge_usd: 0,
      allowances: { replacements_used: 0, replacements_left: null, replacements_quota: 2 },
    });
    const newIp = d13.json().new_ip.id;
    expect(ips).not.toContain(newIp);
    expect(await liveIds(batchId)).toContain(newIp);
    expect(await liveIds(batchId)).not.toContain(ips[0]);

    await advance(2 * DAY);
    const first = await replace(c.key, ips[1]!);
    expect(first.json()).toMatchObject({
      free: true,
      counts_toward_quota: true,
      allowances: { replacements_used: 1, replacements_left: 1, unlimited_until: null },
    });
    const second = await replace(c.key, ips[2]!);
    expect(second.json()).toMatchObject({
      free: true,
      allowances: { replacements_used: 2, replacements_left: 0 },
    });
    const third = await replace(c.key, ips[3]!);
    expect(third.statusCode).toBe(409);
    const view = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json();
    expect(third.json().error).toMatchObject({
      code: 'replacement_quota_exceeded',
      quota: 2,
      used: 2,
      resets_at: view.allowances.resets_at,
    });
    expect(view.allowances).toMatchObject({ replacements_used: 2, replacements_left: 0 });
    expect(await liveIds(batchId)).toContain(ips[3]);
  });

  it('accept_charge beyond the quota places a 1.00 change order paid from the balance; dry_run only answers', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await readyBatch(c.key, { quantity: 20, spare: 10 });
    expect(await balance(c.key)).toBe(0);
    const ips = await liveIds(batchId);
    await advance(15 * DAY);
    for (const ip of ips.slice(0, 2)) expect((await replace(c.key, ip)).statusCode).toBe(200);

    const short = await replace(c.key, ips[2]!, { reason: 'slow', accept_charge: true });
    expect(short.statusCode).toBe(409);
    expect(short.json().error).toMatchObject({ code: 'insufficient_balance' });

    await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: 10, reason: 'test funds' },
    });
    const dry = await replace(c.key, ips[2]!, { reason: 'slow', accept_charge: true, dry_run: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({
      dry_run: true,
      free: false,
      charge_usd: 1,
      order_id: null,
      new_ip: null,
      id: null,
    });
    expect(await balance(c.key)).toBe(10);
    expect(await liveIds(batchId)).toContain(ips[2]);

    const paid = await replace(c.key, ips[2]!, { reason: 'slow', accept_charge: true });
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({
      free: false,
      counts_toward_quota: false,
      charge_usd: 1,
      dry_run: false,
      allowances: { replacements_used: 2, replacements_left: 0 },
    });
    expect(await balance(c.key)).toBe(9);
    const order = (await h.call('GET', `/v1/orders/${paid.json().order_id}`, { key: c.key })).json();
    expect(order).toMatchObject({
      type: 'change',
      product: 'isp',
      status: 'completed',
      payment_status: 'paid',
      original_usd: 1,
      total_usd: 1,
      paid_usd: 1,
      details: { batch_id: batchId, replaced_ip_id: ips[2] },
    });
    expect(order.line_items[0]).toMatchObject({ previous_config: { ip_id: ips[2] }, payable_usd: 1 });
    const txns = (await h.call('GET', '/v1/billing/transactions', { key: c.key })).json().data;
    expect(txns[0]).toMatchObject({ amount_usd: -1, balance_after_usd: 9, order_id: order.id });
    const rows = await h.db.query<{ free: boolean; counts_toward_quota: boolean; order_id: string | null }>(
      `SELECT free, counts_toward_quota, order_id FROM isp_replacements WHERE batch_id = $1 ORDER BY at, id`,
      [batchId],
    );
    expect(rows).toEqual([
      { free: true, counts_toward_quota: true, order_id: null },
      { free: true, counts_toward_quota: true, order_id: null },
      { free: false, counts_toward_quota: false, order_id: order.id },
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('no fresh IP at the place is 422 insufficient_inventory and nothing changes', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await readyBatch(c.key);
    const ips = await liveIds(batchId);
    const res = await replace(c.key, ips[0]!);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('insufficient_inventory');
    expect(await liveIds(batchId)).toEqual(ips);
  });

  it('an IP not live in a ready batch is 409 invalid_state; an unknown body field is 400', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const prov = await readyBatch(c.key, { spare: 2, ready: false });
    const provIp = (await liveIds(prov.batchId))[0]!;
    const r1 = await replace(c.key, provIp);
    expect(r1.statusCode).toBe(409);
    expect(r1.json().error).toMatchObject({ code: 'invalid_state', status: 'provisioning' });

    const ready = await readyBatch(c.key, { spare: 2 });
    const old = (await liveIds(ready.batchId))[0]!;
    expect((await replace(c.key, old)).statusCode).toBe(200);
    const r2 = await replace(c.key, old);
    expect(r2.statusCode).toBe(409);
    expect(r2.json().error.code).toBe('invalid_state');

    const bad = await replace(c.key, old, { reason: 'x', bogus: 1 });
    expect(bad.statusCode).toBe(400);
    expect((await replace(c.key, old, {})).statusCode).toBe(400);
  });

  it('concurrent replacements on one batch never hand out the same fresh IP twice, nor an IP the batch gave up', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await readyBatch(c.key, { quantity: 10, spare: 6 });
    const ips = await liveIds(batchId);
    const results = await Promise.all(ips.slice(0, 8).map((ip) => replace(c.key, ip)));
    const ok = results.filter((r) => r.statusCode === 200);
    const short = results.filter((r) => r.statusCode === 422);
    expect(ok).toHaveLength(6);
    expect(short).toHaveLength(2);
    const fresh = ok.map((r) => r.json().new_ip.id as string);
    expect(new Set(fresh).size).toBe(6);
    for (const id of fresh) expect(ips).not.toContain(id);
    const live = await liveIds(batchId);
    expect(live).toHaveLength(10);
    expect(new Set(live).size).toBe(10);
  });
});

describe('tenant isolation', () => {
  it('another account’s batch or IP is 404 not_found on refresh, release and replace, and nothing changes', async () => {
    const owner = await h.customer({ balanceUsd: 100, kyc: true });
    const other = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await readyBatch(owner.key, { spare: 5 });
    const ips = await liveIds(batchId);
    const refresh = await h.call('POST', `/v1/isp/batches/${batchId}/refresh`, { key: other.key });
    const release = await h.call('DELETE', `/v1/isp/batches/${batchId}`, { key: other.key });
    const repl = await replace(other.key, ips[0]!, { reason: 'x', accept_charge: true });
    for (const r of [refresh, release, repl]) {
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe('not_found');
    }
    expect((await replace(other.key, 'ip_01JZZZZZZZZZZZZZZZZZZZZZZZ')).statusCode).toBe(404);
    expect(await liveIds(batchId)).toEqual(ips);
    expect((await h.call('GET', `/v1/isp/batches/${batchId}`, { key: owner.key })).json().status).toBe(
      'ready',
    );
    expect(await balance(other.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
