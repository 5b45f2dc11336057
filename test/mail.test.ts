/**
 * The mail outbox and its worker (SPEC §9), against a real SMTP server started in
 * the test: mail is sent once, survives a restart between enqueue and send, is retried with
 * backoff while the server is down, and a resend after a lost "sent" mark carries the same
 * Message-ID so receivers can drop the copy (delivery is at least once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAIL_BATCH,
  MAIL_MAX_ATTEMPTS,
  mailBackoffSeconds,
  sendDueMail,
} from '../src/app/notifications/send-due-mail.ts';
import { enqueueMail } from '../src/db/mail-outbox.ts';
import type { MailTransport } from '../src/gateways/mail-transport.ts';
import { SMTP_CONNECTIONS, smtpMailTransport } from '../src/gateways/smtp-mail.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness, makeDeps } from './support/harness.ts';
import { type SmtpSink, smtpSink } from './support/smtp-sink.ts';

let h: Harness;
let sink: SmtpSink;
let live: MailTransport;
let dead: MailTransport;

beforeAll(async () => {
  h = await harness();
  sink = await smtpSink();
  // a port with nothing listening: start a server, note its port, stop it
  const gone = await smtpSink();
  await gone.close();
  live = smtpMailTransport(sink.url, h.deps.config.mailFrom);
  dead = smtpMailTransport(gone.url, h.deps.config.mailFrom);
  h.deps.mail = live;
});
afterAll(async () => {
  await live?.close?.();
  await dead?.close?.();
  await sink?.close();
  await h?.close();
});

let n = 0;
async function queue(opts: { to?: string; subject?: string } = {}): Promise<{ id: string; subject: string }> {
  n += 1;
  const id = h.deps.ids.next('mail');
  const subject = opts.subject ?? `Test mail ${n} ${id}`;
  await enqueueMail(h.db, {
    id,
    accountId: null,
    to: opts.to ?? `customer${n}@example.com`,
    kind: 'test',
    subject,
    bodyText: `Hello, this is mail ${n}.`,
    at: await h.clock.now(),
  });
  return { id, subject };
}

async function row(id: string) {
  const rows = await h.db.query<{
    status: string;
    attempts: number;
    message_id: string | null;
    next_attempt_at: Date;
    last_error: string | null;
    sent_at: Date | null;
  }>(
    'SELECT status, attempts, message_id, next_attempt_at, last_error, sent_at FROM mail_outbox WHERE id = $1',
    [id],
  );
  return rows[0]!;
}

const received = (subject: string) => sink.received.filter((m) => m.headers.subject === subject);

describe('sending the outbox over SMTP', () => {
  it('the send_mail job sends a queued mail to its recipient, with a Message-ID made from its outbox id', async () => {
    await schedulePeriodic(h.deps, { send_mail: jobKinds.send_mail! });
    const m = await queue({ to: 'alice@example.com' });
    const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 10 } });
    expect(res.statusCode).toBe(200);
    const got = received(m.subject);
    expect(got).toHaveLength(1);
    expect(got[0]!.to).toEqual(['alice@example.com']);
    expect(got[0]!.from).toBe('no-reply@orderdesk.local');
    expect(got[0]!.headers['message-id']).toBe(`<${m.id}@orderdesk.local>`);
    expect(got[0]!.raw).toContain('Hello, this is mail');
    const r = await row(m.id);
    expect(r).toMatchObject({ status: 'sent', attempts: 1, message_id: `<${m.id}@orderdesk.local>` });
    expect(r.sent_at).not.toBeNull();
  });

  it('a restart between enqueue and send loses nothing and sends nothing twice', async () => {
    const m = await queue();
    // the process that queued it is gone; a new one, with its own deps on the same database
    const { deps: restarted } = await makeDeps(h.db);
    restarted.mail = live;
    expect(await sendDueMail(restarted)).toMatchObject({ sent: 1, retried: 0, failed: 0 });
    await sendDueMail(restarted);
    await sendDueMail(h.deps);
    expect(received(m.subject)).toHaveLength(1);
    expect((await row(m.id)).status).toBe('sent');
  });

  it('a mail whose "sent" mark was lost is sent again with the same Message-ID (at least once)', async () => {
    const m = await queue();
    await sendDueMail(h.deps);
    expect(received(m.subject)).toHaveLength(1);
    // the worker died after the server took the mail, before the row said so: its lock runs out
    const now = await h.clock.now();
    await h.db.query(
      `UPDATE mail_outbox SET status = 'sending', locked_until = $2, sent_at = NULL, message_id = NULL WHERE id = $1`,
      [m.id, new Date(now.getTime() - 1000)],
    );
    await sendDueMail(h.deps);
    const got = received(m.subject);
    expect(got).toHaveLength(2);
    expect(got[1]!.headers['message-id']).toBe(got[0]!.headers['message-id']);
    expect(await row(m.id)).toMatchObject({
      status: 'sent',
      attempts: 2,
      message_id: `<${m.id}@orderdesk.local>`,
    });
  });

  it('a mail another worker is sending (its lock still holds) is not sent again until the lock runs out', async () => {
    const m = await queue();
    const now = await h.clock.now();
    await h.db.query(
      `UPDATE mail_outbox SET status = 'sending', locked_until = $2, attempts = 1 WHERE id = $1`,
      [m.id, new Date(now.getTime() + 300_000)],
    );
    await sendDueMail(h.deps);
    expect(received(m.subject)).toHaveLength(0);
    await h.clock.advance(301);
    await sendDueMail(h.deps);
    expect(received(m.subject)).toHaveLength(1);
    expect(await row(m.id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('two workers at once send each mail exactly once (FOR UPDATE SKIP LOCKED)', async () => {
    const mails = [];
    for (let i = 0; i < 25; i++) mails.push(await queue());
    const { deps: other } = await makeDeps(h.db);
    other.mail = live;
    const [a, b] = await Promise.all([sendDueMail(h.deps), sendDueMail(other)]);
    expect(a.sent + b.sent).toBe(25);
    for (const m of mails) expect(received(m.subject)).toHaveLength(1);
  });
});

describe('a busy outbox', () => {
  it('one run sends every due mail, batch after batch side by side, over at most SMTP_CONNECTIONS reused connections', async () => {
    // more than one batch and more than a run used to send (200)
    const mails = [];
    for (let i = 0; i < 260; i++) mails.push(await queue());
    const before = sink.connections();
    expect(await sendDueMail(h.deps)).toEqual({ sent: 260, retried: 0, failed: 0 });
    for (const m of mails) expect(received(m.subject)).toHaveLength(1);
    expect(sink.connections() - before).toBeLessThanOrEqual(SMTP_CONNECTIONS);
    for (const m of [mails[0]!, mails[259]!])
      expect(await row(m.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a run stops claiming at its time budget, between batches; the next run sends the rest', async () => {
    const mails = [];
    for (let i = 0; i < MAIL_BATCH + 10; i++) mails.push(await queue());
    // the wall clock of the run: 0 when it starts, past the budget once the first batch is sent
    let reads = 0;
    const wallNow = () => (reads++ === 0 ? 0 : 1_000);
    expect(await sendDueMail(h.deps, { budgetMs: 500, wallNow })).toEqual({
      sent: MAIL_BATCH,
      retried: 0,
      failed: 0,
    });
    const sentNow = mails.filter((m) => received(m.subject).length === 1);
    expect(sentNow).toHaveLength(MAIL_BATCH);
    expect(await sendDueMail(h.deps)).toEqual({ sent: 10, retried: 0, failed: 0 });
    for (const m of mails) expect(received(m.subject)).toHaveLength(1);
  });
});

describe('failures', () => {
  it('SMTP server down: the mail stays queued, is retried after 60 s then 120 s, and is sent once it is back', async () => {
    h.deps.mail = dead;
    try {
      const m = await queue();
      const t0 = await h.clock.now();
      expect(await sendDueMail(h.deps)).toMatchObject({ sent: 0, retried: 1, failed: 0 });
      let r = await row(m.id);
      expect(r).toMatchObject({ status: 'pending', attempts: 1 });
      expect(r.last_error).toBeTruthy();
      expect(r.next_attempt_at.getTime()).toBe(t0.getTime() + 60_000);

      // not due yet: nothing happens
      await h.clock.advance(59);
      await sendDueMail(h.deps);
      expect((await row(m.id)).attempts).toBe(1);

      await h.clock.advance(1);
      await sendDueMail(h.deps);
      r = await row(m.id);
      expect(r).toMatchObject({ status: 'pending', attempts: 2 });
      expect(r.next_attempt_at.getTime()).toBe(t0.getTime() + 60_000 + 120_000);

      h.deps.mail = live;
      await h.clock.advance(120);
      await sendDueMail(h.deps);
      expect(received(m.subject)).toHaveLength(1);
      expect(await row(m.id)).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    } finally {
      h.deps.mail = live;
    }
  });

  it('a permanent refusal (550) fails the mail at once with the reason', async () => {
    sink.reject.add('nobody@example.com');
    const m = await queue({ to: 'nobody@example.com' });
    expect(await sendDueMail(h.deps)).toMatchObject({ failed: 1 });
    const r = await row(m.id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    expect(r.last_error).toContain('550');
    expect(received(m.subject)).toHaveLength(0);
  });

  it(`after ${MAIL_MAX_ATTEMPTS} attempts the mail is failed, not retried forever`, async () => {
    h.deps.mail = dead;
    try {
      const m = await queue();
      await h.db.query('UPDATE mail_outbox SET attempts = $2 WHERE id = $1', [m.id, MAIL_MAX_ATTEMPTS - 1]);
      expect(await sendDueMail(h.deps)).toMatchObject({ failed: 1 });
      expect(await row(m.id)).toMatchObject({ status: 'failed', attempts: MAIL_MAX_ATTEMPTS });
      await h.clock.advance(7 * 24 * 3600);
      await sendDueMail(h.deps);
      expect((await row(m.id)).attempts).toBe(MAIL_MAX_ATTEMPTS);
    } finally {
      h.deps.mail = live;
    }
  });

  it('backoff doubles from 1 minute and stops growing at 6 hours: about 3 days of attempts in all', () => {
    expect([1, 2, 3, 9, 10, 20].map(mailBackoffSeconds)).toEqual([60, 120, 240, 15_360, 21_600, 21_600]);
    let total = 0;
    for (let a = 1; a < MAIL_MAX_ATTEMPTS; a++) total += mailBackoffSeconds(a);
    expect(total / 86_400).toBeGreaterThan(2.8);
    expect(total / 86_400).toBeLessThan(3.2);
  });
});
