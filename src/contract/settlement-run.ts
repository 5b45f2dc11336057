/** A settlement run of postpaid servers (SPEC §7, operators only): what one run billed. */
import { z } from 'zod';
import type { SettlementRun } from '../db/settlement.ts';
import { iso, isoOrNull, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const settlementRunSchema = z
  .object({
    id: z.number().int().describe('runs are numbered in the order they started'),
    object: z.literal('settlement_run'),
    kind: z.literal('server_hours'),
    at: timestamp.describe('the time settled up to: every hour that ended by then is billed'),
    started_at: timestamp,
    finished_at: timestamp
      .nullable()
      .describe('null: still running, or stopped by a crash (the next run bills the rest)'),
    servers_billed: z.number().int(),
    hours: z.number().int().describe('server-hours billed, covered ones included'),
    covered_hours: z.number().int().describe('server-hours a reserved-instance coupon covered (billed 0.00)'),
    charged_usd: money.describe('charged to the balances (one usage_charge ledger entry per server-hour)'),
    suspended_accounts: z
      .number()
      .int()
      .describe('accounts whose arrears passed the limit: their postpaid servers suspended'),
    resumed_accounts: z.number().int().describe('accounts whose arrears were paid: their servers resumed'),
  })
  .meta({ id: 'SettlementRun' });

export function presentSettlementRun(r: SettlementRun): z.infer<typeof settlementRunSchema> {
  return {
    id: r.id,
    object: 'settlement_run',
    kind: r.kind,
    at: iso(r.at),
    started_at: iso(r.startedAt),
    finished_at: isoOrNull(r.finishedAt),
    servers_billed: r.serversBilled,
    hours: r.hours,
    covered_hours: r.coveredHours,
    charged_usd: usd(r.chargedCents),
    suspended_accounts: r.suspendedAccounts,
    resumed_accounts: r.resumedAccounts,
  };
}
