/**
 * An app on a fresh database for one test file, driven through HTTP (Fastify inject), with a
 * test clock, the sandbox gateway and helpers to make accounts and keys.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Deps } from '../../src/app/deps.ts';
import { databaseTestClock, type TestClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/client.ts';
import { ledgerMismatches } from '../../src/db/ledger.ts';
import { builtinProvisioner } from '../../src/gateways/provisioner.ts';
import { sandboxGateway } from '../../src/gateways/sandbox-gateway.ts';
import { buildApp } from '../../src/http/app.ts';
import type { ResponseMismatch } from '../../src/http/response-validation.ts';
import { ulidIds } from '../../src/ids.ts';
import { advanceAndRun } from '../../src/jobs/advance-clock.ts';
import { moneyInvariantViolations } from './invariants.ts';
import { memoryMail } from './memory-mail.ts';
import { freshDb } from './test-db.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const START = new Date('2026-05-28T10:00:00Z');

const silent = { info() {}, warn() {}, error() {} };

export interface Harness {
  app: FastifyInstance;
  deps: Deps;
  db: Db;
  clock: TestClock;
  url: string | null;
  close(): Promise<void>;
  /** a request as a customer (key) or an operator (admin: true) */
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts?: { key?: string; admin?: boolean; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /** a new account with an API key; optional starting balance in USD */
  customer(opts?: {
    balanceUsd?: number;
    kyc?: boolean;
    email?: string;
  }): Promise<{ id: string; key: string }>;
  /** responses that did not match the OpenAPI document so far (close() fails when there are any) */
  responseMismatches: ResponseMismatch[];
  /** asserts every cached balance equals the sum of its ledger entries */
  ledgerMismatches(): Promise<unknown[]>;
}

/** Deps for an app over `db`; exported so a test can build a second "process" on one database. */
export async function makeDeps(
  db: Db,
  env: Record<string, string> = {},
): Promise<{ deps: Deps; clock: TestClock }> {
  const config = {
    ...loadConfig({ ORDERDESK_ADMIN_TOKEN: ADMIN_TOKEN, ORDERDESK_TEST_CLOCK: '1', ...env }),
    // the tests' webhook receivers listen on 127.0.0.1
    webhookPrivateTargets: true,
  };
  const clock = await databaseTestClock(db, START);
  const deps: Deps = {
    db,
    clock,
    ids: ulidIds(),
    gateway: sandboxGateway(db),
    provisioner: builtinProvisioner(config),
    mail: memoryMail(),
    config,
    log: silent,
  };
  return { deps, clock };
}

export async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const t = await freshDb();
  const { deps, clock } = await makeDeps(t.db, env);
  // every test answers as the document says, or the file fails (response-validation.ts)
  const mismatches: ResponseMismatch[] = [];
  const app = await buildApp(deps, {
    ...(process.env.TEST_LOG ? { logger: { level: 'error' } } : {}),
    advanceClock: (clock, seconds) => advanceAndRun(deps, clock, seconds),
    validateResponses: (m) => mismatches.push(m),
  });
  await app.ready();
  let n = 0;
  const h: Harness = {
    app,
    deps,
    db: t.db,
    clock,
    url: t.url,
    responseMismatches: mismatches,
    async close() {
      // the money invariants, whatever the file did (issue 13 item 5)
      const violations = await moneyInvariantViolations(t.db);
      await app.close();
      await t.close();
      if (violations.length > 0) {
        throw new Error(
          `money invariants broken (${violations.length}):\n${violations.slice(0, 20).join('\n')}`,
        );
      }
      if (mismatches.length > 0) {
        throw new Error(
          `${mismatches.length} responses do not match the OpenAPI document:\n${mismatches
            .map((m) => `${m.method} ${m.url} → ${m.status}: ${m.problem}\n  ${m.body}`)
            .join('\n')}`,
        );
      }
    },
    call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
      else if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      return app.inject({
        method,
        url: path,
        headers,
        ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
      });
    },
    async customer(opts = {}) {
      n += 1;
      const email = opts.email ?? `c${n}-${Math.random().toString(36).slice(2, 8)}@example.com`;
      const acc = await h.call('POST', '/admin/v1/accounts', {
        admin: true,
        body: { email, name: `Customer ${n}` },
      });
      if (acc.statusCode !== 200) throw new Error(`account: ${acc.body}`);
      const id = acc.json().id as string;
      const key = await h.call('POST', `/admin/v1/accounts/${id}/api-keys`, { admin: true, body: {} });
      if (key.statusCode !== 200) throw new Error(`key: ${key.body}`);
      if (opts.balanceUsd) {
        const adj = await h.call('POST', `/admin/v1/accounts/${id}/balance-adjustments`, {
          admin: true,
          body: { amount_usd: opts.balanceUsd, reason: 'test funds' },
        });
        if (adj.statusCode !== 200) throw new Error(`balance: ${adj.body}`);
      }
      if (opts.kyc) {
        const k = await h.call('POST', `/admin/v1/accounts/${id}/kyc`, {
          admin: true,
          body: { decision: 'approved' },
        });
        if (k.statusCode !== 200) throw new Error(`kyc: ${k.body}`);
      }
      return { id, key: key.json().key as string };
    },
    ledgerMismatches: () => ledgerMismatches(t.db),
  };
  return h;
}
