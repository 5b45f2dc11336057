/** Server trials and their conversion (SPEC §7 trial, convert) through HTTP, driven by the test clock. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { convertServer } from '../src/app/servers/convert-server.ts';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { advance, errorCode, getServerJson, HOUR } from './support/servers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

function trial(key: string, body: Record<string, unknown> = { spec: 's1.medium' }) {
  return h.call('POST', '/v1/servers/trial', { key, body });
}

function convert(key: string, id: string, body: Record<string, unknown>) {
  return h.call('POST', `/v1/servers/${id}/convert`, { key, body });
}

describe('trial', () => {
  it('a free s1.medium for 24 h, once per account, stopped at its end by the job', async () => {
    const c = await h.customer({ kyc: true });
    const dry = await trial(c.key, { spec: 's1.medium', dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect((await h.call('GET', '/v1/servers', { key: c.key })).json().data).toEqual([]);

    const res = await trial(c.key);
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({
      product: 'server',
      type: 'trial',
      total_usd: 0,
      paid_usd: 0,
      status: 'completed',
    });
    expect(o.line_items).toHaveLength(1);
    const id = o.details.server_id as string;
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      duration: 'PT24H',
      config: { payment_mode: 'trial' },
    });
    const s = await getServerJson(h, c.key, id);
    expect(s).toMatchObject({ spec: 's1.medium', payment_mode: 'trial', status: 'running', paid_usd: 0 });
    expect(Date.parse(s.current_period_end) - Date.parse(s.current_period_start)).toBe(24 * HOUR * 1000);

    const again = await trial(c.key, { spec: 's1.small' });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'invalid_state', reason: 'trial_used' });

    // a trial is not changed or upgraded: it is converted first
    for (const [path, body] of [
      [`/v1/servers/${id}/change`, { spec: 's1.large' }],
      [`/v1/servers/${id}/temp-upgrade`, { spec: 's1.large', hours: 1 }],
      [`/v1/servers/${id}/renew`, { months: 1 }],
    ] as const) {
      const r = await h.call('POST', path, { key: c.key, body });
      expect(r.statusCode, `${path}: ${r.body}`).toBe(409);
      expect(errorCode(r)).toBe('invalid_state');
    }

    await advance(h, 24 * HOUR - 1);
    expect((await getServerJson(h, c.key, id)).status).toBe('running');
    await advance(h, 1);
    const ended = await getServerJson(h, c.key, id);
    expect(ended).toMatchObject({ status: 'stopped', stopped_at: s.current_period_end });
    const late = await convert(c.key, id, { payment_mode: 'prepaid' });
    expect(late.statusCode, late.body).toBe(409);
    expect(errorCode(late)).toBe('invalid_state');
    // still once per account after the first one ended
    expect((await trial(c.key)).statusCode).toBe(409);
  });

  it('KYC is required; an unknown spec is 400', async () => {
    const c = await h.customer({});
    const res = await trial(c.key);
    expect(res.statusCode, res.body).toBe(409);
    expect(errorCode(res)).toBe('kyc_required');
    const k = await h.customer({ kyc: true });
    const bad = await trial(k.key, { spec: 's9.huge' });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(errorCode(bad)).toBe('invalid_request');
    // neither used up the trial
    expect((await trial(k.key)).statusCode).toBe(200);
  });

  it('an unconverted trial can be unsubscribed early: stopped, nothing refunded', async () => {
    const c = await h.customer({ balanceUsd: 5, kyc: true });
    const id = (await trial(c.key)).json().details.server_id as string;
    const u = await h.call('POST', `/v1/servers/${id}/unsubscribe`, { key: c.key, body: {} });
    expect(u.statusCode, u.body).toBe(200);
    expect(u.json()).toMatchObject({ type: 'unsubscribe', refunded_usd: 0 });
    expect((await getServerJson(h, c.key, id)).status).toBe('stopped');
    expect(await balanceOf(h, c.key)).toBe(5);
  });
});

describe('convert', () => {
  it('to prepaid for a month after 5 h: 40.00 paid, a term from now, the trial end no longer stops it', async () => {
    const c = await h.customer({ balanceUsd: 50, kyc: true });
    const id = (await trial(c.key)).json().details.server_id as string;
    await advance(h, 5 * HOUR);
    const dry = await convert(c.key, id, { payment_mode: 'prepaid', months: 1, dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ type: 'convert', total_usd: 40, paid_usd: 0 });
    expect((await getServerJson(h, c.key, id)).payment_mode).toBe('trial');

    const res = await convert(c.key, id, { payment_mode: 'prepaid', months: 1 });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ type: 'convert', payment_mode: 'prepaid', total_usd: 40, paid_usd: 40 });
    expect(o.line_items[0]).toMatchObject({
      instance_id: id,
      duration: 'P1M',
      previous_config: { spec: 's1.medium', payment_mode: 'trial' },
    });
    expect(await balanceOf(h, c.key)).toBe(10);
    const s = await getServerJson(h, c.key, id);
    expect(s).toMatchObject({ payment_mode: 'prepaid', status: 'running', paid_usd: 40 });
    expect(s.current_period_start).toBe(o.line_items[0].starts_at);
    await advance(h, 24 * HOUR);
    expect((await getServerJson(h, c.key, id)).status).toBe('running');
    const twice = await convert(c.key, id, { payment_mode: 'postpaid' });
    expect(twice.statusCode, twice.body).toBe(409);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('to prepaid paid by the card when the balance is empty', async () => {
    const c = await customerWithCard(h, { kyc: true });
    const id = (await trial(c.key, { spec: 's1.small' })).json().details.server_id as string;
    const res = await convert(c.key, id, { payment_mode: 'prepaid', months: 12 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ total_usd: 240, paid_usd: 240 });
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([24000]);
  });

  it('a card-paid conversion whose process died after the charge is finished by recoverPayments, once', async () => {
    const c = await customerWithCard(h, { kyc: true });
    const id = (await trial(c.key, { spec: 's1.small' })).json().details.server_id as string;
    await expect(
      convertServer(h.deps, {
        accountId: c.id,
        serverId: id,
        paymentMode: 'prepaid',
        months: 1,
        afterCharge: async () => {
          throw new Error('process died');
        },
      }),
    ).rejects.toThrow('process died');
    expect((await getServerJson(h, c.key, id)).payment_mode).toBe('trial');
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 1, voided: 0 });
    expect(await getServerJson(h, c.key, id)).toMatchObject({ payment_mode: 'prepaid', paid_usd: 20 });
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([2000]);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 0 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('to postpaid: the balance rule applies (below 100.00 is 409), then billed hourly from now', async () => {
    const poor = await h.customer({ balanceUsd: 50, kyc: true });
    const pid = (await trial(poor.key)).json().details.server_id as string;
    const refused = await convert(poor.key, pid, { payment_mode: 'postpaid' });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(errorCode(refused)).toBe('balance_below_threshold');
    expect((await getServerJson(h, poor.key, pid)).payment_mode).toBe('trial');

    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = (await trial(c.key)).json().details.server_id as string;
    const res = await convert(c.key, id, { payment_mode: 'postpaid' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ type: 'convert', payment_mode: 'postpaid', total_usd: 0 });
    expect(await getServerJson(h, c.key, id)).toMatchObject({
      payment_mode: 'postpaid',
      status: 'running',
      current_period_end: null,
    });
    expect(await balanceOf(h, c.key)).toBe(100);
  });

  it('bad bodies are 400; another account’s trial is 404; a server that is no trial is 409', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const other = await h.customer({ balanceUsd: 100, kyc: true });
    const id = (await trial(c.key)).json().details.server_id as string;
    for (const body of [
      { payment_mode: 'trial' },
      { payment_mode: 'prepaid', months: 3 },
      { payment_mode: 'postpaid', months: 1 },
      {},
    ]) {
      const r = await convert(c.key, id, body);
      expect(r.statusCode, `${JSON.stringify(body)}: ${r.body}`).toBe(400);
      expect(errorCode(r)).toBe('invalid_request');
    }
    for (const body of [{ payment_mode: 'prepaid' }, { payment_mode: 'prepaid', dry_run: true }]) {
      const r = await convert(other.key, id, body);
      expect(r.statusCode, r.body).toBe(404);
      expect(errorCode(r)).toBe('not_found');
    }
    expect(await balanceOf(h, other.key)).toBe(100);
    const placed = await h.call('POST', '/v1/orders', {
      key: other.key,
      body: { product: 'server', spec: 's1.small', payment_mode: 'postpaid' },
    });
    const notTrial = await convert(other.key, placed.json().details.server_id, { payment_mode: 'prepaid' });
    expect(notTrial.statusCode, notTrial.body).toBe(409);
    expect(errorCode(notTrial)).toBe('invalid_state');
  });
});

describe('races', () => {
  it('two trials of one account at once: one wins, one server', async () => {
    const c = await h.customer({ kyc: true });
    const res = await Promise.all([trial(c.key), trial(c.key, { spec: 's1.small' }), trial(c.key)]);
    expect(res.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect((await h.call('GET', '/v1/servers', { key: c.key })).json().data).toHaveLength(1);
    expect((await h.call('GET', '/v1/orders?type=trial', { key: c.key })).json().data).toHaveLength(1);
  });

  it('two conversions of one trial at once: one is paid, the other 409 with nothing taken', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = (await trial(c.key)).json().details.server_id as string;
    const res = await Promise.all([
      convert(c.key, id, { payment_mode: 'prepaid' }),
      convert(c.key, id, { payment_mode: 'prepaid' }),
    ]);
    expect(res.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await balanceOf(h, c.key)).toBe(60);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('configuration', () => {
  it('ORDERDESK_SERVER_TRIAL_HOURS sets the trial’s length', async () => {
    const h2 = await harness({ ORDERDESK_SERVER_TRIAL_HOURS: '48' });
    try {
      const c = await h2.customer({ kyc: true });
      const res = await h2.call('POST', '/v1/servers/trial', { key: c.key, body: { spec: 's1.small' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().line_items[0].duration).toBe('PT48H');
    } finally {
      await h2.close();
    }
  });
});
