/** Request schemas shared by several routes. */
import { z } from 'zod';

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.string().min(1).max(64).optional(),
});

export const idParam = z.object({ id: z.string().min(1).max(64) });

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    param: z.string().optional(),
    request_id: z.string(),
  }),
});

/** A USD amount as a JSON number (or a decimal string) with at most two decimals. */
export const usdAmount = z.union([z.number(), z.string().regex(/^-?\d{1,13}(\.\d{1,2})?$/)]);
