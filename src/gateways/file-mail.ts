/**
 * With no SMTP configured, mail is written as .eml files under DATA_DIR/mail. The message is built
 * by nodemailer's own stream transport from the same options the SMTP transport sends, so a file
 * is a complete RFC 5322 message (Date, MIME-Version, Message-ID, encoded headers and body) that
 * any mail reader opens.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { MailMessage, MailTransport } from './mail-transport.ts';
import { mailOptions } from './smtp-mail.ts';

export function fileMailTransport(dir: string, from: string): MailTransport {
  // nodemailer is loaded when the first mail goes, not at start (bench/startup)
  let transport: Promise<Transporter> | undefined;
  const streamTransport = () =>
    (transport ??= import('nodemailer').then((n) =>
      n.default.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }),
    ));
  return {
    name: 'file',
    async send(msg: MailMessage) {
      const options = mailOptions(msg, from);
      const info = await (await streamTransport()).sendMail(options);
      fs.mkdirSync(dir, { recursive: true });
      // the id names the file: sending the same message twice rewrites one file
      fs.writeFileSync(path.join(dir, `${msg.id}.eml`), info.message as Buffer);
      return { messageId: info.messageId || options.messageId };
    },
  };
}
