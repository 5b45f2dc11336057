/**
 * Stock alerts (SPEC §6, Settings → Alerts): a customer watches country/city/ASN with a minimum;
 * the alert fires once (a mail in the outbox) when available stock reaches the minimum, and
 * re-arms when the stock drops below it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateStockAlerts } from '../src/app/inventory/evaluate-stock-alerts.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

let next = 0;
/** n fresh IPs (198.18.0.0/15, the benchmarking range) in one place, through the admin import. */
async function stock(n: number, country: string, city: string, asn: number) {
  const ips = Array.from({ length: n }, () => {
    next += 1;
    return {
      ip: `198.${18 + (next >> 16)}.${(next >> 8) & 255}.${next & 255}`,
      port: 3128,
      country,
      city,
      asn,
    };
  });
  const res = await h.call('POST', '/admin/v1/inventory/import', { admin: true, body: { ips } });
  expect(res.statusCode).toBe(200);
  expect(res.json().imported).toBe(n);
}

/** Takes n available IPs of a place out of stock, as an order would, without evaluating alerts. */
async function consume(n: number, country: string, city: string, asn: number) {
  await h.db.query(
    `UPDATE isp_ips SET status = 'allocated', batch_id = 'bat_test'
     WHERE id IN (SELECT id FROM isp_ips WHERE status = 'available' AND country = $1 AND city = $2 AND asn = $3
                  ORDER BY id LIMIT $4)`,
    [country, city, asn, n],
  );
}

async function mails(accountId: string) {
  return h.db.query<{
    to_address: string;
    kind: string;
    subject: string;
    body_text: string;
    status: string;
    next_attempt_at: Date;
  }>(
    `SELECT to_address, kind, subject, body_text, status, next_attempt_at FROM mail_outbox
     WHERE account_id = $1 ORDER BY created_at, id`,
    [accountId],
  );
}

async function createAlert(key: string, body: Record<string, unknown>) {
  const res = await h.call('POST', '/v1/alerts', { key, body });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function getAlert(key: string, id: string) {
  const res = await h.call('GET', `/v1/alerts/${id}`, { key });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('stock alerts (SPEC §6)', () => {
  it('POST /v1/alerts creates an armed alert showing the stock of its place now', async () => {
    const c = await h.customer();
    const a = await createAlert(c.key, { country: 'us', city: 'newyork', asn: 7922, minimum: 10 });
    expect(a.id).toMatch(/^alr_[0-9A-Z]{26}$/);
    expect(a).toMatchObject({
      object: 'stock_alert',
      country: 'us',
      city: 'newyork',
      asn: 7922,
      minimum: 10,
      armed: true,
      available: 0,
      last_fired_at: null,
    });
    expect(await getAlert(c.key, a.id)).toEqual(a);
  });

  it('fires once when stock reaches the minimum, re-arms when it drops below, then fires again', async () => {
    const c = await h.customer({ email: 'watcher@example.com' });
    const a = await createAlert(c.key, { country: 'us', city: 'chicago', asn: 7018, minimum: 10 });

    await stock(9, 'us', 'chicago', 7018);
    expect(await mails(c.id)).toEqual([]);
    expect(await getAlert(c.key, a.id)).toMatchObject({ armed: true, available: 9 });

    await stock(1, 'us', 'chicago', 7018);
    const now = await h.clock.now();
    const [first, ...none] = await mails(c.id);
    expect(none).toEqual([]);
    expect(first).toMatchObject({
      to_address: 'watcher@example.com',
      kind: 'stock_alert',
      status: 'pending',
    });
    expect(first!.next_attempt_at.getTime()).toBe(now.getTime());
    expect(first!.subject).toBe('Stock alert: 10 ISP IPs available in us / chicago / AS7018');
    expect(first!.body_text).toContain(a.id);
    expect(await getAlert(c.key, a.id)).toMatchObject({
      armed: false,
      available: 10,
      last_fired_at: now.toISOString(),
    });

    // more stock while disarmed: no second mail
    await stock(5, 'us', 'chicago', 7018);
    expect(await mails(c.id)).toHaveLength(1);

    // stock taken below the minimum; the taking path evaluates → the alert re-arms
    await consume(8, 'us', 'chicago', 7018);
    await h.db.tx((q) => evaluateStockAlerts(q, h.deps, ['us'], now));
    expect(await getAlert(c.key, a.id)).toMatchObject({ armed: true, available: 7 });
    expect(await mails(c.id)).toHaveLength(1);

    await h.clock.advance(60);
    await stock(3, 'us', 'chicago', 7018);
    expect(await mails(c.id)).toHaveLength(2);
    expect(await getAlert(c.key, a.id)).toMatchObject({ armed: false, available: 10 });
  });

  it('stock that dropped below the minimum unseen and came back with an import still fires again', async () => {
    const c = await h.customer();
    const a = await createAlert(c.key, { country: 'us', city: 'houston', minimum: 5 });
    await stock(5, 'us', 'houston', 7922);
    expect(await mails(c.id)).toHaveLength(1);
    await consume(4, 'us', 'houston', 7922); // nobody evaluated: still disarmed
    expect(await getAlert(c.key, a.id)).toMatchObject({ armed: false, available: 1 });
    await stock(4, 'us', 'houston', 22773); // another ASN of the city counts for a city-wide alert
    expect(await mails(c.id)).toHaveLength(2);
    expect(await getAlert(c.key, a.id)).toMatchObject({ armed: false, available: 5 });
  });

  it('race: 10 concurrent imports reaching the minimum send exactly one mail', async () => {
    const c = await h.customer();
    await createAlert(c.key, { country: 'us', city: 'atlanta', asn: 7922, minimum: 3 });
    await Promise.all(Array.from({ length: 10 }, () => stock(1, 'us', 'atlanta', 7922)));
    expect(await mails(c.id)).toHaveLength(1);
  });

  it('an alert whose minimum is already met fires at creation, once', async () => {
    await stock(6, 'gb', 'manchester', 2856);
    const c = await h.customer();
    const a = await createAlert(c.key, { country: 'gb', city: 'manchester', minimum: 6 });
    expect(a).toMatchObject({ armed: false, available: 6 });
    expect(a.last_fired_at).not.toBeNull();
    expect(await mails(c.id)).toHaveLength(1);
    await stock(1, 'gb', 'manchester', 2856);
    expect(await mails(c.id)).toHaveLength(1);
  });

  it('stock of another place, ASN or country does not fire an alert', async () => {
    const c = await h.customer();
    await createAlert(c.key, { country: 'de', city: 'berlin', asn: 3320, minimum: 1 });
    await stock(3, 'de', 'berlin', 6805);
    await stock(3, 'de', 'munich', 3320);
    await stock(3, 'fr', 'paris', 3320);
    expect(await mails(c.id)).toEqual([]);
    await stock(1, 'de', 'berlin', 3320);
    expect(await mails(c.id)).toHaveLength(1);
  });

  it.each([
    [{ country: 'xx', minimum: 5 }, 'country'],
    [{ country: 'us', city: 'New York', minimum: 5 }, 'city'],
    [{ country: 'us', asn: 0, minimum: 5 }, 'asn'],
    [{ country: 'us', minimum: 0 }, 'minimum'],
    [{ country: 'us', minimum: 2.5 }, 'minimum'],
    [{ country: 'us' }, 'minimum'],
    [{ country: 'us', minimum: 5, colour: 'red' }, 'colour'],
  ])('POST /v1/alerts %j is 400 invalid_request (param %s)', async (body, param) => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/alerts', { key: c.key, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param });
  });

  it('GET /v1/alerts lists live alerts newest first with a cursor', async () => {
    const c = await h.customer();
    const ids: string[] = [];
    for (const city of ['boston', 'denver', 'miami']) {
      ids.push((await createAlert(c.key, { country: 'us', city, minimum: 50 })).id);
    }
    const first = (await h.call('GET', '/v1/alerts?limit=2', { key: c.key })).json();
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data.map((a: { id: string }) => a.id)).toEqual([ids[2], ids[1]]);
    const rest = (await h.call('GET', `/v1/alerts?limit=2&starting_after=${ids[1]}`, { key: c.key })).json();
    expect(rest).toMatchObject({ has_more: false });
    expect(rest.data.map((a: { id: string }) => a.id)).toEqual([ids[0]]);
  });

  it('DELETE /v1/alerts/{id} removes it: gone from the list, 404 after, never fires', async () => {
    const c = await h.customer();
    const a = await createAlert(c.key, { country: 'us', city: 'seattle', minimum: 1 });
    const del = await h.call('DELETE', `/v1/alerts/${a.id}`, { key: c.key });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ id: a.id, object: 'stock_alert', deleted: true });
    expect((await h.call('GET', `/v1/alerts/${a.id}`, { key: c.key })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/v1/alerts/${a.id}`, { key: c.key })).statusCode).toBe(404);
    expect((await h.call('GET', '/v1/alerts', { key: c.key })).json().data).toEqual([]);
    await stock(2, 'us', 'seattle', 7922);
    expect(await mails(c.id)).toEqual([]);
    // kept for the record
    const [row] = await h.db.query<{ deleted_at: Date | null }>(
      'SELECT deleted_at FROM stock_alerts WHERE id = $1',
      [a.id],
    );
    expect(row!.deleted_at).not.toBeNull();
  });

  it("another account's alert is 404 to get and to delete, and absent from its list", async () => {
    const owner = await h.customer();
    const other = await h.customer();
    const a = await createAlert(owner.key, { country: 'us', city: 'dallas', minimum: 3 });
    const get = await h.call('GET', `/v1/alerts/${a.id}`, { key: other.key });
    expect(get.statusCode).toBe(404);
    expect(get.json().error.code).toBe('not_found');
    expect((await h.call('DELETE', `/v1/alerts/${a.id}`, { key: other.key })).statusCode).toBe(404);
    expect((await h.call('GET', '/v1/alerts', { key: other.key })).json().data).toEqual([]);
    expect(
      (await h.call('GET', `/v1/alerts?starting_after=${a.id}`, { key: other.key })).json().data,
    ).toEqual([]);
    expect(await getAlert(owner.key, a.id)).toMatchObject({ id: a.id, armed: true });
    expect((await h.call('GET', '/v1/alerts')).statusCode).toBe(401);
  });

  it('an Idempotency-Key replays the creation instead of making a second alert', async () => {
    const c = await h.customer();
    const body = { country: 'ca', city: 'toronto', minimum: 5 };
    const headers = { 'idempotency-key': 'alert-1' };
    const first = await h.call('POST', '/v1/alerts', { key: c.key, body, headers });
    const again = await h.call('POST', '/v1/alerts', { key: c.key, body, headers });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    expect((await h.call('GET', '/v1/alerts', { key: c.key })).json().data).toHaveLength(1);
  });
});
