/** Every job kind the worker knows. */

import { AUTO_TOP_UP_JOB } from '../app/auto-top-ups/enqueue-auto-top-up.ts';
import { runAutoTopUp } from '../app/auto-top-ups/run-auto-top-up.ts';
import { PROVISION_JOB } from '../app/isp/enqueue-provisioning.ts';
import { SERVE_WAIT_QUEUE_JOB, serveWaitQueue } from '../app/isp/serve-wait-queue.ts';
import { PRUNE_JOBS_JOB, pruneJobs } from '../app/job-queue/prune-jobs.ts';
import { QUEUE_RECEIPTS_JOB, queueDueReceipts } from '../app/notifications/queue-receipts.ts';
import { CARD_REFUND_JOB, finishCardRefund } from '../app/orders/cancel-order.ts';
import {
  CANCEL_UNPAID_JOB,
  CANCEL_UNPAID_SWEEP_JOB,
  cancelDueUnpaidOrders,
} from '../app/orders/cancel-unpaid-order.ts';
import { recoverPayments } from '../app/payments/recover-payments.ts';
import { stopEndedTrials, TRIAL_END_JOB } from '../app/servers/server-trial.ts';
import { TEMP_UPGRADE_REVERT_JOB } from '../app/servers/settle-temp-upgrade.ts';
import { revertDueTempUpgrade } from '../app/servers/temp-upgrade-server.ts';
import { SETTLE_SERVER_HOURS_JOB, settleServerHoursJob } from '../app/settlement/settle-server-hours.ts';
import {
  SETTLE_SERVER_TRAFFIC_JOB,
  settleServerTrafficJob,
} from '../app/settlement/settle-server-traffic.ts';
import { MONTHLY_STATEMENTS_JOB, monthlyStatementsJob } from '../app/statements/issue-monthly-statements.ts';
import { purgeKeysOlderThan } from '../db/idempotency.ts';
import { purgeEndedSessions } from '../db/sessions.ts';
import { DELIVER_WEBHOOKS_JOB, deliverWebhooksJob } from './deliver-webhooks.ts';
import { ISP_EXPIRY_JOB, ispExpiryJob } from './isp-expiry.ts';
import { provisionIspBatchJob } from './provision-isp-batch.ts';
import { sendMailJob } from './send-mail.ts';
import type { JobKind } from './worker.ts';

const DAY_MS = 24 * 3600 * 1000;

export const jobKinds: Record<string, JobKind> = {
  [PROVISION_JOB]: provisionIspBatchJob,
  send_mail: sendMailJob,
  [DELIVER_WEBHOOKS_JOB]: deliverWebhooksJob,
  // ISP batch reminders, auto-renewal, expiry and release after grace
  [ISP_EXPIRY_JOB]: ispExpiryJob,
  // ISP orders waiting for stock; enqueued when stock arrives, periodic as a safety net
  [SERVE_WAIT_QUEUE_JOB]: {
    everySeconds: 60,
    handler: async (deps, job) => {
      const country = job.payload.country;
      await serveWaitQueue(deps, typeof country === 'string' ? { country } : {});
    },
  },
  // the card part of a cancelled order's refund, if the request died before finishing it
  [CARD_REFUND_JOB]: {
    handler: async (deps, job) => finishCardRefund(deps, String(job.payload.order_id)),
  },
  // unpaid (pay later) orders past their deadline: a one-off job at each order's deadline, and a
  // periodic sweep as a safety net; both cancel every order due now (app/orders/cancel-unpaid-order.ts)
  [CANCEL_UNPAID_JOB]: {
    handler: async (deps) => {
      await cancelDueUnpaidOrders(deps);
    },
  },
  [CANCEL_UNPAID_SWEEP_JOB]: {
    everySeconds: 300,
    handler: async (deps) => {
      const n = await cancelDueUnpaidOrders(deps);
      if (n > 0) deps.log.info({ cancelled: n }, 'unpaid orders cancelled');
    },
  },
  // an auto top-up for one crossing of a rule's line, enqueued by usage ingest (SPEC §2)
  [AUTO_TOP_UP_JOB]: {
    handler: async (deps, job) => {
      await runAutoTopUp(deps, {
        accountId: String(job.payload.account_id),
        product: String(job.payload.product),
        crossingId: String(job.payload.crossing_id),
      });
    },
  },
  // a server's temporary upgrade ends: a one-off job at its end puts the spec back
  [TEMP_UPGRADE_REVERT_JOB]: {
    handler: async (deps, job) => {
      await revertDueTempUpgrade(deps, String(job.payload.server_id));
    },
  },
  // postpaid servers' hours, coupons, arrears suspension (app/settlement); cursor-based, so one
  // run after a long pause bills every hour since, each once
  [SETTLE_SERVER_HOURS_JOB]: settleServerHoursJob,
  // postpaid servers' metered traffic, each ended UTC day once (app/settlement)
  [SETTLE_SERVER_TRAFFIC_JOB]: settleServerTrafficJob,
  // a server trial's end: stopped unless converted (one-off at the end, and a sweep as a safety net)
  [TRIAL_END_JOB]: {
    handler: async (deps, job) => {
      await stopEndedTrials(deps, String(job.payload.server_id));
    },
  },
  server_trial_end_sweep: {
    everySeconds: 600,
    handler: async (deps) => {
      await stopEndedTrials(deps);
    },
  },
  // a receipt for every paid order (app/notifications/queue-receipts.ts)
  [QUEUE_RECEIPTS_JOB]: {
    everySeconds: 5,
    handler: async (deps) => {
      await queueDueReceipts(deps);
    },
  },
  // done jobs older than ORDERDESK_JOB_RETENTION_HOURS (app/job-queue/prune-jobs.ts)
  [PRUNE_JOBS_JOB]: {
    everySeconds: 3600,
    handler: async (deps) => {
      const n = await pruneJobs(deps);
      if (n > 0) deps.log.info({ pruned: n }, 'done jobs pruned');
    },
  },
  // each month's statements of postpaid charges (app/statements)
  [MONTHLY_STATEMENTS_JOB]: monthlyStatementsJob,
  recover_payments: {
    everySeconds: 30,
    handler: async (deps) => {
      const r = await recoverPayments(deps, { olderThanSeconds: 30, limit: 100 });
      if (r.settled + r.voided + r.failed + r.pending > 0) deps.log.info({ ...r }, 'payment recovery');
    },
  },
  purge_idempotency_keys: {
    everySeconds: 3600,
    handler: async (deps) => {
      // keys are kept at least 24 h (SPEC §1) of the injected clock, as their created_at is
      await purgeKeysOlderThan(deps.db, new Date((await deps.clock.now()).getTime() - DAY_MS));
    },
  },
  // console sessions that ended (expired, or logged out) over a week ago: their tokens no longer
  // work, and without this every login would leave a row forever
  purge_sessions: {
    everySeconds: 3600,
    handler: async (deps) => {
      const n = await purgeEndedSessions(deps.db, new Date((await deps.clock.now()).getTime() - 7 * DAY_MS));
      if (n > 0) deps.log.info({ purged: n }, 'ended sessions purged');
    },
  },
};
