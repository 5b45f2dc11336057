/**
 * Webhook signatures (SPEC §1): every delivery carries
 *   Orderdesk-Signature: t=<unix seconds>,v1=<hex hmac-sha256(secret, "<t>.<body>")>
 * The key is the endpoint's whole secret string as UTF-8 ("whsec_…", prefix included); the body
 * is the raw request body, byte for byte. A receiver recomputes the HMAC over the bytes it got and
 * refuses a timestamp too far from its own clock (a replayed old request). Pure: the time comes in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Orderdesk-Signature';
const DEFAULT_TOLERANCE_SECONDS = 300;

type Body = string | Uint8Array;

/** hex hmac-sha256(secret, "<t>.<body>") */
function signaturePayloadHmac(secret: string, timestampSec: number, body: Body): string {
  return createHmac('sha256', secret)
    .update(`${timestampSec}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

/** The header value for `body` sent at `timestampSec`: `t=<unix>,v1=<hex>`. */
export function sign(secret: string, body: Body, timestampSec: number): string {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new RangeError(`timestamp must be whole unix seconds, got ${timestampSec}`);
  }
  return `t=${timestampSec},v1=${signaturePayloadHmac(secret, timestampSec, body)}`;
}

/**
 * Parses `t=…,v1=…[,v1=…]`: the timestamp and every v1 signature (more than one may come while a
 * secret is being rotated; unknown schemes are ignored). Null when malformed.
 */
export function parseSignatureHeader(header: string): { t: number; v1: string[] } | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== null || !/^\d{1,15}$/.test(value)) return null;
      t = Number(value);
    } else if (key === 'v1') {
      if (/^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
    }
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

/**
 * True when `header` is a valid signature of `body` (the raw bytes received) under `secret`, made
 * within `toleranceSec` of `nowSec` (the receiver's clock, unix seconds). Constant-time compare.
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  body: Body,
  nowSec: number,
  toleranceSec = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(nowSec - parsed.t) > toleranceSec) return false;
  const expected = Buffer.from(signaturePayloadHmac(secret, parsed.t, body), 'hex');
  return parsed.v1.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
