/**
 * Monthly statements (SPEC §7 settlement, issue 11): after a calendar month (UTC) ends, every
 * account whose postpaid servers or traffic were billed in it gets one statement of that month —
 * server hours per server and spec (the hours coupons covered count, at 0), metered traffic per
 * day, the totals, and its balance (arrears when negative) — as a mail and at
 * GET /v1/billing/statements. The month's last hour and day are settled first, so the statement
 * is complete; one per account and month (a unique key), so re-runs, crashes and two workers
 * issue it once. The periodic job names each month's start as its next moment (the test clock
 * stops there).
 */
import { getAccount } from '../../db/accounts.ts';
import { anyRunningPostpaidServer } from '../../db/settlement.ts';
import {
  accountsToStatement,
  anyServerChargesSince,
  insertStatement,
  type Statement,
  statementLines,
} from '../../db/statements.ts';
import { formatUsd, sum } from '../../domain/money.ts';
import { bytesToGb } from '../../domain/traffic.ts';
import type { Deps } from '../deps.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { settleServerHours } from '../settlement/settle-server-hours.ts';
import { settleServerTraffic } from '../settlement/settle-server-traffic.ts';

const BATCH = 200;
export const MONTHLY_STATEMENTS_JOB = 'monthly_statements';

/** The first moment (UTC) of the month `at` falls in. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

function nextMonthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/** "2026-05" */
export function monthLabel(start: Date): string {
  return start.toISOString().slice(0, 7);
}

/** Issues the statements of the month before now's; returns how many were issued. */
export async function issueMonthlyStatements(deps: Deps): Promise<number> {
  // the month's last hour and day are billed first (both are idempotent)
  await settleServerHours(deps);
  await settleServerTraffic(deps);
  const now = await deps.clock.now();
  const end = monthStart(now);
  const start = monthStart(new Date(end.getTime() - 1));
  let issued = 0;
  let after = '';
  for (;;) {
    const ids = await accountsToStatement(deps.db, { start, end, after, limit: BATCH });
    if (ids.length === 0) break;
    for (const accountId of ids) {
      const made = await deps.db.tx(async (q) => {
        const account = await getAccount(q, accountId);
        if (!account) return false;
        const lines = await statementLines(q, accountId, start, end);
        const s: Statement = {
          id: deps.ids.next('stm'),
          accountId,
          periodStart: start,
          periodEnd: end,
          serverHours: lines.servers.reduce((n, l) => n + l.hours, 0),
          coveredHours: lines.servers.reduce((n, l) => n + l.coveredHours, 0),
          serverCents: sum(lines.servers.map((l) => l.amountCents)),
          trafficBytes: lines.traffic.reduce((n, l) => n + l.bytes, 0),
          trafficCents: sum(lines.traffic.map((l) => l.amountCents)),
          balanceCents: account.balanceCents,
          servers: lines.servers,
          traffic: lines.traffic,
          createdAt: now,
        };
        if (!(await insertStatement(q, s))) return false;
        await queueMail(
          q,
          deps,
          { accountId, email: account.email },
          'monthly_statement',
          statementMail(s),
          now,
        );
        return true;
      });
      if (made) issued += 1;
    }
    after = ids[ids.length - 1]!;
  }
  return issued;
}

function statementMail(s: Statement): Mail {
  const total = s.serverCents + s.trafficCents;
  const gb = bytesToGb(s.trafficBytes);
  return {
    subject: `Your orderdesk statement for ${monthLabel(s.periodStart)}: ${formatUsd(total)} USD`,
    body: [
      'Hello,',
      '',
      `Your postpaid charges for ${monthLabel(s.periodStart)} (UTC):`,
      '',
      ...s.servers.map(
        (l) =>
          `  ${l.serverId} (${l.spec}): ${l.hours} h${l.coveredHours > 0 ? `, ${l.coveredHours} covered by coupons` : ''} — ${formatUsd(l.amountCents)} USD`,
      ),
      ...(s.trafficBytes > 0 ? [`  traffic: ${gb} GB — ${formatUsd(s.trafficCents)} USD`] : []),
      '',
      `Total: ${formatUsd(total)} USD`,
      s.balanceCents < 0
        ? `Your balance is −${formatUsd(-s.balanceCents)} USD: please top up to pay your arrears.`
        : `Your balance: ${formatUsd(s.balanceCents)} USD.`,
      '',
      `The statement is at GET /v1/billing/statements/${s.id} and in the console (Billing).`,
    ].join('\n'),
  };
}

/** The periodic job: hourly as a safety net; its moment is each month's start. */
export const monthlyStatementsJob = {
  everySeconds: 3600,
  nextWorkAt: async (deps: Deps, after: Date): Promise<Date | null> => {
    const billing =
      (await anyRunningPostpaidServer(deps.db)) || (await anyServerChargesSince(deps.db, monthStart(after)));
    return billing ? nextMonthStart(after) : null;
  },
  handler: async (deps: Deps): Promise<void> => {
    const n = await issueMonthlyStatements(deps);
    if (n > 0) deps.log.info({ statements: n }, 'monthly statements issued');
  },
};
