import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, sign, verifySignature } from './webhook-signature.ts';

const SECRET = 'whsec_test';
const BODY = '{"a":1}';
// openssl: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
const KNOWN = '38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789';

describe('sign', () => {
  it('is t=<unix>,v1=<hex hmac-sha256(secret, "<t>.<body>")> (checked against openssl)', () => {
    expect(sign(SECRET, BODY, 1_700_000_000)).toBe(`t=1700000000,v1=${KNOWN}`);
  });

  it('signs the bytes: a string and its UTF-8 bytes give the same signature', () => {
    const body = '{"name":"Zoë 北京"}';
    expect(sign(SECRET, body, 1)).toBe(sign(SECRET, new TextEncoder().encode(body), 1));
  });

  it('refuses a timestamp that is not whole unix seconds', () => {
    expect(() => sign(SECRET, BODY, 1.5)).toThrow(RangeError);
    expect(() => sign(SECRET, BODY, -1)).toThrow(RangeError);
  });
});

describe('verifySignature', () => {
  const t = 1_700_000_000;
  const header = `t=${t},v1=${KNOWN}`;

  it('accepts the signature of the exact body within the tolerance', () => {
    expect(verifySignature(SECRET, header, BODY, t)).toBe(true);
    expect(verifySignature(SECRET, header, BODY, t + 300)).toBe(true);
    expect(verifySignature(SECRET, header, BODY, t - 300)).toBe(true);
  });

  it('refuses a timestamp more than 300 s (the default tolerance) from the receiver clock', () => {
    expect(verifySignature(SECRET, header, BODY, t + 301)).toBe(false);
    expect(verifySignature(SECRET, header, BODY, t - 301)).toBe(false);
    expect(verifySignature(SECRET, header, BODY, t + 3600, 3600)).toBe(true);
  });

  it('refuses another body, another secret, or a changed timestamp', () => {
    expect(verifySignature(SECRET, header, '{"a":2}', t)).toBe(false);
    expect(verifySignature(SECRET, header, `${BODY} `, t)).toBe(false);
    expect(verifySignature('whsec_other', header, BODY, t)).toBe(false);
    expect(verifySignature(SECRET, `t=${t + 1},v1=${KNOWN}`, BODY, t)).toBe(false);
  });

  it('accepts any one of several v1 signatures (secret rotation) and ignores unknown schemes', () => {
    const other = 'a'.repeat(64);
    expect(verifySignature(SECRET, `t=${t},v0=xyz,v1=${other},v1=${KNOWN}`, BODY, t)).toBe(true);
    expect(verifySignature(SECRET, `t=${t}, v1=${KNOWN.toUpperCase()}`, BODY, t)).toBe(true);
  });

  it.each([
    '',
    'garbage',
    `v1=${KNOWN}`,
    `t=${t}`,
    `t=abc,v1=${KNOWN}`,
    `t=${t},t=${t},v1=${KNOWN}`,
    `t=${t},v1=${KNOWN.slice(1)}`,
    `t=-${t},v1=${KNOWN}`,
    `t=${t},,v1=${KNOWN}`,
  ])('refuses the malformed header %j', (h) => {
    expect(verifySignature(SECRET, h, BODY, t)).toBe(false);
  });

  it('refuses a missing header', () => {
    expect(verifySignature(SECRET, undefined, BODY, t)).toBe(false);
    expect(verifySignature(SECRET, null, BODY, t)).toBe(false);
  });

  it('round-trips: whatever is signed verifies, and any other body does not (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.string(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (secret, body, other, ts) => {
          const h = sign(secret, body, ts);
          expect(parseSignatureHeader(h)?.t).toBe(ts);
          expect(verifySignature(secret, h, body, ts)).toBe(true);
          if (other !== body) expect(verifySignature(secret, h, other, ts)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
