/** With no SMTP configured, mail is written as .eml files under DATA_DIR/mail and logged. */
import fs from 'node:fs';
import path from 'node:path';
import type { MailMessage, MailTransport } from './mail-transport.ts';

export function fileMailTransport(dir: string, from: string): MailTransport {
  return {
    name: 'file',
    async send(msg: MailMessage) {
      fs.mkdirSync(dir, { recursive: true });
      const messageId = `<${msg.id}@orderdesk.local>`;
      const eml = [
        `Message-ID: ${messageId}`,
        `From: ${from}`,
        `To: ${msg.to}`,
        `Subject: ${msg.subject}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        msg.text,
        '',
      ].join('\r\n');
      // the id names the file: sending the same message twice rewrites one file
      fs.writeFileSync(path.join(dir, `${msg.id}.eml`), eml);
      return { messageId };
    },
  };
}
