import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileMailTransport } from './file-mail.ts';

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('file mail (no SMTP_URL)', () => {
  it('writes a complete message: Date, MIME-Version, Message-ID, encoded subject and body', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-mail-'));
    const t = fileMailTransport(dir, 'orderdesk <billing@example.com>');
    const sent = await t.send({
      id: 'mail_01TEST',
      to: 'ana@example.com',
      subject: 'Receipt for order ord_1 — 已支付 225.00',
      text: 'Hello,\n\n50 GB residential: 225.00\n已支付',
    });
    expect(sent.messageId).toBe('<mail_01TEST@example.com>');
    const eml = fs.readFileSync(path.join(dir, 'mail_01TEST.eml'), 'utf8');
    const [head = '', body = ''] = eml.split('\r\n\r\n');
    const header = (name: string) => new RegExp(`^${name}: (.+)$`, 'mi').exec(head)?.[1];
    expect(header('From')).toBe('orderdesk <billing@example.com>');
    expect(header('To')).toBe('ana@example.com');
    expect(header('Message-ID')).toBe('<mail_01TEST@example.com>');
    expect(header('MIME-Version')).toBe('1.0');
    expect(header('X-Orderdesk-Mail-Id')).toBe('mail_01TEST');
    expect(Number.isNaN(Date.parse(header('Date') ?? ''))).toBe(false);
    // a non-ASCII subject is encoded (RFC 2047), the body declares its charset and encoding
    expect(header('Subject')).toMatch(/^=\?UTF-8\?/);
    expect(header('Content-Type')).toMatch(/text\/plain; charset=utf-8/i);
    expect(header('Content-Transfer-Encoding')).toBeTruthy();
    expect(body.length).toBeGreaterThan(0);
    // every line ends CRLF, as RFC 5322 asks
    expect(eml.replace(/\r\n/g, '')).not.toMatch(/\n/);

    // the same message again rewrites the one file
    await t.send({ id: 'mail_01TEST', to: 'ana@example.com', subject: 'x', text: 'y' });
    expect(fs.readdirSync(dir)).toEqual(['mail_01TEST.eml']);
  });
});
