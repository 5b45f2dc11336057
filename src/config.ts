/**
 * Environment → one typed, validated configuration (SPEC §12). A bad value stops the process
 * with a message naming the variable.
 */
import path from 'node:path';

export interface Config {
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  testClock: boolean;
  demo: boolean;
  smtpUrl: string | undefined;
  /** balance threshold for periodic postpaid orders, cents (SPEC §5, 100 by default) */
  balanceThresholdCents: number;
  rateLimit: { readsPerSecond: number; writesPerSecond: number; loginsPerMinute: number };
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

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
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
    adminToken: adminToken || undefined,
    testClock: boolVar(env, 'ORDERDESK_TEST_CLOCK', false),
    demo: boolVar(env, 'ORDERDESK_DEMO', databaseUrl === undefined),
    smtpUrl: urlVar(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    balanceThresholdCents: intVar(env, 'ORDERDESK_BALANCE_THRESHOLD_CENTS', 10000, 0, 1e12),
    rateLimit: {
      readsPerSecond: intVar(env, 'ORDERDESK_RATE_READS_PER_SECOND', 100, 1, 1e6),
      writesPerSecond: intVar(env, 'ORDERDESK_RATE_WRITES_PER_SECOND', 100, 1, 1e6),
      loginsPerMinute: intVar(env, 'ORDERDESK_RATE_LOGINS_PER_MINUTE', 10, 1, 1e6),
    },
    jobRetentionHours: intVar(env, 'ORDERDESK_JOB_RETENTION_HOURS', 72, 1, 24 * 365),
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
