import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPglite } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import type { CardInput, PaymentGateway } from './payment-gateway.ts';
import { cardBrand, luhnValid, sandboxGateway } from './sandbox-gateway.ts';

const NOW = new Date('2025-06-15T12:00:00Z');

let db: Db;
let gw: PaymentGateway;
let keySeq = 0;
const newKey = () => `test-key-${++keySeq}`;

beforeAll(async () => {
  db = await openPglite();
  await migrate(db);
  gw = sandboxGateway(db);
});

afterAll(async () => {
  await db.close();
});

function card(number: string, over: Partial<CardInput> = {}): CardInput {
  return { number, expMonth: 12, expYear: 2030, cvc: '123', ...over };
}

async function tokenFor(number: string): Promise<string> {
  const r = await gw.createCard(card(number), NOW);
  if (!r.ok) throw new Error(`card ${number} rejected: ${r.code}`);
  return r.token;
}

async function refundRows(key: string): Promise<{ status: string; failure_code: string | null }[]> {
  return db.query('SELECT status, failure_code FROM sandbox_refunds WHERE idempotency_key = $1', [key]);
}

async function chargeRows(key: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM sandbox_charges WHERE idempotency_key = $1',
    [key],
  );
  return rows[0]!.n;
}

describe('sandbox gateway: test cards (SPEC §5)', () => {
  it('has the name sandbox', () => {
    expect(gw.name).toBe('sandbox');
  });

  it('4242 4242 4242 4242 succeeds', async () => {
    const created = await gw.createCard(card('4242 4242 4242 4242'), NOW);
    expect(created).toMatchObject({ ok: true, brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 });
    if (!created.ok) throw new Error('unreachable');
    expect(created.token).toMatch(/^tok_sandbox_[0-9a-f]+$/);
    const r = await gw.charge({
      token: created.token,
      amountCents: 2500,
      idempotencyKey: newKey(),
      now: NOW,
    });
    expect(r.status).toBe('succeeded');
    if (r.status === 'succeeded') expect(r.chargeId).toMatch(/^ch_sandbox_[0-9a-f]+$/);
  });

  it('4000 0000 0000 0002 declines card_declined', async () => {
    const token = await tokenFor('4000 0000 0000 0002');
    const r = await gw.charge({ token, amountCents: 2500, idempotencyKey: newKey(), now: NOW });
    expect(r).toMatchObject({ status: 'declined', code: 'card_declined' });
  });

  it('4000 0000 0000 9995 declines insufficient_funds', async () => {
    const token = await tokenFor('4000-0000-0000-9995');
    const r = await gw.charge({ token, amountCents: 2500, idempotencyKey: newKey(), now: NOW });
    expect(r).toMatchObject({ status: 'declined', code: 'insufficient_funds' });
  });

  it('any other Luhn-valid number succeeds', async () => {
    const token = await tokenFor('5555555555554444');
    const r = await gw.charge({ token, amountCents: 100, idempotencyKey: newKey(), now: NOW });
    expect(r.status).toBe('succeeded');
  });

  it('an unknown token declines card_declined with a message', async () => {
    const r = await gw.charge({
      token: 'tok_sandbox_nope',
      amountCents: 100,
      idempotencyKey: newKey(),
      now: NOW,
    });
    expect(r.status).toBe('declined');
    if (r.status === 'declined') {
      expect(r.code).toBe('card_declined');
      expect(r.message).toMatch(/token/);
    }
  });

  it('a declined charge is recorded and found', async () => {
    const token = await tokenFor('4000000000000002');
    const key = newKey();
    const first = await gw.charge({ token, amountCents: 700, idempotencyKey: key, now: NOW });
    const again = await gw.charge({ token, amountCents: 700, idempotencyKey: key, now: NOW });
    expect(again).toEqual(first);
    expect(await gw.findCharge(key)).toMatchObject({
      status: 'declined',
      amountCents: 700,
      refundedCents: 0,
    });
  });

  it('rejects a non-positive or fractional amount as a bug', async () => {
    const token = await tokenFor('4242424242424242');
    for (const amountCents of [0, -5, 1.5, Number.NaN]) {
      await expect(gw.charge({ token, amountCents, idempotencyKey: newKey(), now: NOW })).rejects.toThrow(
        RangeError,
      );
    }
  });
});

describe('sandbox gateway: card validation', () => {
  it('computes Luhn and brands', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(cardBrand('4111111111111111')).toBe('visa');
    expect(cardBrand('5105105105105100')).toBe('mastercard');
    expect(cardBrand('2223003122003222')).toBe('mastercard');
    expect(cardBrand('378282246310005')).toBe('amex');
    expect(cardBrand('341111111111111')).toBe('amex');
    expect(cardBrand('6011111111111117')).toBe('unknown');
  });

  it('returns brand, last 4 and expiry for valid cards', async () => {
    expect(await gw.createCard(card('3782 822463 10005', { cvc: '1234' }), NOW)).toMatchObject({
      ok: true,
      brand: 'amex',
      last4: '0005',
    });
    expect(await gw.createCard(card('2223 0031 2200 3222'), NOW)).toMatchObject({
      ok: true,
      brand: 'mastercard',
    });
  });

  it.each([
    ['a failing Luhn checksum', '4242 4242 4242 4241'],
    ['letters', '4242 4242 4242 424a'],
    ['too few digits', '42424242424'],
    ['too many digits', '42424242424242424242'],
    ['an empty number', ''],
    ['other separators', '4242.4242.4242.4242'],
  ])('rejects %s as card_invalid', async (_what, number) => {
    expect(await gw.createCard(card(number), NOW)).toMatchObject({ ok: false, code: 'card_invalid' });
  });

  it.each([
    ['last month', { expMonth: 5, expYear: 2025 }],
    ['last year', { expMonth: 12, expYear: 2024 }],
    ['month 0', { expMonth: 0, expYear: 2030 }],
    ['month 13', { expMonth: 13, expYear: 2030 }],
    ['a fractional month', { expMonth: 6.5, expYear: 2030 }],
  ])('rejects an expiry of %s as card_expired', async (_what, exp) => {
    expect(await gw.createCard(card('4242424242424242', exp), NOW)).toMatchObject({
      ok: false,
      code: 'card_expired',
    });
  });

  it('reads a two-digit year as 20yy', async () => {
    expect(await gw.createCard(card('4242424242424242', { expYear: 30 }), NOW)).toMatchObject({
      ok: true,
      expYear: 2030,
    });
  });

  it('accepts a card expiring this month', async () => {
    expect(await gw.createCard(card('4242424242424242', { expMonth: 6, expYear: 2025 }), NOW)).toMatchObject({
      ok: true,
    });
  });

  it.each(['12', '12345', '12a', ''])('rejects cvc %j as card_invalid', async (cvc) => {
    expect(await gw.createCard(card('4242424242424242', { cvc }), NOW)).toMatchObject({
      ok: false,
      code: 'card_invalid',
    });
  });

  it('stores no card number in any table', async () => {
    const numbers = ['4242424242424242', '4000000000000002', '4000000000009995', '5555555555554444'];
    for (const n of numbers) {
      const token = await tokenFor(n.replace(/(\d{4})(?=\d)/g, '$1 '));
      await gw.charge({ token, amountCents: 300, idempotencyKey: newKey(), now: NOW });
    }
    const cards = await db.query('SELECT * FROM sandbox_cards');
    const charges = await db.query('SELECT * FROM sandbox_charges');
    expect(cards.length).toBeGreaterThan(0);
    expect(charges.length).toBeGreaterThan(0);
    const dump = JSON.stringify([cards, charges]);
    for (const n of numbers) {
      expect(dump).not.toContain(n);
      expect(dump).not.toContain(n.replace(/(\d{4})(?=\d)/g, '$1 '));
    }
  });
});

describe('sandbox gateway: idempotent charges', () => {
  it('the same key twice returns the same charge and makes one row', async () => {
    const token = await tokenFor('4242424242424242');
    const key = newKey();
    const a = await gw.charge({ token, amountCents: 1234, idempotencyKey: key, now: NOW });
    const b = await gw.charge({ token, amountCents: 1234, idempotencyKey: key, now: NOW });
    expect(a.status).toBe('succeeded');
    expect(b).toEqual(a);
    expect(await chargeRows(key)).toBe(1);
  });

  it('10 concurrent calls with one key make one charge', async () => {
    const token = await tokenFor('4242424242424242');
    const key = newKey();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => gw.charge({ token, amountCents: 999, idempotencyKey: key, now: NOW })),
    );
    expect(results[0]!.status).toBe('succeeded');
    for (const r of results) expect(r).toEqual(results[0]);
    expect(await chargeRows(key)).toBe(1);
  });

  it('reusing a key for a different amount or card is a bug', async () => {
    const token = await tokenFor('4242424242424242');
    const other = await tokenFor('4242424242424242');
    const key = newKey();
    await gw.charge({ token, amountCents: 500, idempotencyKey: key, now: NOW });
    await expect(gw.charge({ token, amountCents: 501, idempotencyKey: key, now: NOW })).rejects.toThrow(
      /idempotency key/,
    );
    await expect(
      gw.charge({ token: other, amountCents: 500, idempotencyKey: key, now: NOW }),
    ).rejects.toThrow(/idempotency key/);
    expect(await chargeRows(key)).toBe(1);
  });

  it('findCharge returns what the gateway knows, or null', async () => {
    const token = await tokenFor('4242424242424242');
    const key = newKey();
    expect(await gw.findCharge(key)).toBeNull();
    const r = await gw.charge({ token, amountCents: 4200, idempotencyKey: key, now: NOW });
    if (r.status !== 'succeeded') throw new Error('expected success');
    expect(await gw.findCharge(key)).toEqual({
      chargeId: r.chargeId,
      status: 'succeeded',
      amountCents: 4200,
      refundedCents: 0,
    });
  });
});

describe('sandbox gateway: refunds', () => {
  async function charged(amountCents: number): Promise<{ chargeId: string; key: string }> {
    const token = await tokenFor('4242424242424242');
    const key = newKey();
    const r = await gw.charge({ token, amountCents, idempotencyKey: key, now: NOW });
    if (r.status !== 'succeeded') throw new Error('expected success');
    return { chargeId: r.chargeId, key };
  }

  it('refunds the full amount once', async () => {
    const { chargeId, key } = await charged(1000);
    expect(await gw.refund({ chargeId, amountCents: 1000, idempotencyKey: newKey(), now: NOW })).toEqual({
      status: 'succeeded',
    });
    expect((await gw.findCharge(key))!.refundedCents).toBe(1000);
    expect(await gw.refund({ chargeId, amountCents: 1, idempotencyKey: newKey(), now: NOW })).toMatchObject({
      status: 'failed',
      code: 'amount_too_large',
    });
  });

  it('refunds in parts up to the charged amount', async () => {
    const { chargeId, key } = await charged(1000);
    expect(await gw.refund({ chargeId, amountCents: 300, idempotencyKey: newKey(), now: NOW })).toEqual({
      status: 'succeeded',
    });
    expect(await gw.refund({ chargeId, amountCents: 800, idempotencyKey: newKey(), now: NOW })).toMatchObject(
      {
        status: 'failed',
        code: 'amount_too_large',
      },
    );
    expect(await gw.refund({ chargeId, amountCents: 700, idempotencyKey: newKey(), now: NOW })).toEqual({
      status: 'succeeded',
    });
    expect(await gw.findCharge(key)).toMatchObject({ amountCents: 1000, refundedCents: 1000 });
  });

  it('refuses more than the charge', async () => {
    const { chargeId, key } = await charged(500);
    expect(await gw.refund({ chargeId, amountCents: 501, idempotencyKey: newKey(), now: NOW })).toMatchObject(
      {
        status: 'failed',
        code: 'amount_too_large',
      },
    );
    expect((await gw.findCharge(key))!.refundedCents).toBe(0);
  });

  it('concurrent refunds never exceed the charge', async () => {
    const { chargeId, key } = await charged(1000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        gw.refund({ chargeId, amountCents: 300, idempotencyKey: newKey(), now: NOW }),
      ),
    );
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(3);
    expect((await gw.findCharge(key))!.refundedCents).toBe(900);
  });

  it('an unknown charge fails no_such_charge', async () => {
    expect(
      await gw.refund({
        chargeId: 'ch_sandbox_missing',
        amountCents: 100,
        idempotencyKey: newKey(),
        now: NOW,
      }),
    ).toMatchObject({ status: 'failed', code: 'no_such_charge' });
  });

  it('a declined charge cannot be refunded', async () => {
    const token = await tokenFor('4000000000009995');
    const key = newKey();
    await gw.charge({ token, amountCents: 100, idempotencyKey: key, now: NOW });
    const { chargeId } = (await gw.findCharge(key))!;
    expect(await gw.refund({ chargeId, amountCents: 100, idempotencyKey: newKey(), now: NOW })).toMatchObject(
      {
        status: 'failed',
        code: 'charge_not_refundable',
      },
    );
  });
});

describe('sandbox gateway: idempotent refunds', () => {
  async function charged(number: string, amountCents: number): Promise<{ chargeId: string; key: string }> {
    const token = await tokenFor(number);
    const key = newKey();
    const r = await gw.charge({ token, amountCents, idempotencyKey: key, now: NOW });
    if (r.status !== 'succeeded') throw new Error('expected success');
    return { chargeId: r.chargeId, key };
  }

  it('the same key twice refunds once and returns the first outcome', async () => {
    const { chargeId, key } = await charged('4242424242424242', 1000);
    const refundKey = newKey();
    const first = await gw.refund({ chargeId, amountCents: 400, idempotencyKey: refundKey, now: NOW });
    const again = await gw.refund({ chargeId, amountCents: 400, idempotencyKey: refundKey, now: NOW });
    expect(first).toEqual({ status: 'succeeded' });
    expect(again).toEqual(first);
    expect((await gw.findCharge(key))!.refundedCents).toBe(400);
    expect(await refundRows(refundKey)).toEqual([{ status: 'succeeded', failure_code: null }]);
  });

  it('10 concurrent refunds with one key refund once', async () => {
    const { chargeId, key } = await charged('4242424242424242', 1000);
    const refundKey = newKey();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        gw.refund({ chargeId, amountCents: 300, idempotencyKey: refundKey, now: NOW }),
      ),
    );
    for (const r of results) expect(r).toEqual({ status: 'succeeded' });
    expect((await gw.findCharge(key))!.refundedCents).toBe(300);
    expect(await refundRows(refundKey)).toHaveLength(1);
  });

  it('a failed refund is stored, and a repeat of its key returns the same failure', async () => {
    const { chargeId, key } = await charged('4242424242424242', 1000);
    const tooMuch = newKey();
    const first = await gw.refund({ chargeId, amountCents: 1001, idempotencyKey: tooMuch, now: NOW });
    expect(first).toMatchObject({ status: 'failed', code: 'amount_too_large' });
    expect(await gw.refund({ chargeId, amountCents: 1001, idempotencyKey: tooMuch, now: NOW })).toEqual(
      first,
    );
    expect(await refundRows(tooMuch)).toEqual([{ status: 'failed', failure_code: 'amount_too_large' }]);

    const partial = newKey();
    const a = await gw.refund({ chargeId, amountCents: 800, idempotencyKey: partial, now: NOW });
    expect(a).toEqual({ status: 'succeeded' });
    // A second key for the rest fails, then (after nothing changes) a repeat of it still fails.
    const rest = newKey();
    const b = await gw.refund({ chargeId, amountCents: 300, idempotencyKey: rest, now: NOW });
    expect(b).toMatchObject({ status: 'failed', code: 'amount_too_large' });
    expect(await gw.refund({ chargeId, amountCents: 300, idempotencyKey: rest, now: NOW })).toEqual(b);
    expect((await gw.findCharge(key))!.refundedCents).toBe(800);
  });

  it('reusing a refund key for a different amount or charge is a bug', async () => {
    const { chargeId, key } = await charged('4242424242424242', 1000);
    const other = await charged('4242424242424242', 1000);
    const refundKey = newKey();
    await gw.refund({ chargeId, amountCents: 100, idempotencyKey: refundKey, now: NOW });
    await expect(
      gw.refund({ chargeId, amountCents: 101, idempotencyKey: refundKey, now: NOW }),
    ).rejects.toThrow(/idempotency key/);
    await expect(
      gw.refund({ chargeId: other.chargeId, amountCents: 100, idempotencyKey: refundKey, now: NOW }),
    ).rejects.toThrow(/idempotency key/);
    expect((await gw.findCharge(key))!.refundedCents).toBe(100);
    expect((await gw.findCharge(other.key))!.refundedCents).toBe(0);
  });

  it('rejects an empty refund key or a bad amount as a bug', async () => {
    const { chargeId } = await charged('4242424242424242', 1000);
    await expect(gw.refund({ chargeId, amountCents: 100, idempotencyKey: '', now: NOW })).rejects.toThrow(
      /idempotency key/,
    );
    await expect(gw.refund({ chargeId, amountCents: 0, idempotencyKey: newKey(), now: NOW })).rejects.toThrow(
      RangeError,
    );
  });

  it('a refund of an unknown charge is not stored', async () => {
    const refundKey = newKey();
    const r = await gw.refund({
      chargeId: 'ch_sandbox_missing',
      amountCents: 100,
      idempotencyKey: refundKey,
      now: NOW,
    });
    expect(r).toMatchObject({ status: 'failed', code: 'no_such_charge' });
    expect(await refundRows(refundKey)).toEqual([]);
  });

  it('4000 0000 0000 0341 charges, then its refunds fail refund_failed_by_issuer', async () => {
    const created = await gw.createCard(card('4000 0000 0000 0341'), NOW);
    expect(created).toMatchObject({ ok: true, brand: 'visa', last4: '0341' });
    const { chargeId, key } = await charged('4000 0000 0000 0341', 1500);
    expect(await gw.findCharge(key)).toMatchObject({ chargeId, status: 'succeeded', amountCents: 1500 });

    const refundKey = newKey();
    const r = await gw.refund({ chargeId, amountCents: 1500, idempotencyKey: refundKey, now: NOW });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') {
      expect(r.code).toBe('refund_failed_by_issuer');
      expect(r.message).toMatch(/issuer/);
    }
    expect(await gw.refund({ chargeId, amountCents: 1500, idempotencyKey: refundKey, now: NOW })).toEqual(r);
    expect(await refundRows(refundKey)).toEqual([
      { status: 'failed', failure_code: 'refund_failed_by_issuer' },
    ]);
    // A new key fails the same way, and nothing was refunded.
    expect(await gw.refund({ chargeId, amountCents: 100, idempotencyKey: newKey(), now: NOW })).toMatchObject(
      {
        status: 'failed',
        code: 'refund_failed_by_issuer',
      },
    );
    expect((await gw.findCharge(key))!.refundedCents).toBe(0);
  });
});
