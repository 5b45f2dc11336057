/**
 * Environment → one typed, validated configuration (SPEC §12). A bad value stops the process
 * with a message naming the variable.
 */
import { isIP } from 'node:net';
import path from 'node:path';

export interface Config {
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /**
   * a streaming replica for list and report reads that may lag (DATABASE_READ_URL, PostgreSQL
   * only); unset: those reads go to DATABASE_URL
   */
  databaseReadUrl: string | undefined;
  adminToken: string | undefined;
  testClock: boolean;
  demo: boolean;
  smtpUrl: string | undefined;
  /** balance threshold for periodic postpaid orders, cents (SPEC §5, 100 by default) */
  balanceThresholdCents: number;
  /** how long a server trial runs, hours (SPEC §7 `trial`, 24 by default) */
  serverTrialHours: number;
  /** arrears past which settlement suspends an account's postpaid servers, cents (SPEC §7, 50.00) */
  arrearsSuspendCents: number;
  rateLimit: {
    readsPerSecond: number;
    writesPerSecond: number;
    loginsPerMinute: number;
    /** sign-ups an hour per client address (ORDERDESK_RATE_SIGNUPS_PER_HOUR): each hashes a password */
    signupsPerHour: number;
    /** operator API requests a second per token (ORDERDESK_RATE_ADMIN_PER_SECOND) */
    adminPerSecond: number;
    /** failed authentications a minute per client address before 429 (http/rate-limit.ts) */
    authFailuresPerMinute: number;
    /** the length of the per-second windows, ms: 1000; not an environment variable (tests widen it) */
    windowMs: number;
    /** the prefix of every rate-limit key in Redis; not an environment variable (tests set their own) */
    redisPrefix: string;
  };
  /** address to listen on (SPEC §12 HOST, 127.0.0.1 by default) */
  host: string;
  /** Redis for rate-limit counters shared by several API processes (SPEC §12 REDIS_URL); unset: in-process */
  redisUrl: string | undefined;
  /** PostgreSQL connections per process (DATABASE_POOL_SIZE, 10 by default) */
  databasePoolSize: number;
  /**
   * hot-path queries as named prepared statements (DATABASE_PREPARED_STATEMENTS, on by default);
   * off sends every query unnamed, for PgBouncer < 1.21 in transaction pooling
   */
  databasePreparedStatements: boolean;
  /** when set, /metrics asks for `Authorization: Bearer <token>` (ORDERDESK_METRICS_TOKEN) */
  metricsToken: string | undefined;
  /** what this process runs (ORDERDESK_ROLE): all (API, console, workers), api, or worker */
  role: 'all' | 'api' | 'worker';
  /** done jobs are deleted this many hours after they finished (ORDERDESK_JOB_RETENTION_HOURS) */
  jobRetentionHours: number;
  logLevel: string;
  /** built-in ISP provisioner delays (SPEC §6: T1 1–5 min, long tail up to 24 h) */
  ispProvisionSeconds: { t1: number; longTail: number };
  /** unpaid orders are cancelled after these many seconds (SPEC §4) */
  unpaidOrderSeconds: { default: number; holdingStock: number };
  /** sender address of outgoing mail */
  mailFrom: string;
  /**
   * webhooks may target loopback, private and other non-public addresses (app/webhooks/public-only-lookup.ts).
   * Off; not an environment variable (SPEC §12 fixes them): only tests turn it on, for their
   * receivers on 127.0.0.1.
   */
  webhookPrivateTargets: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, def: number, lo: number, hi: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < lo || n > hi) throw new ConfigError(`${name} must be between ${lo} and ${hi}, got ${n}`);
  return n;
}

function boolVar(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new ConfigError(`${name} must be 1/0 (or on/off, true/false), got "${raw}"`);
}

function urlVar(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

/** ORDERDESK_ROLE: all (default), api (no workers) or worker (no HTTP). */
function roleVar(env: Env): Config['role'] {
  const raw = env.ORDERDESK_ROLE;
  if (raw === undefined || raw === '') return 'all';
  if (raw === 'all' || raw === 'api' || raw === 'worker') return raw;
  throw new ConfigError('ORDERDESK_ROLE must be all, api or worker');
}

/** HOST: an IP address (v4 or v6) or a host name, as `listen` takes it. */
function hostVar(env: Env, name: string, def: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim();
  if (isIP(v) !== 0) return v;
  const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
  if (v.length <= 253 && v.split('.').every((l) => label.test(l))) return v;
  throw new ConfigError(
    `${name} must be an IP address or a host name (e.g. 127.0.0.1 or 0.0.0.0), got "${raw}"`,
  );
}

/** A secret given in the environment: unset, or at least 16 characters. */
function secretVar(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16) throw new ConfigError(`${name} must be at least 16 characters`);
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const databaseReadUrl = urlVar(env, 'DATABASE_READ_URL', ['postgres:', 'postgresql:']);
  if (databaseReadUrl && !databaseUrl) {
    throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL: a read replica is of a PostgreSQL primary');
  }
  const adminToken = env.ORDERDESK_ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 16) {
    throw new ConfigError('ORDERDESK_ADMIN_TOKEN must be at least 16 characters');
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  return {
    port: intVar(env, 'PORT', 8080, 0, 65535),
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl,
    databaseReadUrl,
    adminToken: adminToken || undefined,
    testClock: boolVar(env, 'ORDERDESK_TEST_CLOCK', false),
    demo: boolVar(env, 'ORDERDESK_DEMO', databaseUrl === undefined),
    smtpUrl: urlVar(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    balanceThresholdCents: intVar(env, 'ORDERDESK_BALANCE_THRESHOLD_CENTS', 10000, 0, 1e12),
    serverTrialHours: intVar(env, 'ORDERDESK_SERVER_TRIAL_HOURS', 24, 1, 720),
    arrearsSuspendCents: intVar(env, 'ORDERDESK_ARREARS_SUSPEND_CENTS', 5000, 0, 1e12),
    rateLimit: {
      readsPerSecond: intVar(env, 'ORDERDESK_RATE_READS_PER_SECOND', 100, 1, 1e6),
      writesPerSecond: intVar(env, 'ORDERDESK_RATE_WRITES_PER_SECOND', 100, 1, 1e6),
      loginsPerMinute: intVar(env, 'ORDERDESK_RATE_LOGINS_PER_MINUTE', 10, 1, 1e6),
      signupsPerHour: intVar(env, 'ORDERDESK_RATE_SIGNUPS_PER_HOUR', 10, 1, 1e6),
      adminPerSecond: intVar(env, 'ORDERDESK_RATE_ADMIN_PER_SECOND', 200, 1, 1e6),
      authFailuresPerMinute: intVar(env, 'ORDERDESK_RATE_AUTH_FAILURES_PER_MINUTE', 20, 1, 1e6),
      windowMs: 1000,
      redisPrefix: 'orderdesk:rl:',
    },
    host: hostVar(env, 'HOST', '127.0.0.1'),
    redisUrl: urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']),
    databasePoolSize: intVar(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    databasePreparedStatements: boolVar(env, 'DATABASE_PREPARED_STATEMENTS', true),
    metricsToken: secretVar(env, 'ORDERDESK_METRICS_TOKEN'),
    jobRetentionHours: intVar(env, 'ORDERDESK_JOB_RETENTION_HOURS', 72, 1, 24 * 365),
    role: roleVar(env),
    logLevel,
    ispProvisionSeconds: {
      t1: intVar(env, 'ORDERDESK_ISP_PROVISION_T1_SECONDS', 120, 0, 300),
      longTail: intVar(env, 'ORDERDESK_ISP_PROVISION_LONGTAIL_SECONDS', 6 * 3600, 0, 24 * 3600),
    },
    unpaidOrderSeconds: {
      default: intVar(env, 'ORDERDESK_UNPAID_ORDER_SECONDS', 24 * 3600, 60, 30 * 24 * 3600),
      holdingStock: intVar(env, 'ORDERDESK_UNPAID_STOCK_ORDER_SECONDS', 3600, 60, 30 * 24 * 3600),
    },
    mailFrom: env.ORDERDESK_MAIL_FROM || 'orderdesk <no-reply@orderdesk.local>',
    webhookPrivateTargets: false,
  };
}
