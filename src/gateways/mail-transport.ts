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
