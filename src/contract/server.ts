/** A server instance (SPEC §7), as the API, the webhook events and the CLI show it. */
import { z } from 'zod';
import type { ServerRow } from '../db/servers.ts';
import { COMPUTE_FACTOR, SERVER_SPECS, type ServerSpec } from '../domain/server-specs.ts';
import { iso, isoOrNull, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const SERVER_STATUSES = ['running', 'suspended', 'stopped'] as const;

export const serverSchema = z
  .object({
    id: z.string().describe('ins_…'),
    object: z.literal('server'),
    spec: z.enum(SERVER_SPECS),
    compute_power: z.number().int().describe('the spec’s compute-power factor (s1.small 1 … s1.xlarge 8)'),
    payment_mode: z
      .enum(['prepaid', 'postpaid', 'trial'])
      .describe('trial: free until current_period_end, then converted or stopped'),
    status: z.enum(SERVER_STATUSES),
    current_period_start: timestamp
      .nullable()
      .describe('prepaid: start of the paid term; trial: start of the trial; postpaid: null'),
    current_period_end: timestamp
      .nullable()
      .describe('prepaid: end of the paid term; trial: when it stops unless converted; postpaid: null'),
    paid_usd: money.describe(
      'prepaid: what was paid for the current term (unsubscribe refunds a share of it)',
    ),
    order: z.string().describe('the order (ord_…) that created the server'),
    temp_upgrade: z
      .object({
        base_spec: z.enum(SERVER_SPECS).describe('the spec it goes back to'),
        until: timestamp.describe('when the temporary upgrade ends (a job reverts it then)'),
      })
      .nullable()
      .describe('a temporary upgrade running now (spec is the upgraded spec), else null'),
    stopped_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Server' });

export function presentServer(s: ServerRow): z.infer<typeof serverSchema> {
  // servers are written with the catalog's specs only (migration 022's CHECK)
  const spec = s.spec as ServerSpec;
  return {
    id: s.id,
    object: 'server',
    spec,
    compute_power: COMPUTE_FACTOR[spec],
    payment_mode: s.paymentMode,
    status: s.status,
    current_period_start: isoOrNull(s.periodStart),
    current_period_end: isoOrNull(s.periodEnd),
    paid_usd: usd(s.paidCents),
    order: s.orderId,
    temp_upgrade:
      s.tempBaseSpec && s.tempUntil
        ? { base_spec: s.tempBaseSpec as ServerSpec, until: iso(s.tempUntil) }
        : null,
    stopped_at: isoOrNull(s.stoppedAt),
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}
