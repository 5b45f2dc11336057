/** Where mail goes: SMTP (nodemailer) or files under DATA_DIR/mail when no SMTP is configured. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** stable id for the message (the outbox row), used as Message-ID so a resend is recognisable */
  id: string;
}

export interface MailTransport {
  readonly name: string;
  send(msg: MailMessage): Promise<{ messageId: string }>;
  close?(): Promise<void>;
}

/**
 * A send the mail server refused for good (an SMTP 5xx reply such as "mailbox unavailable"):
 * trying again will not help, so the outbox marks the mail failed at once. Any other error from
 * `send` is taken as passing (server down, timeout) and retried with backoff.
 */
export class MailRejectedError extends Error {
  override name = 'MailRejectedError';
  constructor(
    message: string,
    readonly responseCode: number | null = null,
  ) {
    super(message);
  }
}
