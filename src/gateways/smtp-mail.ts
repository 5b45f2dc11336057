/**
 * Mail over SMTP (SPEC §9, `SMTP_URL`), through nodemailer. The outbox row's id becomes the
 * Message-ID, so when a mail is sent twice (a worker died after the server took it and before the
 * outbox row was marked sent: delivery is at least once) both copies carry the same Message-ID and
 * receivers can drop the second. A permanent refusal (an SMTP 5xx) is a MailRejectedError; any
 * other failure (server down, timeout, a 4xx) is thrown as is and retried by the outbox.
 *
 * The URL is nodemailer's: `smtp://user:pass@host:587` (STARTTLS when offered),
 * `smtps://user:pass@host:465` (TLS from the start); query parameters set connection options,
 * e.g. `?connectionTimeout=10000`. Connections are pooled (SMTP_CONNECTIONS, 100 mails each).
 */
import type { Transporter } from 'nodemailer';
import { type MailMessage, MailRejectedError, type MailTransport } from './mail-transport.ts';

/** The domain of the sender address ("orderdesk <no-reply@example.com>" → example.com). */
export function senderDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m?.[1]?.toLowerCase() ?? 'orderdesk.local';
}

/** The stable Message-ID of an outbox mail. */
export function messageIdFor(id: string, from: string): string {
  return `<${id}@${senderDomain(from)}>`;
}

/** nodemailer's message for an outbox mail: the same headers whichever transport sends it. */
export function mailOptions(msg: MailMessage, from: string) {
  return {
    from,
    to: msg.to,
    subject: msg.subject,
    text: msg.text,
    messageId: messageIdFor(msg.id, from),
    headers: { 'X-Orderdesk-Mail-Id': msg.id },
  };
}

/** SMTP connections kept open to the server at most. */
export const SMTP_CONNECTIONS = 5;

export function smtpMailTransport(url: string, from: string): MailTransport {
  // nodemailer is loaded when the first mail goes, not at start (bench/startup)
  let transport: Promise<Transporter> | undefined;
  const smtp = () =>
    (transport ??= import('nodemailer').then((n) => {
      const t = n.default.createTransport({
        url,
        // a few connections kept open and reused (each mail used to open, greet and quit one):
        // the outbox hands a batch over side by side and the pool spreads it
        pool: true,
        maxConnections: SMTP_CONNECTIONS,
        maxMessages: 100,
        // fail a dead server in seconds rather than minutes: the outbox retries it later
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 60_000,
      });
      // a pooled connection that breaks while idle is replaced on the next mail; a send that
      // fails is the outbox's to retry, so nothing here may take the process down
      t.on('error', () => {});
      return t;
    }));
  return {
    name: 'smtp',
    async send(msg: MailMessage) {
      const options = mailOptions(msg, from);
      try {
        const info = await (await smtp()).sendMail(options);
        return { messageId: info.messageId || options.messageId };
      } catch (e) {
        const code = (e as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number' && code >= 500 && code < 600) {
          throw new MailRejectedError(e instanceof Error ? e.message : String(e), code);
        }
        throw e;
      }
    },
    async close() {
      (await transport)?.close();
    },
  };
}
