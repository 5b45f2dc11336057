/** A monthly statement of postpaid charges (issue 11; GET /v1/billing/statements). */
import { z } from 'zod';
import type { Statement } from '../db/statements.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const statementSchema = z
  .object({
    object: z.literal('statement'),
    id: z.string(),
    month: z.string().describe('YYYY-MM (UTC)'),
    period_start: timestamp,
    period_end: timestamp,
    server_hours: z.number().int().describe('server-hours billed in the month, covered ones included'),
    covered_hours: z.number().int().describe('of those, hours a reserved-instance coupon covered (billed 0)'),
    servers_usd: money,
    traffic_bytes: z.number().int(),
    traffic_usd: money,
    total_usd: money.describe('servers_usd + traffic_usd'),
    balance_usd: money.describe('the balance when the statement was issued; negative: arrears'),
    servers: z.array(
      z.object({
        server_id: z.string(),
        spec: z.string(),
        hours: z.number().int(),
        covered_hours: z.number().int(),
        amount_usd: money,
      }),
    ),
    traffic: z.array(
      z.object({ day: z.string().describe('YYYY-MM-DD (UTC)'), bytes: z.number().int(), amount_usd: money }),
    ),
    created_at: timestamp,
  })
  .meta({ id: 'Statement' });

export function presentStatement(s: Statement): z.infer<typeof statementSchema> {
  return {
    object: 'statement',
    id: s.id,
    month: iso(s.periodStart).slice(0, 7),
    period_start: iso(s.periodStart),
    period_end: iso(s.periodEnd),
    server_hours: s.serverHours,
    covered_hours: s.coveredHours,
    servers_usd: usd(s.serverCents),
    traffic_bytes: s.trafficBytes,
    traffic_usd: usd(s.trafficCents),
    total_usd: usd(s.serverCents + s.trafficCents),
    balance_usd: usd(s.balanceCents),
    servers: s.servers.map((l) => ({
      server_id: l.serverId,
      spec: l.spec,
      hours: l.hours,
      covered_hours: l.coveredHours,
      amount_usd: usd(l.amountCents),
    })),
    traffic: s.traffic.map((l) => ({ day: l.day, bytes: l.bytes, amount_usd: usd(l.amountCents) })),
    created_at: iso(s.createdAt),
  };
}
