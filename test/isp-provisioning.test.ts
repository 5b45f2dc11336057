/**
 * ISP provisioning as a durable job (SPEC §6): after the provisioner's delay the
 * batch is `ready`, the order `completed` and the "batch ready" mail queued and sent; a crash or a
 * restart mid-way resumes and completes once; a failed provisioning fails the order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionIspBatch } from '../src/app/isp/provision-isp-batch.ts';
import { claimDueJobs } from '../src/db/jobs.ts';
import type { Provisioner } from '../src/gateways/provisioner.ts';
import { advanceAndRun } from '../src/jobs/advance-clock.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness, makeDeps } from './support/harness.ts';
import { addStock, availableAt, batchIps, jobsFor } from './support/isp-stock.ts';
import type { MemoryMail } from './support/memory-mail.ts';

let h: Harness;
let builtin: Provisioner;
beforeAll(async () => {
  h = await harness();
  builtin = h.deps.provisioner;
  // the mail worker runs on every clock advance, as it does every 10 s in a server
  await schedulePeriodic(h.deps, { send_mail: jobKinds.send_mail! });
});
afterAll(async () => {
  await h?.close();
});

const mail = () => h.deps.mail as MemoryMail;

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function order(key: string, body: Record<string, unknown>) {
  const res = await h.call('POST', '/v1/orders', { key, body: { product: 'isp', ...body } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function mainSubuser(key: string) {
  return (await h.call('GET', '/v1/subusers', { key }))
    .json()
    .data.find((s: { is_main: boolean }) => s.is_main);
}

async function statusEvents(orderId: string) {
  return h.db.query<{ from_state: string | null; to_state: string; cause: string }>(
    `SELECT from_state, to_state, cause FROM order_events WHERE order_id = $1 AND field = 'status' ORDER BY id`,
    [orderId],
  );
}

/** The account's mails, its KYC approval mail aside. */
async function outbox(accountId: string) {
  return h.db.query<{ kind: string; to_address: string; subject: string; body_text: string; status: string }>(
    `SELECT kind, to_address, subject, body_text, status FROM mail_outbox
     WHERE account_id = $1 AND kind NOT LIKE 'kyc\\_%' ORDER BY created_at, id`,
    [accountId],
  );
}

async function email(key: string): Promise<string> {
  return (await h.call('GET', '/v1/account', { key })).json().email;
}

/** A provisioner that fails the first `times` calls the given way, then is the built-in one. */
function flaky(times: number, how: 'throw' | 'retry' | 'failed'): Provisioner & { calls: number } {
  const p = {
    name: 'flaky',
    calls: 0,
    delaySeconds: (country: string) => builtin.delaySeconds(country),
    async provision(req: Parameters<Provisioner['provision']>[0], now: Date) {
      p.calls += 1;
      if (p.calls <= times) {
        if (how === 'throw') throw new Error('provider API unreachable');
        if (how === 'retry') return { status: 'retry' as const, reason: 'provider busy' };
        return { status: 'failed' as const, reason: 'provider refused the IPs' };
      }
      return builtin.provision(req, now);
    },
  };
  return p;
}

describe('the seed example end to end', () => {
  it('us/newyork/7922 × 20: after 10 minutes the order is completed, the batch ready with 20 ip:port:user:pass lines, and the ready mail sent', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 24 });
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const placedAt = await h.clock.now();
    const o = await order(c.key, { country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 });
    expect(o).toMatchObject({ status: 'provisioning', total_usd: 120, details: { quantity: 20 } });
    const batchId = o.details.batch_id as string;

    // not ready yet: the list is refused
    const early = await h.call('GET', `/v1/isp/batches/${batchId}/ips`, { key: c.key });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('invalid_state');

    await advance(600);

    const got = (await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json();
    expect(got).toMatchObject({ status: 'completed', payment_status: 'paid', total_usd: 120 });
    expect(await statusEvents(o.id)).toEqual([
      { from_state: null, to_state: 'provisioning', cause: expect.any(String) },
      { from_state: 'provisioning', to_state: 'completed', cause: `ISP batch ${batchId} ready` },
    ]);

    const batch = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json();
    expect(batch).toMatchObject({ id: batchId, status: 'ready', order_id: o.id, quantity: 20 });
    // the built-in provisioner's T1 delay is 120 s
    expect(batch.ready_at).toBe(new Date(placedAt.getTime() + 120_000).toISOString());

    const main = await mainSubuser(c.key);
    const list = await h.call('GET', `/v1/isp/batches/${batchId}/ips?format=plain`, { key: c.key });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toBe('text/plain; charset=utf-8');
    const lines = list.body.trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    for (const line of lines) {
      expect(line).toMatch(/^\d+\.\d+\.\d+\.\d+:8000:[^:]+:[^:]+$/);
      expect(line.endsWith(`:${main.username}:${main.password}`)).toBe(true);
    }
    expect(new Set(lines).size).toBe(20);

    const mails = await outbox(c.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      kind: 'isp_batch_ready',
      to_address: await email(c.key),
      status: 'sent',
      subject: 'Your ISP batch is ready: 20 IPs in us / newyork / AS7922',
    });
    expect(mails[0]!.body_text).toContain(`Your ISP batch ${batchId} (order ${o.id}) is ready: 20 dedicated`);
    expect(mails[0]!.body_text).not.toContain('SUBSTITUTION');
    const sent = mail().sent.filter((m) => m.subject === mails[0]!.subject && m.to === mails[0]!.to_address);
    expect(sent).toHaveLength(1);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('provisioning is durable and runs once', () => {
  it('running the provisioning again after the batch is ready changes nothing', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64600, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, { country: 'us', city: 'newyork', asn: 64600, quantity: 5 });
    await advance(120);
    expect((await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json().status).toBe('completed');
    const before = { events: await statusEvents(o.id), mails: await outbox(c.id) };

    const again = await provisionIspBatch(h.deps, { batchId: o.details.batch_id });
    expect(again).toEqual({ ok: true, value: { outcome: 'skipped', status: 'ready' } });
    // the job's handler too, as a duplicate delivery of the job would run it
    await jobKinds.provision_isp_batch!.handler(h.deps, {
      id: 0,
      kind: 'provision_isp_batch',
      payload: { batch_id: o.details.batch_id },
      runAt: await h.clock.now(),
      attempts: 1,
      maxAttempts: 25,
    });
    expect(await statusEvents(o.id)).toEqual(before.events);
    expect(await outbox(c.id)).toEqual(before.mails);
  });

  it('a provisioner that throws is retried with backoff; a fresh process resumes and completes the batch once', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64601, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, { country: 'us', city: 'newyork', asn: 64601, quantity: 5 });
    const batchId = o.details.batch_id as string;
    const p = flaky(1, 'throw');
    h.deps.provisioner = p;
    try {
      await advance(120);
    } finally {
      h.deps.provisioner = builtin;
    }
    expect(p.calls).toBe(1);
    const job = await h.db.query<{ attempts: number; last_error: string; done_at: Date | null }>(
      `SELECT attempts, last_error, done_at FROM jobs WHERE kind = 'provision_isp_batch' AND payload ->> 'batch_id' = $1`,
      [batchId],
    );
    expect(job[0]).toMatchObject({ attempts: 1, done_at: null });
    expect(job[0]!.last_error).toContain('provider API unreachable');
    expect((await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json().status).toBe(
      'provisioning',
    );

    // the process "crashed"; another one, on the same database, picks the job up after its backoff
    const { deps: restarted, clock } = await makeDeps(h.db);
    await advanceAndRun(restarted, clock, 10);
    expect((await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json().status).toBe('ready');
    const events = await statusEvents(o.id);
    expect(events.filter((e) => e.to_state === 'completed')).toHaveLength(1);
    expect((await outbox(c.id)).filter((m) => m.kind === 'isp_batch_ready')).toHaveLength(1);
    expect((await jobsFor(h.db, 'provision_isp_batch', { batch_id: batchId }))[0]!.done_at).not.toBeNull();
  });

  it('a worker that died holding the job: once its lease runs out another one completes the batch once', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64602, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, { country: 'us', city: 'newyork', asn: 64602, quantity: 5 });
    const batchId = o.details.batch_id as string;
    await h.clock.advance(120);
    // a worker claims the due job (lease 300 s) and dies before running it
    const now = await h.clock.now();
    const claimed = await h.db.tx((q) =>
      claimDueJobs(q, now, new Date(now.getTime() + 300_000), 50, 'dead-worker'),
    );
    expect(claimed.some((j) => j.payload.batch_id === batchId)).toBe(true);
    await advance(299);
    expect((await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json().status).toBe(
      'provisioning',
    );
    await advance(2);
    expect((await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json().status).toBe('ready');
    expect((await statusEvents(o.id)).filter((e) => e.to_state === 'completed')).toHaveLength(1);
    expect((await outbox(c.id)).filter((m) => m.kind === 'isp_batch_ready')).toHaveLength(1);
  });

  it('a provisioner that asks to retry keeps the batch provisioning until it is done', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64603, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, { country: 'us', city: 'newyork', asn: 64603, quantity: 5 });
    const p = flaky(2, 'retry');
    h.deps.provisioner = p;
    try {
      await advance(120);
      expect((await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json().status).toBe('provisioning');
      // backoff: 5 s after the first attempt, 10 s after the second
      await advance(15);
    } finally {
      h.deps.provisioner = builtin;
    }
    expect(p.calls).toBe(3);
    expect((await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json().status).toBe('completed');
  });

  it('a long-tail batch (br) is still provisioning after 10 minutes and ready after the 6 h delay', async () => {
    await addStock(h.db, { country: 'br', city: 'saopaulo', asn: 64604, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, { country: 'br', quantity: 5 });
    await advance(600);
    expect((await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json().status).toBe('provisioning');
    await advance(6 * 3600 - 600);
    expect((await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json().status).toBe('completed');
    const mails = await outbox(c.id);
    expect(mails[0]).toMatchObject({ subject: 'Your ISP batch is ready: 5 IPs in br' });
  });
});

describe('provisioning failure', () => {
  it('a provisioner that gives up fails the order (with the reason), releases the batch and returns its IPs to stock', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64605, count: 5 });
    // someone watches that place: the minimum is met at once (one mail, disarmed)
    const watcher = await h.customer();
    const alert = await h.call('POST', '/v1/alerts', {
      key: watcher.key,
      body: { country: 'us', city: 'newyork', asn: 64605, minimum: 5 },
    });
    expect(alert.json()).toMatchObject({ armed: false, available: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, { country: 'us', city: 'newyork', asn: 64605, quantity: 5 });
    const batchId = o.details.batch_id as string;
    expect(await availableAt(h.db, { country: 'us', city: 'newyork', asn: 64605 })).toBe(0);
    h.deps.provisioner = flaky(1, 'failed');
    try {
      await advance(120);
    } finally {
      h.deps.provisioner = builtin;
    }
    const got = (await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json();
    expect(got).toMatchObject({ status: 'failed', payment_status: 'paid' });
    expect((await statusEvents(o.id)).at(-1)).toEqual({
      from_state: 'provisioning',
      to_state: 'failed',
      cause: `provisioning of ${batchId} failed: provider refused the IPs`,
    });
    const batch = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json();
    expect(batch.status).toBe('released');
    expect(await batchIps(h.db, batchId)).toEqual([]);
    expect(await availableAt(h.db, { country: 'us', city: 'newyork', asn: 64605 })).toBe(5);
    expect(await outbox(c.id)).toEqual([]);
    // the stock dipped to 0 and came back to 5: the alert re-armed and fired again
    expect((await outbox(watcher.id)).filter((m) => m.kind === 'stock_alert')).toHaveLength(2);
    // the job is done: nothing runs again
    expect((await jobsFor(h.db, 'provision_isp_batch', { batch_id: batchId }))[0]!.done_at).not.toBeNull();
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('the ready mail flags a substitution', () => {
  it('a batch delivered from another ASN of the same city says so in the subject and the body', async () => {
    await addStock(h.db, { country: 'us', city: 'chicago', asn: 64607, count: 6 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, {
      country: 'us',
      city: 'chicago',
      asn: 64606,
      quantity: 5,
      on_shortage: 'substitute',
    });
    expect(o.details.substitution).toBeTruthy();
    await advance(120);
    const batch = (await h.call('GET', `/v1/isp/batches/${o.details.batch_id}`, { key: c.key })).json();
    expect(batch).toMatchObject({ status: 'ready', substitution: expect.objectContaining({}) });
    const [m] = await outbox(c.id);
    expect(m!.subject).toMatch(/^\[Substituted\] Your ISP batch is ready: 5 IPs in us \/ chicago/);
    expect(m!.body_text).toContain('SUBSTITUTION');
    expect(m!.body_text).toContain('requested: us / chicago / AS64606');
    expect(m!.body_text).toContain('delivered: us / chicago / AS64607');
    expect(m!.body_text).toContain('another carrier (ASN) in the same city');
  });
});
