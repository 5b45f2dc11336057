/** Random secrets (API keys, tokens, proxy passwords) and their stored hashes. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function timingSafeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random string over an unambiguous alphabet (rejection sampling: no modulo bias). */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 256 - (256 % ALPHABET.length)) out += ALPHABET[b % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A customer API key: shown once, stored as its sha256. */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = `od_live_${randomToken(32)}`;
  return { key, hash: sha256Hex(key), prefix: key.slice(0, 12) };
}

/** A managed operator token: shown once, stored as its sha256 (the bootstrap one comes from config). */
export function newAdminToken(): { token: string; hash: string; prefix: string } {
  const token = `od_admin_${randomToken(40)}`;
  return { token, hash: sha256Hex(token), prefix: token.slice(0, 13) };
}
