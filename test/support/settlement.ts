/** What the settlement tests share: the test clock's advance and ordering a server. */
import { expect } from 'vitest';
import type { Harness } from './harness.ts';

/** Moves the test clock through the API, running the jobs that become due. */
export async function advanceClock(h: Harness, seconds: number): Promise<void> {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode, res.body).toBe(200);
}

/** Orders a server (postpaid s1.small unless `body` says otherwise); its id. */
export async function orderServer(
  h: Harness,
  key: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await h.call('POST', '/v1/orders', {
    key,
    body: { product: 'server', spec: 's1.small', payment_mode: 'postpaid', ...body },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().details.server_id as string;
}
