/**
 * Where rate-limit counters live (SPEC §12 REDIS_URL) and the throttle on failed authentication.
 *  - Without REDIS_URL every counter is in this process (@fastify/rate-limit's own LocalStore, a
 *    Map here): right for one process.
 *  - With REDIS_URL the per-account, per-operator and login limits use @fastify/rate-limit's own
 *    Redis store (ioredis), and the failed-authentication counts live there too, so every API
 *    process serving one database counts against the same limits.
 * A Redis that stops answering mid-run does not take the API down: the limits are skipped and
 * the error logged (skipOnError); one that cannot be reached at start stops the start.
 *
 * Failed authentication (an unknown API key, admin token or session cookie) is counted per client
 * address in a one-minute window. The first `authFailuresPerMinute` failures answer 401; after
 * that every request from the address that presents a credential answers 429 rate_limited with
 * Retry-After until the window ends, a right one too, so guessing gets no faster by being right.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { fail } from './errors.ts';

/** The failed-authentication window, ms. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;

/** Counts per key in fixed windows; ttl is the ms left in the window (0 when none is open). */
interface WindowCounter {
  /** counts one more in the key's window (opening one if none is) */
  incr(key: string, windowMs: number): Promise<{ count: number; ttl: number }>;
  /** the key's count so far, without counting */
  peek(key: string): Promise<{ count: number; ttl: number }>;
}

/** In this process: one Map, expired windows dropped as the Map grows. */
function localCounter(now: () => number = Date.now): WindowCounter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  const prune = () => {
    const t = now();
    for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k);
  };
  return {
    async incr(key, windowMs) {
      const t = now();
      let w = windows.get(key);
      if (!w || w.resetAt <= t) {
        if (windows.size >= 10_000) prune();
        w = { count: 0, resetAt: t + windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      return { count: w.count, ttl: w.resetAt - t };
    },
    async peek(key) {
      const t = now();
      const w = windows.get(key);
      return w && w.resetAt > t ? { count: w.count, ttl: w.resetAt - t } : { count: 0, ttl: 0 };
    },
  };
}

const INCR_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return {n, ttl}`;

const PEEK_LUA = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
return {n, ttl}`;

type CounterRedis = Redis & {
  odWindowIncr(key: string, windowMs: number): Promise<[number, number]>;
  odWindowPeek(key: string): Promise<[number, number]>;
};

/** In Redis: one key per counter, INCR and its expiry in one script (atomic across processes). */
function redisCounter(redis: Redis): WindowCounter {
  redis.defineCommand('odWindowIncr', { numberOfKeys: 1, lua: INCR_LUA });
  redis.defineCommand('odWindowPeek', { numberOfKeys: 1, lua: PEEK_LUA });
  const r = redis as CounterRedis;
  return {
    async incr(key, windowMs) {
      const [count, ttl] = await r.odWindowIncr(key, windowMs);
      return { count, ttl: Math.max(ttl, 0) };
    },
    async peek(key) {
      const [count, ttl] = await r.odWindowPeek(key);
      return { count, ttl: Math.max(ttl, 0) };
    },
  };
}

export interface AuthThrottle {
  /** a credential was refused: 429 (with Retry-After) when the address is over its limit, else the 401 */
  refuse(req: FastifyRequest, reply: FastifyReply, message: string): Promise<FastifyReply>;
  /** a credential was accepted: 429 when the address is over its limit (the reply), else undefined */
  admit(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
}

export interface RateLimitBackend {
  /** the @fastify/rate-limit options that choose its store: Redis (under `namespace`) or in-process */
  storeOptions(namespace: string): { redis?: Redis; nameSpace?: string; skipOnError: boolean };
  authThrottle: AuthThrottle;
  close(): Promise<void>;
}

function tooMany(reply: FastifyReply, ttlMs: number) {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  reply.header('Retry-After', String(seconds));
  return fail(
    reply,
    'rate_limited',
    `Too many failed authentications from this address; retry after ${seconds} s (Retry-After)`,
  );
}

function authThrottle(counter: WindowCounter, config: Config, onError: (e: unknown) => void): AuthThrottle {
  const max = config.rateLimit.authFailuresPerMinute;
  const keyOf = (req: FastifyRequest) => `${config.rateLimit.redisPrefix}authfail:${req.ip}`;
  return {
    async refuse(req, reply, message) {
      try {
        const { count, ttl } = await counter.incr(keyOf(req), AUTH_FAILURE_WINDOW_MS);
        if (count > max) return tooMany(reply, ttl);
      } catch (e) {
        onError(e);
      }
      return fail(reply, 'unauthenticated', message);
    },
    async admit(req, reply) {
      try {
        const { count, ttl } = await counter.peek(keyOf(req));
        if (count >= max) return tooMany(reply, ttl);
      } catch (e) {
        onError(e);
      }
      return undefined;
    },
  };
}

/** The counters for one app: in Redis when REDIS_URL is set (reached here, or the start fails), else in-process. */
export async function rateLimitBackend(
  config: Config,
  log: { warn(o: object, msg: string): void },
): Promise<RateLimitBackend> {
  const onError = (e: unknown) => log.warn({ err: e }, 'rate-limit store unavailable; limit skipped');
  if (!config.redisUrl) {
    return {
      storeOptions: () => ({ skipOnError: true }),
      authThrottle: authThrottle(localCounter(), config, onError),
      close: async () => {},
    };
  }
  // loaded only when REDIS_URL is set (bench/startup)
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    // a request waits for one reconnect at most, then its limit is skipped (skipOnError)
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  redis.on('error', () => {
    /* reported per request (skipOnError); ioredis reconnects by itself */
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new Error(`REDIS_URL: cannot reach Redis (${e instanceof Error ? e.message : String(e)})`);
  }
  return {
    storeOptions: (namespace) => ({
      redis,
      nameSpace: `${config.rateLimit.redisPrefix}${namespace}:`,
      skipOnError: true,
    }),
    authThrottle: authThrottle(redisCounter(redis), config, onError),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
