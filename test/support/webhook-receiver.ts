/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests: it records every request and checks its
 * Orderdesk-Signature with verifySignature against the endpoint's secret, as a customer's server
 * would. Plus one run of the worker's deliver_webhooks job and an endpoint subscription helper.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { eventSchema } from '../../src/contract/event.ts';
import type { Job } from '../../src/db/jobs.ts';
import { verifySignature } from '../../src/domain/webhook-signature.ts';
import { bodyMismatch } from '../../src/http/response-validation.ts';
import { DELIVER_WEBHOOKS_JOB } from '../../src/jobs/deliver-webhooks.ts';
import { jobKinds } from '../../src/jobs/kinds.ts';
import type { Harness } from './harness.ts';

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  event: {
    id: string;
    object: string;
    type: string;
    account_id: string | null;
    created_at: string;
    data: { object: Record<string, unknown> };
  };
  /** the signature checked out against the endpoint's secret, on the receiver's own clock */
  verified: boolean;
}

export interface Receiver {
  url: string;
  /** set once the endpoint is created (the secret comes back then) */
  secret: string;
  /** status codes to answer with, in order; 200 once they run out */
  statuses: number[];
  got: Received[];
  close(): Promise<void>;
}

/** Starts a receiver; close it when done (or use receiverPool). */
export async function startReceiver(statuses: number[] = []): Promise<Receiver> {
  const mismatches: string[] = [];
  const r: Receiver = {
    url: '',
    secret: '',
    statuses,
    got: [],
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const verified = verifySignature(
        r.secret,
        req.headers['orderdesk-signature'] as string | undefined,
        bytes,
        Math.floor(Date.now() / 1000),
      );
      const raw = bytes.toString('utf8');
      const event = JSON.parse(raw);
      // events are public objects too: each must be what the document's Event schema says
      const problem = bodyMismatch(eventSchema, event);
      if (problem !== null) mismatches.push(`${event.type} ${event.id}: ${problem}`);
      r.got.push({ headers: req.headers, raw, event, verified });
      res.writeHead(r.statuses.shift() ?? 200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/orderdesk?src=test`;
  r.close = async () => {
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    if (mismatches.length > 0)
      throw new Error(`events that do not match the Event schema:\n${mismatches.join('\n')}`);
  };
  return r;
}

/** Receivers started for one test file, closed together (afterAll(pool.closeAll)). */
export function receiverPool(): {
  receiver(statuses?: number[]): Promise<Receiver>;
  closeAll(): Promise<void>;
} {
  const started: Receiver[] = [];
  return {
    async receiver(statuses: number[] = []) {
      const r = await startReceiver(statuses);
      started.push(r);
      return r;
    },
    async closeAll() {
      await Promise.all(started.map((r) => r.close()));
    },
  };
}

const job: Job = {
  id: 0,
  kind: DELIVER_WEBHOOKS_JOB,
  payload: {},
  runAt: new Date(0),
  attempts: 1,
  maxAttempts: 1,
};

/** One run of the worker's deliver_webhooks job (as registered in jobs/kinds.ts). */
export async function runDeliverWebhooks(deps: Deps): Promise<void> {
  await jobKinds[DELIVER_WEBHOOKS_JOB]!.handler(deps, job);
}

/** Registers `r` as an endpoint of the key's account (all events, or `events`); its id. */
export async function subscribe(h: Harness, key: string, r: Receiver, events?: string[]): Promise<string> {
  const res = await h.call('POST', '/v1/webhook-endpoints', {
    key,
    body: { url: r.url, ...(events ? { events } : {}) },
  });
  expect(res.statusCode).toBe(200);
  r.secret = res.json().secret;
  return res.json().id;
}
