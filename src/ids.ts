/** Typed ids: a prefix, an underscore and a ULID (SPEC §1). */
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
] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

export interface Ids {
  next(prefix: IdPrefix): string;
}

export function ulidIds(): Ids {
  const ulid = monotonicFactory();
  return { next: (prefix) => `${prefix}_${ulid()}` };
}

/** True when `id` looks like an id of the given prefix (cheap syntactic check before a lookup). */
export function isId(prefix: IdPrefix, id: string): boolean {
  return id.startsWith(`${prefix}_`) && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id.slice(prefix.length + 1));
}
