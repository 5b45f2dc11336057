/** A mail transport that keeps what it was given, for tests that read the mail a rule sends. */
import type { MailMessage, MailTransport } from '../../src/gateways/mail-transport.ts';

export interface MemoryMail extends MailTransport {
  sent: MailMessage[];
}

export function memoryMail(): MemoryMail {
  const sent: MailMessage[] = [];
  return {
    name: 'memory',
    sent,
    async send(msg) {
      sent.push(msg);
      return { messageId: `<${msg.id}@test>` };
    },
  };
}
