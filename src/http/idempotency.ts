/**
 * Idempotency-Key on every POST and DELETE (SPEC §1), scoped to the account (or to the admin
 * API). The key lives in the database, so it holds across processes:
 *  - first request: claims the key, runs, stores its status and body (unless it is an answer a
 *    retry must get fresh: see isStoredAnswer);
 *  - same key, same body, finished: the stored response with Idempotent-Replayed: true;
 *  - same key, different body: 422 idempotency_key_reused;
 *  - same key while the first still runs: 409 request_in_progress;
 *  - a request that died (lease ran out): the next one takes over; if the dead one had already
 *    created its resource, that resource is returned (Idempotent-Replayed: true) instead of doing
 *    the work twice.
 * Two clocks, on purpose: the lease is about a live process, so it runs on wall time (a request
 * that dies leaves its key locked for LEASE_MS of real time, whatever a frozen test clock says);
 * retention is the product's promise ("kept at least 24 h", SPEC §1), so it runs on the injected
 * clock like every other business time (SPEC §12), and the purge job uses the same clock.
 */

import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps, IdempotencyLink } from '../app/deps.ts';
import type { Sql } from '../db/client.ts';
import { claimKey, completeKey, readKey, releaseKey, serverSecret, takeOverKey } from '../db/idempotency.ts';
import { fail } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idem?: IdempotencyLink;
    idemHash?: string;
    /** a key whose claim the route deferred (config.deferIdempotencyKey), see DeferredKey */
    deferredKey?: DeferredKey;
  }
  interface FastifyContextConfig {
    /**
     * The route claims the key itself: in the statement that does its work (UnclaimedKey), or with
     * DeferredKey.claim when the request takes another path.
     */
    deferIdempotencyKey?: boolean;
  }
}

/**
 * The Idempotency-Key of a route that claims it itself. `claim` does what the hook does for every
 * other route: true when the request now owns the key (req.idem is set) and runs; false when the
 * answer was sent (a replay, a reuse with another body, a request still in progress).
 */
export interface DeferredKey {
  scope: string;
  key: string;
  requestHash: string;
  claim(): Promise<boolean>;
}

export const RETENTION_MS = 24 * 3600 * 1000;
export const LEASE_MS = 120 * 1000;

/** Renders a resource created under a key by a request that died before it could answer. */
export type ResourceRenderer = (deps: Deps, scope: string, id: string) => Promise<unknown | null>;

/**
 * JSON with object keys sorted at every level, so key order does not make a request different.
 * Recursive: the body parser refuses a body nested deeper than MAX_JSON_DEPTH before it gets here.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const HASH_SECRET = 'idempotency_request_hash';
const hashKeys = new WeakMap<Sql, Promise<Buffer>>();

/**
 * The key of the request hash: 32 random bytes made by the first process on the database and
 * kept in it (server_secrets), so every process sharing the database hashes alike; read once per
 * process (per database handle) and cached. A failed read is forgotten, so the next one retries.
 */
export function requestHashKey(db: Sql): Promise<Buffer> {
  let key = hashKeys.get(db);
  if (!key) {
    const loading = serverSecret(db, HASH_SECRET, randomBytes(32).toString('hex')).then((hex) =>
      Buffer.from(hex, 'hex'),
    );
    loading.catch(() => {
      if (hashKeys.get(db) === loading) hashKeys.delete(db);
    });
    hashKeys.set(db, loading);
    key = loading;
  }
  return key;
}

/**
 * What makes two requests "the same": method, path and the body as sent (keys in any order),
 * as an HMAC-SHA256 under the server's secret. A plain hash of a body with a card number in it
 * (POST /v1/payment-methods) could be reversed offline by trying the few card numbers a prefix
 * allows; without the secret it cannot. Keys stored before the HMAC (a plain SHA-256) no longer
 * match: a retry of such a request gets 422 idempotency_key_reused (it is never run twice), and
 * those keys are gone after the 24 h retention.
 */
export async function requestHash(db: Sql, method: string, path: string, body: unknown): Promise<string> {
  return createHmac('sha256', await requestHashKey(db))
    .update(`${method} ${path}\n${canonical(body)}`)
    .digest('hex');
}

export function registerIdempotency(
  app: FastifyInstance,
  deps: Deps,
  scopeOf: (req: FastifyRequest) => string,
  renderers: Record<string, ResourceRenderer> = {},
) {
  // the hash key is read at start (a database that cannot give it stops the start)
  app.addHook('onReady', async () => {
    await requestHashKey(deps.db);
  });

  // the body as sent, before validation transforms it (amounts into cents, say)
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (req.method !== 'POST' && req.method !== 'DELETE') return;
    if (req.headers['idempotency-key'] === undefined) return;
    req.idemHash = await requestHash(deps.db, req.method, req.url.split('?')[0] ?? '', req.body);
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST' && req.method !== 'DELETE') return;
    const raw = req.headers['idempotency-key'];
    if (raw === undefined) return;
    if (typeof raw !== 'string' || raw.length < 1 || raw.length > 255) {
      return fail(reply, 'invalid_request', 'Idempotency-Key must be 1 to 255 characters', 'Idempotency-Key');
    }
    const scope = scopeOf(req);
    const hash =
      req.idemHash ?? (await requestHash(deps.db, req.method, req.url.split('?')[0] ?? '', req.body));
    if (req.routeOptions.config.deferIdempotencyKey) {
      req.deferredKey = {
        scope,
        key: raw,
        requestHash: hash,
        claim: async () => {
          req.deferredKey = undefined;
          return !(await claimOrAnswer(req, reply, scope, raw, hash));
        },
      };
      return;
    }
    if (await claimOrAnswer(req, reply, scope, raw, hash)) return reply;
  });

  /**
   * Claims the key for `req` (sets req.idem) and returns false, or answers (a replay, a reuse, in
   * progress, a takeover's resource) and returns true. A boolean, not the reply: a reply is
   * thenable, and awaiting it waits for the response instead.
   */
  async function claimOrAnswer(
    req: FastifyRequest,
    reply: FastifyReply,
    scope: string,
    raw: string,
    hash: string,
  ): Promise<boolean> {
    const wall = Date.now();
    const now = await deps.clock.now();
    const claim = () =>
      claimKey(deps.db, {
        scope,
        key: raw,
        requestHash: hash,
        now,
        leaseUntil: new Date(wall + LEASE_MS),
        expiredBefore: new Date(now.getTime() - RETENTION_MS),
      });
    if (await claim()) {
      req.idem = { scope, key: raw };
      return false;
    }
    const row = await readKey(deps.db, scope, raw);
    if (!row) {
      if (await claim()) {
        req.idem = { scope, key: raw };
        return false;
      }
      fail(reply, 'request_in_progress', 'A request with this Idempotency-Key is in progress');
      return true;
    }
    if (row.requestHash !== hash) {
      fail(
        reply,
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request; use a new key for a new request',
        'Idempotency-Key',
      );
      return true;
    }
    if (row.state === 'done') {
      reply
        .code(row.statusCode ?? 200)
        .header('Idempotent-Replayed', 'true')
        .type('application/json; charset=utf-8')
        .serializer((p: unknown) => p as string)
        .send(row.responseBody);
      return true;
    }
    const inProgress = 'A request with this Idempotency-Key is in progress; retry later';
    if (row.lockedUntil.getTime() > wall) {
      fail(reply, 'request_in_progress', inProgress);
      return true;
    }
    if (!(await takeOverKey(deps.db, scope, raw, new Date(wall), new Date(wall + LEASE_MS)))) {
      fail(reply, 'request_in_progress', inProgress);
      return true;
    }
    req.idem = { scope, key: raw };
    const render = row.resourceType && row.resourceId ? renderers[row.resourceType] : undefined;
    if (render && row.resourceId) {
      const body = await render(deps, scope, row.resourceId);
      // the work was done by the request that died: answer with its result, do nothing again
      if (body !== null) {
        reply.code(200).header('Idempotent-Replayed', 'true').send(body);
        return true;
      }
    }
    return false;
  }

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idem;
    if (!idem) return payload;
    req.idem = undefined;
    const status = reply.statusCode;
    // a released key whose request already wrote its resource is kept for the retry to take over
    // and answer with it (see releaseKey)
    // the answer goes out whatever happens to the key: if the database is gone now (a failover),
    // the key stays claimed until its lease ends and a retry then takes over (its resource, if
    // the request wrote one, is linked to the key), rather than the client getting a raw error
    try {
      if (isStoredAnswer(status, payload)) {
        await completeKey(deps.db, idem.scope, idem.key, status, String(payload));
      } else {
        await releaseKey(deps.db, idem.scope, idem.key);
      }
    } catch (e) {
      req.log.error(
        { err: e instanceof Error ? e.message : String(e), key: idem.key },
        'idempotency key not finished',
      );
    }
    return payload;
  });
}

/**
 * Whether an answer becomes the key's result, replayed for 24 h. Not stored (the key is released,
 * and a retry with it runs afresh):
 *  - 5xx: a failure of ours;
 *  - 400: a request that never ran (SPEC §1);
 *  - 429 rate_limited: a request put off, not run; a client that obeys Retry-After must get in;
 *  - 409 request_in_progress: an answer about this moment (e.g. a card payment of the order in
 *    flight), which the retry must get fresh;
 *  - 409 insufficient_balance with decline_code balance_changed: the request lost a race with
 *    another payment of the account; the retry may well win it.
 */
export function isStoredAnswer(status: number, payload: unknown): boolean {
  if (status >= 500 || status === 400 || status === 429) return false;
  if (status !== 409) return true;
  const e = errorOf(payload);
  if (e?.code === 'request_in_progress') return false;
  return !(e?.code === 'insufficient_balance' && e.decline_code === 'balance_changed');
}

/** The error object of an error envelope sent as JSON text, or null. */
function errorOf(payload: unknown): Record<string, unknown> | null {
  if (typeof payload !== 'string') return null;
  try {
    const e = (JSON.parse(payload) as { error?: unknown }).error;
    return e !== null && typeof e === 'object' ? (e as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
