/** Typed ids: a prefix, an underscore and a ULID (SPEC §1). */
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulidx';

export const ID_PREFIXES = [
  'acc',
  'sub',
  'key',
  'ord',
  'oli',
  'bat',
  'ip',
  'ins',
  'ri',
  'vch',
  'pm',
  'txn',
  'evt',
  'alr',
  'pay',
  'kyc',
  'adm',
  'mail',
  'we',
  'wd',
  'rpl',
  'rfd',
  'stm',
] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

export interface Ids {
  next(prefix: IdPrefix): string;
}

/**
 * Random base-32 digits for ULIDs from a pooled buffer: one randomFillSync per 4 KiB instead of
 * one crypto call per character (ulidx's default), with each digit uniform (byte & 31).
 */
export function pooledPrng(size = 4096): () => number {
  const pool = Buffer.alloc(size);
  let at = size;
  return () => {
    if (at === size) {
      randomFillSync(pool);
      at = 0;
    }
    return ((pool[at++]! & 31) + 0.5) / 32;
  };
}

export function ulidIds(): Ids {
  const ulid = monotonicFactory(pooledPrng());
  return { next: (prefix) => `${prefix}_${ulid()}` };
}

/** True when `id` looks like an id of the given prefix (cheap syntactic check before a lookup). */
export function isId(prefix: IdPrefix, id: string): boolean {
  return id.startsWith(`${prefix}_`) && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id.slice(prefix.length + 1));
}
