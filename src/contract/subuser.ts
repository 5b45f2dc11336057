/** A subuser (SPEC §2): proxy credentials, caps and usage per bandwidth product; the account's pools. */
import { z } from 'zod';
import type { SubuserWithUsage } from '../db/subusers.ts';
import type { Pool } from '../db/usage.ts';
import { bytesToGb, capState, TRAFFIC_PRODUCTS, type TrafficProduct } from '../domain/traffic.ts';
import { iso, timestamp } from './fields.ts';

const usageSchema = z.object({
  used_gb: z.number().describe('up to 3 decimals'),
  cap_gb: z.number().nullable().describe('null: no cap'),
  limited: z.boolean().describe('the cap is reached: the subuser may not use this product now'),
  used_bytes: z.number().int(),
  cap_bytes: z.number().int().nullable(),
});

export const subuserSchema = z
  .object({
    id: z.string(),
    object: z.literal('subuser'),
    name: z.string().nullable(),
    username: z.string().describe('proxy username'),
    password: z.string().describe('proxy password'),
    is_main: z.boolean().describe('every account has one main subuser'),
    status: z.enum(['active', 'disabled']),
    limited: z.boolean().describe('some product’s cap is reached'),
    usage: z.object({ residential: usageSchema, mobile: usageSchema }).describe('by bandwidth product'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Subuser' });

/** The account's traffic pools by product, shared by its subusers (products never bought are absent). */
export const poolsSchema = z.record(
  z.string(),
  z.object({
    remaining_gb: z.number().describe('up to 3 decimals; negative after overage'),
    purchased_gb: z.number(),
    used_gb: z.number(),
  }),
);

export function presentSubuser(s: SubuserWithUsage): z.infer<typeof subuserSchema> {
  const usage = {} as Record<TrafficProduct, z.infer<typeof usageSchema>>;
  for (const product of TRAFFIC_PRODUCTS) {
    const u = s.usage.find((x) => x.product === product);
    const c = capState(u?.capBytes ?? null, u?.usedBytes ?? 0);
    usage[product] = {
      used_gb: bytesToGb(c.usedBytes),
      cap_gb: c.capBytes === null ? null : bytesToGb(c.capBytes),
      limited: c.limited,
      used_bytes: c.usedBytes,
      cap_bytes: c.capBytes,
    };
  }
  return {
    id: s.id,
    object: 'subuser',
    name: s.name,
    username: s.username,
    password: s.password,
    is_main: s.isMain,
    status: s.status,
    limited: Object.values(usage).some((u) => u.limited),
    usage,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

export function presentPools(pools: readonly Pool[]): z.infer<typeof poolsSchema> {
  return Object.fromEntries(
    pools.map((p) => [
      p.product,
      {
        remaining_gb: bytesToGb(p.remainingBytes),
        purchased_gb: bytesToGb(p.purchasedBytes),
        used_gb: bytesToGb(p.usedBytes),
      },
    ]),
  );
}
