/**
 * The console's sessions (SPEC §1, §10; issue 10 item 2): sign-up, login (argon2id, one answer
 * for a wrong email and a wrong password, 10 attempts a minute per address), the session cookie
 * (HttpOnly, SameSite=Lax, Path=/) accepted by the customer API, the CSRF token on every
 * cookie-authenticated write, logout, expiry on the injected clock, and the demo account.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_SECONDS } from '../src/app/accounts/open-session.ts';
import { loadDemo } from '../src/demo.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { type Harness, harness } from './support/harness.ts';
import { RESIDENTIAL_225 } from './support/orders.ts';

let h: Harness;
let dataDir: string;

beforeAll(async () => {
  // loadDemo keeps the demo's credentials in DATA_DIR/demo.json
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-session-'));
  h = await harness({ DATA_DIR: dataDir });
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
const email = () => `s${++n}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** A session as the browser holds it: the cookie's value and the CSRF token the console keeps. */
interface Session {
  cookie: string;
  csrf: string;
  accountId: string;
}

let address = 0;
/** Every login of this file comes from its own address unless told, so the limiter test owns its one. */
const nextAddress = () => `10.9.${Math.floor(++address / 250)}.${(address % 250) + 1}`;

function send(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  opts: {
    session?: Pick<Session, 'cookie'> & { csrf?: string | undefined };
    key?: string;
    body?: unknown;
    headers?: Record<string, string>;
    remoteAddress?: string;
  } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.session) headers.cookie = `orderdesk_session=${opts.session.cookie}`;
  if (opts.session?.csrf !== undefined) headers['x-csrf-token'] = opts.session.csrf;
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  return h.app.inject({
    method,
    url,
    headers,
    remoteAddress: opts.remoteAddress ?? nextAddress(),
    ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
}

function sessionOf(res: LightMyRequestResponse): Session {
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((c) => c.name === 'orderdesk_session');
  expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const body = res.json();
  return { cookie: cookie!.value, csrf: body.csrf_token, accountId: body.account.id };
}

async function signUp(opts: { password?: string; name?: string } = {}) {
  const addr = email();
  const res = await send('POST', '/v1/signup', {
    body: { email: addr, password: opts.password ?? 'correct horse', name: opts.name ?? 'Console User' },
  });
  return { email: addr, res, session: sessionOf(res) };
}

/** A 429 rate_limited whose Retry-After (s) is above `min` and at most `max`, with no cookie set. */
function expectRateLimited(res: LightMyRequestResponse, min: number, max: number) {
  expect(res.statusCode).toBe(429);
  expect(res.json().error.code).toBe('rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(min);
  expect(retryAfter).toBeLessThanOrEqual(max);
  expect(res.headers['set-cookie']).toBeUndefined();
}

/** Funds an account through the operator API. */
async function fund(accountId: string, usd: number) {
  const res = await h.call('POST', `/admin/v1/accounts/${accountId}/balance-adjustments`, {
    admin: true,
    body: { amount_usd: usd, reason: 'test funds' },
  });
  expect(res.statusCode, res.body).toBe(200);
}

describe('POST /v1/signup', () => {
  it('creates the account, answers the session and sets an HttpOnly, SameSite=Lax, Path=/ cookie', async () => {
    const { email: addr, res, session } = await signUp({ name: 'Ada' });
    const body = res.json();
    expect(body).toMatchObject({
      object: 'session',
      account: { object: 'account', email: addr, name: 'Ada', balance_usd: 0, kyc_status: 'not_submitted' },
    });
    expect(body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.account.pools).toBeDefined();

    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^orderdesk_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${SESSION_SECONDS}`);
    // the request came over plain http
    expect(setCookie).not.toContain('Secure');

    // the customer API takes the cookie: the account as GET /v1/account shows it is the session's
    const account = await send('GET', '/v1/account', { session: { cookie: session.cookie } });
    expect(account.statusCode, account.body).toBe(200);
    expect(account.json()).toEqual(body.account);

    // after a reload the console learns the account and the same CSRF token
    const again = await send('GET', '/v1/session', { session: { cookie: session.cookie } });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(body);
  });

  it('a taken email (in any case) is 409 email_taken; a short password is 400', async () => {
    const { email: addr } = await signUp();
    const taken = await send('POST', '/v1/signup', {
      body: { email: addr.toUpperCase(), password: 'another password', name: 'Twin' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('email_taken');
    expect(taken.headers['set-cookie']).toBeUndefined();

    const short = await send('POST', '/v1/signup', {
      body: { email: email(), password: 'short', name: 'X' },
    });
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatchObject({ code: 'invalid_request', param: 'password' });
  });

  it('the 11th sign-up in an hour from one address is 429 with Retry-After and creates nothing; another address still signs up', async () => {
    const from = '192.0.2.91';
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await send('POST', '/v1/signup', {
        // a refused one counts too (the limit is checked before the body is read)
        body: { email: i === 3 ? 'not an email' : email(), password: 'correct horse', name: 'Many' },
        remoteAddress: from,
      });
      answers.push(res.statusCode);
    }
    expect(answers).toEqual([200, 200, 200, 400, 200, 200, 200, 200, 200, 200]);
    const addr = email();
    const eleventh = await send('POST', '/v1/signup', {
      body: { email: addr, password: 'correct horse', name: 'Many' },
      remoteAddress: from,
    });
    expectRateLimited(eleventh, 60, 3600);
    const [made] = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM accounts WHERE email = $1',
      [addr],
    );
    expect(made!.n).toBe(0);

    // counted per address, and on sign-up only: logging in from it still works
    const elsewhere = await send('POST', '/v1/signup', {
      body: { email: addr, password: 'correct horse', name: 'Many' },
      remoteAddress: '192.0.2.92',
    });
    expect(elsewhere.statusCode).toBe(200);
    const login = await send('POST', '/v1/session', {
      body: { email: addr, password: 'correct horse' },
      remoteAddress: from,
    });
    expect(login.statusCode).toBe(200);
  });

  it('the password is stored as an argon2id hash, never as sent', async () => {
    const { session } = await signUp({ password: 'plain text never stored' });
    const [row] = await h.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM accounts WHERE id = $1',
      [session.accountId],
    );
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const [stored] = await h.db.query<{ token_hash: string; n: number }>(
      'SELECT token_hash, (SELECT count(*)::int FROM sessions WHERE token_hash = $2) AS n FROM sessions WHERE account_id = $1',
      [session.accountId, session.cookie],
    );
    // only the cookie's sha256 is kept
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.n).toBe(0);
  });
});

describe('POST /v1/session', () => {
  it('the demo account printed by npm start logs in with its printed password and sees 500.00', async () => {
    const demo = await loadDemo(h.deps);
    expect(demo).toMatchObject({ email: 'demo@orderdesk.local', password: 'demo-password' });
    const res = await send('POST', '/v1/session', {
      body: { email: 'demo@orderdesk.local', password: 'demo-password' },
    });
    const session = sessionOf(res);
    expect(res.json().account).toMatchObject({
      email: 'demo@orderdesk.local',
      balance_usd: 500,
      kyc_status: 'approved',
    });
    expect(res.body).toContain('"balance_usd":500.00');
    const account = await send('GET', '/v1/account', { session: { cookie: session.cookie } });
    expect(account.body).toContain('"balance_usd":500.00');
  });

  it('logs in an account an operator made with a password (email in any case); each login is a new session', async () => {
    const addr = email();
    const made = await h.call('POST', '/admin/v1/accounts', {
      admin: true,
      body: { email: addr, name: 'Operator Made', password: 'operator-set-pw' },
    });
    expect(made.statusCode, made.body).toBe(200);
    const a = sessionOf(
      await send('POST', '/v1/session', { body: { email: addr, password: 'operator-set-pw' } }),
    );
    const b = sessionOf(
      await send('POST', '/v1/session', {
        body: { email: ` ${addr.toUpperCase()} `, password: 'operator-set-pw' },
      }),
    );
    expect(a.accountId).toBe(made.json().id);
    expect(b.accountId).toBe(a.accountId);
    expect(b.cookie).not.toBe(a.cookie);
    expect(b.csrf).not.toBe(a.csrf);
  });

  it('a wrong password, an unknown email and an account without a password get the same 401', async () => {
    const { email: addr } = await signUp({ password: 'the right one' });
    const wrong = await send('POST', '/v1/session', { body: { email: addr, password: 'the wrong one' } });
    const unknown = await send('POST', '/v1/session', {
      body: { email: `nobody-${addr}`, password: 'the right one' },
    });
    const apiOnly = await h.customer();
    const [row] = await h.db.query<{ email: string }>('SELECT email FROM accounts WHERE id = $1', [
      apiOnly.id,
    ]);
    const noPassword = await send('POST', '/v1/session', {
      body: { email: row!.email, password: 'anything at all' },
    });
    for (const res of [wrong, unknown, noPassword]) {
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
      expect(res.json().error.param).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(unknown.json().error.message).toBe(wrong.json().error.message);
    expect(noPassword.json().error.message).toBe(wrong.json().error.message);
  });

  it('a suspended account can log in (it can still read)', async () => {
    const { email: addr, session } = await signUp({ password: 'suspended pw' });
    await h.db.query(`UPDATE accounts SET status = 'suspended' WHERE id = $1`, [session.accountId]);
    const res = await send('POST', '/v1/session', { body: { email: addr, password: 'suspended pw' } });
    expect(sessionOf(res).accountId).toBe(session.accountId);
    expect(res.json().account.status).toBe('suspended');
  });

  it('the 11th attempt in a minute from one address is 429 with Retry-After; another address still logs in', async () => {
    const { email: addr } = await signUp({ password: 'limited pw 1' });
    const from = '192.0.2.77';
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await send('POST', '/v1/session', {
        body: { email: addr, password: i === 9 ? 'limited pw 1' : 'wrong guess' },
        remoteAddress: from,
      });
      answers.push(res.statusCode);
    }
    expect(answers).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 200]);
    const eleventh = await send('POST', '/v1/session', {
      body: { email: addr, password: 'limited pw 1' },
      remoteAddress: from,
    });
    expectRateLimited(eleventh, 0, 60);

    // counted per address, and on the login route only
    const elsewhere = await send('POST', '/v1/session', {
      body: { email: addr, password: 'limited pw 1' },
      remoteAddress: '192.0.2.78',
    });
    expect(elsewhere.statusCode).toBe(200);
    const session = await send('GET', '/v1/session', {
      session: { cookie: sessionOf(elsewhere).cookie },
      remoteAddress: from,
    });
    expect(session.statusCode).toBe(200);
  });
});

describe('the session cookie on the customer API', () => {
  it('a cookie-authenticated write needs the X-CSRF-Token: without it 403 and nothing is created; with it the 225.00 order', async () => {
    const { session } = await signUp();
    await fund(session.accountId, 300);

    const without = await send('POST', '/v1/orders', {
      session: { cookie: session.cookie },
      body: RESIDENTIAL_225,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('forbidden');
    expect(without.json().error.message).toContain('X-CSRF-Token');

    const wrong = await send('POST', '/v1/orders', {
      session: { cookie: session.cookie, csrf: 'not-the-token' },
      body: RESIDENTIAL_225,
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('forbidden');

    const none = await send('GET', '/v1/orders', { session: { cookie: session.cookie } });
    expect(none.json().data).toEqual([]);
    expect(
      (await send('GET', '/v1/account', { session: { cookie: session.cookie } })).json().balance_usd,
    ).toBe(300);

    const placed = await send('POST', '/v1/orders', { session, body: RESIDENTIAL_225 });
    expect(placed.statusCode, placed.body).toBe(200);
    expect(placed.body).toContain('"total_usd":225.00');
    const list = await send('GET', '/v1/orders', { session: { cookie: session.cookie } });
    expect(list.json().data.map((o: { id: string }) => o.id)).toEqual([placed.json().id]);
    expect(
      (await send('GET', '/v1/account', { session: { cookie: session.cookie } })).json().balance_usd,
    ).toBe(75);
  });

  it('Idempotency-Key works the same with the cookie (scoped to the account)', async () => {
    const { session } = await signUp();
    await fund(session.accountId, 500);
    const headers = { 'idempotency-key': 'console-order-1' };
    const first = await send('POST', '/v1/orders', { session, body: RESIDENTIAL_225, headers });
    const again = await send('POST', '/v1/orders', { session, body: RESIDENTIAL_225, headers });
    expect(first.statusCode, first.body).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    const list = await send('GET', '/v1/orders', { session: { cookie: session.cookie } });
    expect(list.json().data).toHaveLength(1);
  });

  it('a Bearer request needs no CSRF token, and the Authorization header wins over the cookie', async () => {
    const { session } = await signUp();
    const other = await h.customer({ balanceUsd: 500 });
    const placed = await send('POST', '/v1/orders', { key: other.key, body: RESIDENTIAL_225 });
    expect(placed.statusCode, placed.body).toBe(200);

    // both: the key's account answers
    const both = await send('GET', '/v1/account', { key: other.key, session: { cookie: session.cookie } });
    expect(both.json().id).toBe(other.id);
    // a write with both needs no token: the key authenticates it
    const write = await send('POST', '/v1/orders', {
      key: other.key,
      session: { cookie: session.cookie },
      body: RESIDENTIAL_225,
    });
    expect(write.statusCode, write.body).toBe(200);
    // a bad key is 401 even with a good cookie
    const badKey = await send('GET', '/v1/account', {
      key: 'od_live_nope',
      session: { cookie: session.cookie },
    });
    expect(badKey.statusCode).toBe(401);
  });

  it('one session’s CSRF token does not work with another session’s cookie (even of the same account)', async () => {
    const { email: addr, session: a } = await signUp({ password: 'two sessions' });
    const b = sessionOf(
      await send('POST', '/v1/session', { body: { email: addr, password: 'two sessions' } }),
    );
    await fund(a.accountId, 500);
    const crossed = await send('POST', '/v1/orders', {
      session: { cookie: b.cookie, csrf: a.csrf },
      body: RESIDENTIAL_225,
    });
    expect(crossed.statusCode).toBe(403);
    const other = await signUp();
    const otherAccount = await send('POST', '/v1/orders', {
      session: { cookie: other.session.cookie, csrf: a.csrf },
      body: RESIDENTIAL_225,
    });
    expect(otherAccount.statusCode).toBe(403);
    expect((await send('GET', '/v1/orders', { session: { cookie: a.cookie } })).json().data).toEqual([]);
  });

  it('another tenant’s session cannot read this account’s order (404)', async () => {
    const owner = await signUp();
    await fund(owner.session.accountId, 300);
    const placed = await send('POST', '/v1/orders', { session: owner.session, body: RESIDENTIAL_225 });
    expect(placed.statusCode, placed.body).toBe(200);
    const id = placed.json().id as string;
    expect(
      (await send('GET', `/v1/orders/${id}`, { session: { cookie: owner.session.cookie } })).statusCode,
    ).toBe(200);
    const stranger = await signUp();
    const peek = await send('GET', `/v1/orders/${id}`, { session: { cookie: stranger.session.cookie } });
    expect(peek.statusCode).toBe(404);
    expect(peek.json().error.code).toBe('not_found');
    const cancel = await send('POST', `/v1/orders/${id}/cancel`, { session: stranger.session, body: {} });
    expect(cancel.statusCode).toBe(404);
  });

  it('no cookie, an unknown cookie or a cookie without a session: 401', async () => {
    expect((await send('GET', '/v1/account')).statusCode).toBe(401);
    expect((await send('GET', '/v1/account', { session: { cookie: 'made-up-token' } })).statusCode).toBe(401);
    expect((await send('GET', '/v1/session')).statusCode).toBe(401);
    expect((await send('GET', '/v1/session', { session: { cookie: 'made-up-token' } })).statusCode).toBe(401);
  });
});

describe('DELETE /v1/session and expiry', () => {
  it('logout needs the CSRF token, ends the session server-side and clears the cookie; the cookie no longer works', async () => {
    const { session } = await signUp();
    const noToken = await send('DELETE', '/v1/session', { session: { cookie: session.cookie } });
    expect(noToken.statusCode).toBe(403);
    expect((await send('GET', '/v1/account', { session: { cookie: session.cookie } })).statusCode).toBe(200);

    const out = await send('DELETE', '/v1/session', { session });
    expect(out.statusCode, out.body).toBe(200);
    expect(out.json()).toEqual({ object: 'session', deleted: true });
    const cleared = String(out.headers['set-cookie']);
    expect(cleared).toMatch(/^orderdesk_session=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    expect(cleared).toContain('Path=/');

    // the browser may still send it: the server refuses it
    expect((await send('GET', '/v1/account', { session: { cookie: session.cookie } })).statusCode).toBe(401);
    expect((await send('GET', '/v1/session', { session: { cookie: session.cookie } })).statusCode).toBe(401);
    expect((await send('POST', '/v1/orders', { session, body: RESIDENTIAL_225 })).statusCode).toBe(401);
    expect((await send('DELETE', '/v1/session', { session })).statusCode).toBe(401);
  });

  it('logging out one session leaves the account’s other sessions alive', async () => {
    const { email: addr, session: a } = await signUp({ password: 'keep the other' });
    const b = sessionOf(
      await send('POST', '/v1/session', { body: { email: addr, password: 'keep the other' } }),
    );
    expect((await send('DELETE', '/v1/session', { session: a })).statusCode).toBe(200);
    expect((await send('GET', '/v1/account', { session: { cookie: b.cookie } })).statusCode).toBe(200);
  });

  it('the purge job deletes sessions a week after they ended (logged out or expired), and only those', async () => {
    const { email: addr, session: kept } = await signUp({ password: 'purge me later' });
    const out = sessionOf(
      await send('POST', '/v1/session', { body: { email: addr, password: 'purge me later' } }),
    );
    expect((await send('DELETE', '/v1/session', { session: out })).statusCode).toBe(200);
    const rows = async () =>
      (
        await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE account_id = $1', [
          kept.accountId,
        ])
      )[0]!.n;
    const purge = () => jobKinds.purge_sessions!.handler(h.deps, {} as never);
    await h.clock.advance(7 * 86_400 - 60);
    await purge();
    expect(await rows()).toBe(2);
    // a week after the logout: that one goes; the other is still live and stays, and works
    await h.clock.advance(120);
    await purge();
    expect(await rows()).toBe(1);
    expect((await send('GET', '/v1/account', { session: { cookie: kept.cookie } })).statusCode).toBe(200);
    // expired (30 days from login): kept for a week, then gone
    await h.clock.advance(SESSION_SECONDS - 7 * 86_400);
    expect((await send('GET', '/v1/account', { session: { cookie: kept.cookie } })).statusCode).toBe(401);
    await purge();
    expect(await rows()).toBe(1);
    await h.clock.advance(7 * 86_400);
    await purge();
    expect(await rows()).toBe(0);
  });

  it('a session lasts 30 days from login on the injected clock, whatever its use', async () => {
    const { session } = await signUp();
    await h.clock.advance(SESSION_SECONDS - 60);
    expect((await send('GET', '/v1/account', { session: { cookie: session.cookie } })).statusCode).toBe(200);
    await h.clock.advance(60);
    const expired = await send('GET', '/v1/account', { session: { cookie: session.cookie } });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toContain('log in again');
  });
});
