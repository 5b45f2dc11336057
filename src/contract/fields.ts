/** Field schemas the public objects share, and the helpers their presenters use for them. */
import { z } from 'zod';

/**
 * A USD amount. In the schema a number; presenters pass cents through usd() (json.ts) so the
 * serializer writes it with two decimals (225.00), which a JSON number cannot carry.
 */
export const money = z.number();

/** A unit price in USD, written with two to four decimals (price() in json.ts). */
export const unitPrice = z.number();

export const timestamp = z.iso.datetime().describe('ISO 8601 time in UTC');

export const iso = (d: Date): string => d.toISOString();

export const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** What a DELETE answers: the id and type of the object it removed (schema and presenter). */
export function deleted<const O extends string>(object: O) {
  const schema = z.object({ id: z.string(), object: z.literal(object), deleted: z.literal(true) });
  const present = (x: { id: string }): z.infer<typeof schema> => ({ id: x.id, object, deleted: true });
  return { schema, present };
}
