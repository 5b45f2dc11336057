/**
 * Mail for what a customer cares about (SPEC §9, issue 12), sent through a real SMTP server: a
 * receipt for every paid order (its lines and amounts, where the money came from) exactly once,
 * none for an order whose payment failed; the KYC decision, with the reason of a rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueDueReceipts } from '../src/app/notifications/queue-receipts.ts';
import { sendDueMail } from '../src/app/notifications/send-due-mail.ts';
import type { MailTransport } from '../src/gateways/mail-transport.ts';
import { smtpMailTransport } from '../src/gateways/smtp-mail.ts';
import { customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { type SmtpSink, smtpSink } from './support/smtp-sink.ts';
import { issueVoucher } from './support/vouchers.ts';

let h: Harness;
let sink: SmtpSink;
let live: MailTransport;

beforeAll(async () => {
  h = await harness();
  sink = await smtpSink();
  live = smtpMailTransport(sink.url, h.deps.config.mailFrom);
  h.deps.mail = live;
});
afterAll(async () => {
  await live?.close?.();
  await sink?.close();
  await h?.close();
});

/** The text of a received message: its body, quoted-printable decoded. */
function text(raw: string): string {
  const body = raw
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n\n');
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8').replace(/\r\n/g, '\n');
}

/** Sends what is due and returns the messages delivered to `email` so far. */
async function inbox(email: string) {
  await queueDueReceipts(h.deps);
  await sendDueMail(h.deps);
  return sink.received
    .filter((m) => m.to.includes(email))
    .map((m) => ({ subject: m.headers.subject ?? '', text: text(m.raw) }));
}

async function emailOf(accountId: string): Promise<string> {
  const rows = await h.db.query<{ email: string }>('SELECT email FROM accounts WHERE id = $1', [accountId]);
  return rows[0]!.email;
}

describe('receipts', () => {
  it('50 GB residential paid from the balance: one receipt with the line, 225.00 and its source', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json().id as string;
    const mails = await inbox(await emailOf(c.id));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`Receipt for order ${id}: 225.00 USD paid`);
    expect(mails[0]!.text).toContain(`Order ${id} (residential, new) is paid.`);
    expect(mails[0]!.text).toContain('1. residential × 50: 225.00 USD');
    expect(mails[0]!.text).toContain('Paid: 225.00 USD');
    expect(mails[0]!.text).toContain('Paid from: balance 225.00');
  });

  it('a voucher and a card: the line shows the voucher, the receipt where each part came from', async () => {
    const c = await customerWithCard(h);
    const vch = await issueVoucher(h, c.id, 25);
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50, vouchers: [vch] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [mail] = await inbox(await emailOf(c.id));
    expect(mail!.subject).toBe(`Receipt for order ${res.json().id}: 200.00 USD paid`);
    expect(mail!.text).toContain('225.00 − discount 0.00 − voucher 25.00 = 200.00 USD');
    expect(mail!.text).toContain('Vouchers: 25.00 USD');
    expect(mail!.text).toContain('Paid from: vouchers 25.00, card 200.00, balance 0.00');
  });

  it('a declined card: no order paid, no receipt', async () => {
    const c = await customerWithCard(h, { card: '4000000000000002' });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode).toBe(409);
    expect(await inbox(await emailOf(c.id))).toEqual([]);
  });

  it('an order placed to pay later gets its receipt when it is paid, not before', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const email = await emailOf(c.id);
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50, pay: 'later' },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    expect(placed.json().payment_status).toBe('pending_payment');
    expect(await inbox(email)).toEqual([]);
    const paid = await h.call('POST', `/v1/orders/${placed.json().id}/pay`, { key: c.key });
    expect(paid.statusCode, paid.body).toBe(200);
    const mails = await inbox(email);
    expect(mails.map((m) => m.subject)).toEqual([`Receipt for order ${placed.json().id}: 225.00 USD paid`]);
  });
});

describe('receipts exactly once', () => {
  it('two runs at once and a run again queue each paid order’s receipt once', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const ids: string[] = [];
    for (const gb of [10, 20, 30]) {
      const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb } });
      expect(res.statusCode, res.body).toBe(200);
      ids.push(res.json().id);
    }
    await Promise.all([queueDueReceipts(h.deps), queueDueReceipts(h.deps)]);
    expect(await queueDueReceipts(h.deps)).toBe(0);
    const rows = await h.db.query<{ subject: string }>(
      "SELECT subject FROM mail_outbox WHERE account_id = $1 AND kind = 'order_receipt' ORDER BY subject",
      [c.id],
    );
    expect(rows.map((r) => r.subject)).toEqual(
      [
        `Receipt for order ${ids[0]}: 45.00 USD paid`,
        `Receipt for order ${ids[1]}: 90.00 USD paid`,
        `Receipt for order ${ids[2]}: 135.00 USD paid`,
      ].sort(),
    );
  });
});

describe('KYC decisions', () => {
  const details = { legal_name: 'Ada Lovelace Ltd', country: 'GB', document_reference: 'CH-0123456' };

  it('approved: a mail says so', async () => {
    const c = await h.customer();
    expect((await h.call('POST', '/v1/kyc', { key: c.key, body: details })).statusCode).toBe(200);
    const res = await h.call('POST', `/admin/v1/accounts/${c.id}/kyc`, {
      admin: true,
      body: { decision: 'approved' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const mails = await inbox(await emailOf(c.id));
    expect(mails.map((m) => m.subject)).toEqual(['Your identity verification (KYC) is approved']);
  });

  it('rejected: the mail gives the reason and how to submit again; a refused decision sends nothing', async () => {
    const c = await h.customer();
    expect((await h.call('POST', '/v1/kyc', { key: c.key, body: details })).statusCode).toBe(200);
    const res = await h.call('POST', `/admin/v1/accounts/${c.id}/kyc`, {
      admin: true,
      body: { decision: 'rejected', reason: 'The document reference does not match the company register' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const again = await h.call('POST', `/admin/v1/accounts/${c.id}/kyc`, {
      admin: true,
      body: { decision: 'rejected' },
    });
    expect(again.statusCode).toBe(409);
    const mails = await inbox(await emailOf(c.id));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Your identity verification (KYC) was not approved');
    expect(mails[0]!.text).toContain('Reason: The document reference does not match the company register');
    expect(mails[0]!.text).toContain('POST /v1/kyc');
  });
});
