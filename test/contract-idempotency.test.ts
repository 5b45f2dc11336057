/**
 * Answers an Idempotency-Key never keeps (SPEC §1): a 429 (the request was put off, not run: a
 * client that obeys Retry-After must get in with the same key) and a 409 insufficient_balance
 * with decline_code balance_changed (the request lost a race with another payment of the account,
 * which the retry may win). Both release the key instead of storing the answer for 24 h.
 */
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKey } from '../src/db/idempotency.ts';
import type { DomainError } from '../src/domain/errors.ts';
import { errorHandler, sendError } from '../src/http/errors.ts';
import { isStoredAnswer, registerIdempotency } from '../src/http/idempotency.ts';
import { type Harness, harness } from './support/harness.ts';

/** Two writes a second per account: a burst of ten is sure to be limited. */
const WRITES_PER_SECOND = 2;

let h: Harness;
beforeAll(async () => {
  h = await harness({ ORDERDESK_RATE_WRITES_PER_SECOND: String(WRITES_PER_SECOND) });
});
afterAll(async () => {
  await h?.close();
});

function replayed(res: LightMyRequestResponse): boolean {
  return res.headers['idempotent-replayed'] === 'true';
}

const envelope = (error: Record<string, unknown>) =>
  JSON.stringify({ error: { ...error, request_id: 'req_x' } });

describe('which answers are stored under the key', () => {
  it.each([
    [200, '{"id":"ord_1"}', true],
    [422, envelope({ code: 'insufficient_inventory' }), true],
    [409, envelope({ code: 'insufficient_balance' }), true],
    [409, envelope({ code: 'insufficient_balance', decline_code: 'card_declined' }), true],
    [409, envelope({ code: 'invalid_state' }), true],
    [400, envelope({ code: 'invalid_request' }), false],
    [500, envelope({ code: 'api_error' }), false],
    [503, '', false],
    [429, envelope({ code: 'rate_limited' }), false],
    [409, envelope({ code: 'request_in_progress' }), false],
    [409, envelope({ code: 'insufficient_balance', decline_code: 'balance_changed' }), false],
  ])('%i %s → stored: %s', (status, payload, stored) => {
    expect(isStoredAnswer(status, payload)).toBe(stored);
  });
});

describe('a 429 is never the result of a key', () => {
  it('a rate-limited request leaves its key unclaimed, and the retry with it is no replay', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const quote = (idem: string) =>
      h.call('POST', '/v1/orders/quote', {
        key: c.key,
        body: { product: 'residential', gb: 1 },
        headers: { 'idempotency-key': idem },
      });
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => quote(`burst-${i}`)));
    const limited = burst.flatMap((r, i) => (r.statusCode === 429 ? [`burst-${i}`] : []));
    expect(limited.length).toBeGreaterThan(0);
    for (const idem of limited) expect(await readKey(h.db, c.id, idem)).toBeNull();

    const retry = await quote(limited[0]!);
    // within the second it is limited afresh, after it it runs: either way it is not a replay
    expect(replayed(retry)).toBe(false);
    expect([200, 429]).toContain(retry.statusCode);
  });
});

describe('a balance_changed race is never the result of a key', () => {
  const SCOPE = 'contract-test-scope';
  let app: FastifyInstance;
  let runs = 0;

  /** An app whose one route answers with `error` and counts how often it ran. */
  beforeAll(async () => {
    app = Fastify();
    app.setErrorHandler(errorHandler);
    registerIdempotency(app, h.deps, () => SCOPE);
    app.post<{ Body: DomainError }>('/answer', async (req, res) => {
      runs += 1;
      return sendError(res, req.body);
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const answer = (idem: string, error: DomainError) =>
    app.inject({ method: 'POST', url: '/answer', headers: { 'idempotency-key': idem }, payload: error });

  it('409 insufficient_balance with decline_code balance_changed releases the key: the retry runs again', async () => {
    const race: DomainError = {
      code: 'insufficient_balance',
      message: 'The balance changed while the order was paid',
      detail: { decline_code: 'balance_changed' },
    };
    const before = runs;
    const first = await answer('race-1', race);
    expect(first.statusCode).toBe(409);
    expect(first.json().error.decline_code).toBe('balance_changed');
    expect(await readKey(h.db, SCOPE, 'race-1')).toBeNull();

    const retry = await answer('race-1', race);
    expect(replayed(retry)).toBe(false);
    expect(runs - before).toBe(2);
  });

  it('a plain 409 insufficient_balance is stored and replayed, as before', async () => {
    const short: DomainError = { code: 'insufficient_balance', message: 'Balance 1.00 is short of 4.50' };
    const before = runs;
    expect((await answer('short-1', short)).statusCode).toBe(409);
    expect(await readKey(h.db, SCOPE, 'short-1')).toMatchObject({ state: 'done', statusCode: 409 });

    const retry = await answer('short-1', short);
    expect(retry.statusCode).toBe(409);
    expect(replayed(retry)).toBe(true);
    expect(runs - before).toBe(1);
  });
});
