/**
 * The test clock runs every job at its own moment however far one advance goes (SPEC §12, issue
 * 12): over the seed's one-month ISP batch, one 35-day advance and thirty-five 1-day advances give
 * the same mails (both reminders, the expiry), the same batch states (expired in
 * its grace, then released) and the same ledger. The long advance runs each at its exact moment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';

const DAY = 86_400;
const DAY_MS = DAY * 1000;
const HOUR_MS = 3_600_000;
const SEED = { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 };

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) await h.close();
  open = [];
});

interface Story {
  expiresAt: Date;
  mails: { kind: string; subject: string; at: Date }[];
  ledger: { amount: number; cause: string }[];
  finalStatus: string;
  releasedAt: Date | null;
}

/** A fresh system with the seed batch, moved 35 days on in `steps` advances. */
async function live(steps: number): Promise<Story> {
  const h = await harness();
  open.push(h);
  await schedulePeriodic(h.deps, {
    isp_expiry_sweep: jobKinds.isp_expiry_sweep!,
    serve_isp_wait_queue: jobKinds.serve_isp_wait_queue!,
  });
  const c = await h.customer({ balanceUsd: 500, kyc: true });
  await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
  const res = await h.call('POST', '/v1/orders', { key: c.key, body: SEED });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().total_usd).toBe(120);
  const batchId = res.json().details.batch_id as string;
  const advance = async (seconds: number) => {
    const r = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
    expect(r.statusCode, r.body).toBe(200);
  };
  await advance(600);
  const ready = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key })).json();
  expect(ready.status).toBe('ready');
  for (let i = 0; i < steps; i++) await advance((35 * DAY) / steps);

  const batch = await h.db.query<{ status: string; expires_at: Date; released_at: Date | null }>(
    'SELECT status, expires_at, released_at FROM isp_batches WHERE id = $1',
    [batchId],
  );
  const mails = await h.db.query<{ kind: string; subject: string; created_at: Date }>(
    'SELECT kind, subject, created_at FROM mail_outbox WHERE account_id = $1 ORDER BY created_at, id',
    [c.id],
  );
  const ledger = await h.db.query<{ amount: number; cause: string }>(
    'SELECT amount, cause FROM ledger_entries WHERE account_id = $1 ORDER BY created_at, id',
    [c.id],
  );
  return {
    expiresAt: batch[0]!.expires_at,
    mails: mails.map((m) => ({ kind: m.kind, subject: m.subject, at: m.created_at })),
    ledger: ledger.map((l) => ({ amount: Number(l.amount), cause: l.cause })),
    finalStatus: batch[0]!.status,
    releasedAt: batch[0]!.released_at,
  };
}

/** The mails as kind and subject, the batch's id (a new one in each system) written as bat_… */
const kinds = (s: Story) => s.mails.map((m) => `${m.kind}: ${m.subject.replace(/bat_\w+/, 'bat_…')}`);

describe('one long advance does what many short ones do', () => {
  it('35 days in one advance and in 35 one-day advances: same mails, states and ledger', async () => {
    const long = await live(1);
    const daily = await live(35);

    // the story of the batch: both reminders, the expiry, then back to stock after the grace
    const lifecycle = kinds(long).filter((k) => k.startsWith('isp_'));
    expect(lifecycle.map((k) => k.split(':')[0])).toEqual([
      'isp_batch_ready',
      'isp_expiry_reminder_7d',
      'isp_expiry_reminder_1d',
      'isp_batch_expired',
    ]);
    expect(kinds(daily)).toEqual(kinds(long));
    expect(daily.ledger).toEqual(long.ledger);
    expect(long.ledger.filter((l) => l.cause === 'order').map((l) => l.amount)).toEqual([-12000]);
    expect(long.finalStatus).toBe('released');
    expect(daily.finalStatus).toBe('released');

    // the long advance ran each at its exact moment: 7 days and 1 day before, at the expiry,
    // and the release at the end of the 72-hour grace
    const at = (kind: string) => long.mails.find((m) => m.kind === kind)?.at.toISOString();
    const e = long.expiresAt.getTime();
    expect(at('isp_expiry_reminder_7d')).toBe(new Date(e - 7 * DAY_MS).toISOString());
    expect(at('isp_expiry_reminder_1d')).toBe(new Date(e - DAY_MS).toISOString());
    expect(at('isp_batch_expired')).toBe(new Date(e).toISOString());
    expect(long.releasedAt?.toISOString()).toBe(new Date(e + 72 * HOUR_MS).toISOString());
    // the daily advances did each on the first day boundary at or after its moment
    const dailyAt = (kind: string) => daily.mails.find((m) => m.kind === kind)!.at.getTime();
    for (const [kind, moment] of [
      ['isp_expiry_reminder_7d', e - 7 * DAY_MS],
      ['isp_expiry_reminder_1d', e - DAY_MS],
      ['isp_batch_expired', e],
    ] as const) {
      expect(dailyAt(kind) - moment).toBeGreaterThanOrEqual(0);
      expect(dailyAt(kind) - moment).toBeLessThan(DAY_MS);
    }
  });
});
