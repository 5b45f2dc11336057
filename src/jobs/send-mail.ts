/** The periodic job that sends the mail outbox every 10 s (SPEC §9; see app/notifications/send-due-mail.ts). */
import { sendDueMail } from '../app/notifications/send-due-mail.ts';
import type { JobKind } from './worker.ts';

export const sendMailJob: JobKind = {
  everySeconds: 10,
  handler: async (deps) => {
    const r = await sendDueMail(deps);
    if (r.retried + r.failed > 0) deps.log.warn({ ...r }, 'mail outbox run');
  },
};
