/** The list envelope (SPEC §1 "Lists"): {object: "list", data: [...], has_more}. */
import { z } from 'zod';

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean().describe('more items after the last one: pass its id as starting_after'),
  });
}

/** A cursor page: fetch limit + 1 rows, show limit, has_more tells whether there are more. */
export function page<T, U>(rows: readonly T[], limit: number, present: (t: T) => U) {
  return { object: 'list' as const, data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}

/** A list that is never paged (an account's API keys, the operator tokens, countries on offer). */
export function whole<T, U>(rows: readonly T[], present: (t: T) => U) {
  return { object: 'list' as const, data: rows.map(present), has_more: false };
}
