/** An IP of a batch, and the replacement of one (SPEC §6 "Replacement"). */
import { z } from 'zod';
import type { IpRow } from '../db/isp-lifecycle.ts';
import type { Allowances } from '../domain/replacement-quota.ts';
import { iso, money, timestamp } from './fields.ts';
import { allowancesSchema, presentAllowances } from './isp-batch.ts';
import { usd } from './json.ts';

const ipSchema = z
  .object({
    id: z.string(),
    ip: z.string(),
    port: z.number().int(),
    country: z.string(),
    city: z.string(),
    asn: z.number().int(),
  })
  .meta({ id: 'IspIp' });

export const ipReplacementSchema = z
  .object({
    id: z.string().nullable().describe('null on a dry run'),
    object: z.literal('ip_replacement'),
    batch_id: z.string(),
    old_ip: ipSchema,
    new_ip: ipSchema.nullable().describe('null on a dry run (no IP is taken)'),
    reason: z.string(),
    free: z.boolean(),
    counts_toward_quota: z.boolean(),
    charge_usd: money.describe('the fee charged beyond the free quota (accept_charge), or that would be'),
    order_id: z.string().nullable().describe('the change order that paid the fee'),
    allowances: allowancesSchema,
    dry_run: z.boolean(),
    created_at: timestamp,
  })
  .meta({ id: 'IpReplacement' });

function presentIp(ip: IpRow): z.infer<typeof ipSchema> {
  return { id: ip.id, ip: ip.ip, port: ip.port, country: ip.country, city: ip.city, asn: ip.asn };
}

/** What an IP replacement did (or would do, on a dry run): app/isp/replace-ip.ts answers it. */
export interface IpReplacement {
  /** null on a dry run */
  id: string | null;
  batchId: string;
  oldIp: IpRow;
  /** null on a dry run (no IP is taken) */
  newIp: IpRow | null;
  reason: string;
  free: boolean;
  countsTowardQuota: boolean;
  /** the fee charged (or that would be), cents */
  charge: number;
  /** the `change` order that paid the fee */
  orderId: string | null;
  allowances: Allowances;
  dryRun: boolean;
  at: Date;
}

export function presentIpReplacement(r: IpReplacement): z.infer<typeof ipReplacementSchema> {
  return {
    id: r.id,
    object: 'ip_replacement',
    batch_id: r.batchId,
    old_ip: presentIp(r.oldIp),
    new_ip: r.newIp ? presentIp(r.newIp) : null,
    reason: r.reason,
    free: r.free,
    counts_toward_quota: r.countsTowardQuota,
    charge_usd: usd(r.charge),
    order_id: r.orderId,
    allowances: presentAllowances(r.allowances),
    dry_run: r.dryRun,
    created_at: iso(r.at),
  };
}
