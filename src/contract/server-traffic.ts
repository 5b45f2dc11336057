/** A batch of a postpaid server's traffic reports, as recorded (SPEC §7, the gateways' side). */
import { z } from 'zod';

export const serverTrafficBatchSchema = z
  .object({
    object: z.literal('server_traffic_batch'),
    server_id: z.string(),
    accepted: z.number().int(),
    duplicates: z
      .number()
      .int()
      .describe('reports whose id was already recorded for this server: counted once'),
    duplicate_ids: z.array(z.string()),
  })
  .meta({ id: 'ServerTrafficBatch' });

export function presentServerTrafficBatch(
  serverId: string,
  x: { accepted: number; duplicates: number; duplicateIds: string[] },
): z.infer<typeof serverTrafficBatchSchema> {
  return {
    object: 'server_traffic_batch',
    server_id: serverId,
    accepted: x.accepted,
    duplicates: x.duplicates,
    duplicate_ids: x.duplicateIds,
  };
}
