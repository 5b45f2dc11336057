/**
 * `POST /v1/servers/trial {spec, dry_run?}` (SPEC §7 `trial`): a free server for
 * ORDERDESK_SERVER_TRIAL_HOURS (24 by default), once per account, KYC required. A `trial` order
 * of 0 with one line for the instance; the server's period is the trial window. Unless converted
 * (convert-server.ts) it is stopped at the window's end by a one-off job (stopEndedTrials).
 *
 * Once per account: the server_trials row (primary key account_id) is written in the order's
 * transaction; of two concurrent trials the second waits for the first's commit, finds its row
 * and rolls back (409 invalid_state, detail reason `trial_used`).
 */
import { getAccount } from '../../db/accounts.ts';
import { attachResource } from '../../db/idempotency.ts';
import { enqueueJob } from '../../db/jobs.ts';
import { insertOrder } from '../../db/orders.ts';
import {
  claimServerTrial,
  dueTrialServers,
  hasServerTrial,
  insertServer,
  stopEndedTrial,
} from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import { isServerSpec } from '../../domain/server-specs.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { loadServerPriceBook } from './price-server-order.ts';
import { zeroLine, zeroOrder } from './zero-order.ts';

/** The one-off job at a trial's end (payload `{server_id}`): stops it unless converted. */
export const TRIAL_END_JOB = 'server_trial_end';

export interface StartTrialCommand {
  accountId: string;
  spec: string;
  dryRun?: boolean;
  idem?: IdempotencyLink;
}

const trialUsed = (accountId: string) =>
  err('invalid_state', `Account ${accountId} has had its server trial (one per account)`, {
    detail: { reason: 'trial_used' },
  });

export async function startServerTrial(deps: Deps, cmd: StartTrialCommand): Promise<Result<Order>> {
  if (!isServerSpec(cmd.spec))
    return err('invalid_request', `unknown server spec: ${cmd.spec}`, { param: 'spec' });
  const spec = cmd.spec;
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, 'server');
  if (!gate.ok) return gate;
  if (await hasServerTrial(deps.db, cmd.accountId)) return trialUsed(cmd.accountId);
  const hours = deps.config.serverTrialHours;
  const endsAt = new Date(now.getTime() + hours * 3600 * 1000);
  const book = await loadServerPriceBook(deps.db);
  const serverId = deps.ids.next('ins');
  const line = zeroLine(deps, {
    product: 'server',
    config: { spec, payment_mode: 'trial', hours, unit_price: 0, list_monthly_price: book.monthly[spec] },
    previousConfig: null,
    paymentMode: 'prepaid',
    duration: `PT${hours}H`,
    instanceId: serverId,
    status: 'paid',
    quantity: 1,
    startsAt: now,
    endsAt,
  });
  const order = zeroOrder(deps, {
    accountId: cmd.accountId,
    product: 'server',
    type: 'trial',
    paymentMode: 'prepaid',
    details: {
      server_id: serverId,
      spec,
      payment_mode: 'trial',
      hours,
      period_start: now.toISOString(),
      period_end: endsAt.toISOString(),
      at_end: 'stopped at period_end unless converted (POST /v1/servers/{id}/convert)',
    },
    lines: [line],
    at: now,
  });
  if (cmd.dryRun) return ok(order);
  return resultTx(deps.db, async (q) => {
    const locked = await getAccount(q, cmd.accountId, { forUpdate: true });
    const gated = locked ? orderGate(locked, 'server') : err('not_found', 'no such account');
    if (!gated.ok) return gated;
    await insertOrder(q, order, `server trial for ${hours} h`);
    await insertServer(q, {
      id: serverId,
      accountId: cmd.accountId,
      spec,
      paymentMode: 'trial',
      periodStart: now,
      periodEnd: endsAt,
      paidCents: 0,
      termMonths: null,
      orderId: order.id,
      at: now,
    });
    if (!(await claimServerTrial(q, { accountId: cmd.accountId, serverId, orderId: order.id, at: now }))) {
      return trialUsed(cmd.accountId);
    }
    await enqueueJob(q, {
      kind: TRIAL_END_JOB,
      payload: { server_id: serverId },
      runAt: endsAt,
      dedupeKey: `${TRIAL_END_JOB}:${serverId}`,
      now,
    });
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'order', order.id);
    return ok(order);
  });
}

/** Stops the trials past their end that were not converted (the job's work); how many. */
export async function stopEndedTrials(deps: Deps, serverId?: string): Promise<number> {
  const at = await deps.clock.now();
  const ids = serverId ? [serverId] : await dueTrialServers(deps.db, at, 500);
  let n = 0;
  for (const id of ids) {
    if (await deps.db.tx((q) => stopEndedTrial(q, id, at))) n++;
  }
  return n;
}
