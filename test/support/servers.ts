/** Servers through the API for the server tests: buying one, moving the test clock, error codes. */
import { expect } from 'vitest';
import type { Harness } from './harness.ts';

export const DAY = 24 * 3600;
export const HOUR = 3600;

export async function advance(h: Harness, seconds: number): Promise<void> {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode, res.body).toBe(200);
}

/** Moves the clock to the next 1st of a 30-day month (same time of day) so a 1-month term is 30 days. */
export async function toThirtyDayMonth(h: Harness): Promise<void> {
  const t = await h.deps.clock.now();
  for (let m = t.getUTCMonth() + 1; ; m++) {
    const first = Date.UTC(t.getUTCFullYear(), m, 1, t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds());
    const d = new Date(first);
    if (new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() === 30) {
      await advance(h, Math.floor((first - t.getTime()) / 1000));
      return;
    }
  }
}

/** Places a server order (`POST /v1/orders`, product server) and returns the server's id. */
export async function buyServer(h: Harness, key: string, body: Record<string, unknown>): Promise<string> {
  const placed = await h.call('POST', '/v1/orders', {
    key,
    body: { product: 'server', spec: 's1.small', ...body },
  });
  expect(placed.statusCode, placed.body).toBe(200);
  return placed.json().details.server_id as string;
}

/** GET /v1/servers/{id} as JSON (asserting 200). */
export async function getServerJson(h: Harness, key: string, id: string) {
  const res = await h.call('GET', `/v1/servers/${id}`, { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export function errorCode(res: { json(): { error: { code: string } } }): string {
  return res.json().error.code;
}
