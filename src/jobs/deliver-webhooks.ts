/** The worker's webhook sender: every 5 s, the due deliveries (app/webhooks/deliver-due-webhooks.ts). */
import { deliverDueWebhooks } from '../app/webhooks/deliver-due-webhooks.ts';
import type { JobKind } from './worker.ts';

export const DELIVER_WEBHOOKS_JOB = 'deliver_webhooks';

export const deliverWebhooksJob: JobKind = {
  everySeconds: 5,
  handler: async (deps) => {
    const r = await deliverDueWebhooks(deps);
    if (r.delivered + r.retrying + r.failed > 0) deps.log.info({ ...r }, 'webhook deliveries');
  },
};
