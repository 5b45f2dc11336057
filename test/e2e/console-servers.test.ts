/**
 * Servers, coupons, arrears and auto top-up in Chromium (SPEC §2, §7, §10; issue 11 item 7): a
 * prepaid server bought on Servers → Buy a server and listed; its unsubscribe shows the refund
 * first (the API's own dry run, to the cent); a coupon bought and two adjusted, the apportioned
 * value of each target shown before Confirm and equal to the API's dry run, a compute-power
 * mismatch in words; an auto top-up rule saved under Residential and shown with its state; the
 * arrears warning on the dashboard of an account with a negative balance, and the arrears check on
 * Buy a server. Screenshots of Servers and Coupons at desktop and phone width in both languages.
 *
 * The browser's clock is set to the server's test clock, so the dates it shows are the server's.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobKinds } from '../../src/jobs/kinds.ts';
import { schedulePeriodic } from '../../src/jobs/worker.ts';
import {
  type E2e,
  e2eUnavailable,
  expectNoHorizontalOverflow,
  logIn,
  newPage,
  PHONE,
  SCREENSHOTS,
  screenshot,
  startE2e,
  toastShown,
  traceFailures,
} from './browser.ts';

const unavailable = e2eUnavailable();
if (unavailable) console.warn(`[e2e] skipped: ${unavailable}`);

/** $1,234.50 as the English console shows it. */
const dollars = (n: number) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 }).format(n);

describe.skipIf(unavailable !== null)('servers, coupons, arrears and auto top-up in Chromium', () => {
  let e: E2e;
  let demoId: string;
  let demoKey: string;

  async function page(opts: Parameters<typeof newPage>[1] = {}) {
    const p = await newPage(e, opts);
    await p.context.clock.setFixedTime(await e.h.clock.now());
    return p;
  }

  async function api(method: 'GET' | 'POST', url: string, body?: object) {
    const res = await e.h.call(method, url, { key: demoKey, ...(body ? { body } : {}) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  async function advance(seconds: number) {
    const res = await e.h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
    expect(res.statusCode, res.body).toBe(200);
  }

  async function settled(p: Page) {
    await expect.poll(() => p.locator('.ant-spin-spinning').count()).toBe(0);
  }

  /** A dialog once its opening animation is over (the viewport only). */
  async function dialogShot(p: Page, name: string) {
    await expect
      .poll(() => p.locator('.ant-modal[class*="-appear"], .ant-modal[class*="-enter"]').count())
      .toBe(0);
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  beforeAll(async () => {
    e = await startE2e();
    const accounts = await e.h.call('GET', `/admin/v1/accounts?email=${encodeURIComponent(e.demo.email)}`, {
      admin: true,
    });
    demoId = accounts.json().data[0].id as string;
    demoKey = (
      await e.h.call('POST', `/admin/v1/accounts/${demoId}/api-keys`, { admin: true, body: { name: 'e2e' } })
    ).json().key;
  });
  traceFailures(() => e);
  afterAll(async () => {
    await e?.close();
  });

  it('buys a prepaid server and lists it; unsubscribe shows the refund first', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.getByRole('menuitem', { name: 'Instances' }).click();
    await p.waitForURL(/\/servers$/);
    await p.getByRole('heading', { name: 'Servers' }).waitFor();
    await p.getByText('No servers yet.').waitFor();
    await p.getByRole('button', { name: 'Buy a server' }).click();
    await p.waitForURL(/\/servers\/buy$/);

    // the spec cards' prices are the API's quotes
    const small = await api('POST', '/v1/orders/quote', {
      product: 'server',
      spec: 's1.small',
      payment_mode: 'prepaid',
      months: 1,
    });
    const hourly = await api('POST', '/v1/orders/quote', {
      product: 'server',
      spec: 's1.small',
      payment_mode: 'postpaid',
    });
    const card = p.getByTestId('spec-s1.small');
    await expect
      .poll(() => card.textContent())
      .toContain(`${dollars(small.line_items[0].unit_price_usd)} / month`);
    // the hourly price comes from its own quote, which may answer after the monthly one
    await expect.poll(() => card.textContent()).toContain(`$${hourly.line_items[0].unit_price_usd} / hour`);
    await expect.poll(() => p.getByTestId('total').textContent()).toBe(dollars(small.total_usd));
    await settled(p);
    await screenshot(p, 'servers-buy-en');

    await p.getByRole('button', { name: 'Place order' }).click();
    const confirm = p.getByRole('dialog');
    await confirm.getByText(dollars(small.total_usd)).waitFor();
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await toastShown(p, /Order ord_\w+ placed: server ins_\w+\./);
    await p.waitForURL(/\/servers$/);
    const listed = await api('GET', '/v1/servers');
    expect(listed.data).toHaveLength(1);
    const server = listed.data[0];
    expect(server).toMatchObject({ spec: 's1.small', payment_mode: 'prepaid', status: 'running' });
    const row = p.getByRole('row', { name: new RegExp(server.id) });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/s1\.small.*Prepaid.*Running/);
    expect(await row.textContent()).toContain(dollars(server.paid_usd));

    // ten days on: the refund is the API's dry run, shown before anything is done
    await advance(10 * 86_400);
    await p.context().clock.setFixedTime(await e.h.clock.now());
    const plan = await api('POST', `/v1/servers/${server.id}/unsubscribe`, { dry_run: true });
    expect(plan.details.refund_usd).toBeGreaterThan(0);
    const before = (await api('GET', '/v1/account')).balance_usd;
    await row.getByRole('button', { name: 'Unsubscribe' }).click();
    const dialog = p.getByRole('dialog');
    await expect
      .poll(() => dialog.getByTestId('refund').textContent())
      .toBe(
        `Refund: ${dollars(plan.details.refund_usd)}, back to what paid for it (card, vouchers or balance)`,
      );
    await dialogShot(p, 'servers-unsubscribe-en');
    // nothing happened yet
    expect((await api('GET', `/v1/servers/${server.id}`)).status).toBe('running');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    // paid from the balance: refunded to the balance
    await toastShown(p, `Refunded ${dollars(plan.details.refund_usd)} to your balance.`);
    await expect.poll(() => row.textContent()).toContain('Stopped');
    const after = await api('GET', `/v1/servers/${server.id}`);
    expect(after.status).toBe('stopped');
    const unsub = await api('GET', '/v1/orders?type=unsubscribe');
    expect(unsub.data[0].details.refund_usd).toBe(plan.details.refund_usd);
    const balance = (await api('GET', '/v1/account')).balance_usd;
    expect(Math.round((balance - before) * 100)).toBe(Math.round(plan.details.refund_usd * 100));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('changes a server’s spec and upgrades it for a day, showing the old and the new configuration first', async () => {
    const placed = await api('POST', '/v1/orders', {
      product: 'server',
      spec: 's1.small',
      payment_mode: 'prepaid',
      months: 1,
    });
    const id = placed.details.server_id as string;
    await advance(3 * 86_400);
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.goto(`${e.base}/servers`);
    const row = p.getByRole('row', { name: new RegExp(id) });
    await row.getByRole('button', { name: 'Change spec' }).click();
    const dialog = p.getByRole('dialog');
    await dialog.getByLabel('New spec').click();
    await p.locator('.ant-select-item-option[title="s1.medium"]').click();
    await expect.poll(() => p.locator('.ant-select-dropdown:visible').count()).toBe(0);
    const plan = await api('POST', `/v1/servers/${id}/change`, { spec: 's1.medium', dry_run: true });
    expect(plan.line_items).toHaveLength(2);
    const preview = dialog.getByTestId('dry-run');
    await expect
      .poll(() => preview.getByTestId('charge').textContent())
      .toBe(`To pay now: ${dollars(plan.total_usd)}`);
    const rows = preview.locator('tbody tr.ant-table-row');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/Old configuration.*s1\.small/);
    expect(await rows.nth(1).textContent()).toMatch(/New configuration.*s1\.medium/);
    expect(await rows.nth(1).textContent()).toContain(dollars(plan.line_items[1].payable_usd));
    await dialogShot(p, 'servers-change-en');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await p.getByText(/Order ord_\w+ done\./).waitFor();
    await expect.poll(() => row.textContent()).toContain('s1.medium');
    expect((await api('GET', `/v1/servers/${id}`)).spec).toBe('s1.medium');

    // a temporary upgrade: s1.large for 24 hours, old and new configuration and the charge first
    await row.getByRole('button', { name: 'Temporary upgrade' }).click();
    const upgrade = p.getByRole('dialog');
    await upgrade.getByLabel('Hours').fill('24');
    const temp = await api('POST', `/v1/servers/${id}/temp-upgrade`, {
      spec: 's1.large',
      hours: 24,
      dry_run: true,
    });
    expect(temp.line_items).toHaveLength(2);
    await expect
      .poll(() => upgrade.getByTestId('charge').textContent())
      .toBe(`To pay now: ${dollars(temp.total_usd)}`);
    const lines = upgrade.getByTestId('dry-run').locator('tbody tr.ant-table-row');
    expect(await lines.nth(0).textContent()).toMatch(/Old configuration.*s1\.medium/);
    expect(await lines.nth(1).textContent()).toMatch(/New configuration.*s1\.large/);
    await dialogShot(p, 'servers-temp-upgrade-en');
    await upgrade.getByRole('button', { name: 'Confirm' }).click();
    await p
      .getByText(/Order ord_\w+ done\./)
      .first()
      .waitFor();
    await expect.poll(() => row.textContent()).toContain('Upgraded to s1.large until');
    const upgraded = await api('GET', `/v1/servers/${id}`);
    expect(upgraded).toMatchObject({ spec: 's1.large', temp_upgrade: { base_spec: 's1.medium' } });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('buys a coupon and adjusts two, showing the apportioned values before confirming', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.getByRole('menuitem', { name: 'Coupons' }).click();
    await p.waitForURL(/\/servers\/coupons$/);
    await p.getByText('No coupons yet.').waitFor();

    const quote = await api('POST', '/v1/orders/quote', {
      product: 'reserved_instance',
      spec: 's1.small',
      count: 1,
      years: 1,
    });
    await expect.poll(() => p.getByTestId('coupon-total').textContent()).toBe(dollars(quote.total_usd));
    await p.getByRole('button', { name: 'Place order' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await toastShown(p, /Order ord_\w+ placed: coupon ri_\w+\./);
    await expect.poll(() => p.getByRole('row', { name: /ri_/ }).count()).toBe(1);
    // a second one through the API, then a day passes: both are worth a little less
    await api('POST', '/v1/orders', { product: 'reserved_instance', spec: 's1.small', count: 1, years: 1 });
    await advance(86_400);
    await p.context().clock.setFixedTime(await e.h.clock.now());
    await p.reload();
    const coupons = (await api('GET', '/v1/reserved-instances')).data as { id: string; value_usd: number }[];
    expect(coupons).toHaveLength(2);
    for (const c of coupons) {
      const r = p.getByRole('row', { name: new RegExp(c.id) });
      await expect.poll(() => r.textContent()).toContain(dollars(c.value_usd));
      await r.getByRole('checkbox').check();
    }
    await settled(p);
    await screenshot(p, 'coupons-en');

    await p.getByRole('button', { name: 'Adjust' }).click();
    const dialog = p.getByRole('dialog');
    const sources = coupons.map((c) => c.id);
    // the default target (s1.small × 2, the sources' compute power): one coupon with the whole value
    const merged = await api('POST', '/v1/reserved-instances/adjust', {
      sources,
      targets: [{ spec: 's1.small', count: 2 }],
      dry_run: true,
    });
    await expect
      .poll(() => dialog.getByTestId('target-value').first().textContent())
      .toBe(`Allocated value: ${dollars(merged.targets[0].value_usd)}`);
    await dialog.getByText(`Remaining value to allocate: ${dollars(merged.total_value_usd)}`).waitFor();

    // three instances for two: the mismatch in words, nothing to confirm
    await dialog.getByLabel('Instances').fill('3');
    await dialog
      .getByText('The new coupons have compute power 3; the coupons they replace have 2. Make them equal.')
      .waitFor();
    expect(await dialog.getByRole('button', { name: 'Confirm' }).isDisabled()).toBe(true);

    // split into two coupons of one instance each: each target's value from the dry run
    await dialog.getByLabel('Instances').fill('1');
    await dialog.getByRole('button', { name: 'Add a coupon' }).click();
    const split = await api('POST', '/v1/reserved-instances/adjust', {
      sources,
      targets: [
        { spec: 's1.small', count: 1 },
        { spec: 's1.small', count: 1 },
      ],
      dry_run: true,
    });
    const values = dialog.getByTestId('target-value');
    for (const [i, target] of (split.targets as { value_usd: number }[]).entries()) {
      await expect
        .poll(() => values.nth(i).textContent())
        .toBe(`Allocated value: ${dollars(target.value_usd)}`);
    }
    expect(split.targets[0].value_usd + split.targets[1].value_usd).toBeCloseTo(split.total_value_usd, 2);
    await dialogShot(p, 'coupons-adjust-en');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await toastShown(p, /Adjusted: new coupons ri_\w+, ri_\w+\./);
    const after = (await api('GET', '/v1/reserved-instances')).data as {
      status: string;
      value_usd: number;
    }[];
    expect(after.filter((c) => c.status === 'adjusted')).toHaveLength(2);
    const made = after.filter((c) => c.status === 'active').map((c) => c.value_usd);
    expect(made.sort()).toEqual(split.targets.map((x: { value_usd: number }) => x.value_usd).sort());
    await expect.poll(() => p.getByRole('row', { name: /Adjusted/ }).count()).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('saves an auto top-up rule under Residential and shows its state', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.goto(`${e.base}/residential/buy`);
    await p.getByText('No auto top-up yet.').waitFor();
    await p.getByLabel('When the pool falls below').fill('5');
    await p.getByLabel('Amount to buy').fill('20');
    await p.getByLabel('Monthly spend cap (USD)').fill('150.5');
    await p.getByRole('button', { name: 'Save' }).click();
    await toastShown(p, 'Auto top-up saved.');
    const rules = await api('GET', '/v1/auto-top-ups');
    expect(rules.data).toHaveLength(1);
    expect(rules.data[0]).toMatchObject({
      product: 'residential',
      below_gb: 5,
      buy_gb: 20,
      monthly_cap_usd: 150.5,
      enabled: true,
      disabled_reason: null,
    });
    await expect.poll(() => p.getByTestId('auto-top-up-state').textContent()).toBe('On');
    expect(await p.getByTestId('auto-top-up-spent').textContent()).toBe(
      `${dollars(rules.data[0].month_spent_usd)} of ${dollars(150.5)}`,
    );
    // the saved rule is what the form shows on the next visit
    await p.reload();
    await expect.poll(() => p.getByLabel('Amount to buy').inputValue()).toBe('20');
    expect(await p.getByLabel('Monthly spend cap (USD)').inputValue()).toBe('150.50');
    await screenshot(p, 'auto-top-up-en');
    // the mobile page has its own rule: none yet
    await p.goto(`${e.base}/mobile/buy`);
    await p.getByText('No auto top-up yet.').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the pages in Chinese and at a phone’s width', async () => {
    // a balance that covers a coupon, so the buy form shows no refusal
    const topUp = await e.h.call('POST', `/admin/v1/accounts/${demoId}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: 500, reason: 'e2e: screenshots' },
    });
    expect(topUp.statusCode, topUp.body).toBe(200);
    for (const lang of ['en', 'zh-CN'] as const) {
      for (const phone of [false, true]) {
        const { page: p, context, errors } = await page({ lang, ...(phone ? { viewport: PHONE } : {}) });
        await logIn(p, e.base, e.demo.email, e.demo.password, lang);
        const suffix = `${phone ? 'phone-' : ''}${lang}`;
        await p.goto(`${e.base}/servers?lang=${lang}`);
        await p.getByRole('heading', { name: lang === 'en' ? 'Servers' : '服务器' }).waitFor();
        await p.getByText('s1.medium').first().waitFor();
        await settled(p);
        await expectNoHorizontalOverflow(p);
        await screenshot(p, `servers-${suffix}`);
        await p.goto(`${e.base}/servers/coupons?lang=${lang}`);
        await p
          .getByRole('heading', { name: lang === 'en' ? 'Reserved-instance coupons' : '预留实例券' })
          .waitFor();
        await p
          .getByText(lang === 'en' ? 'Adjusted' : '已调整')
          .first()
          .waitFor();
        await settled(p);
        await expectNoHorizontalOverflow(p);
        await screenshot(p, `coupons-${suffix}`);
        if (phone) {
          await p.goto(`${e.base}/servers/buy?lang=${lang}`);
          await expect.poll(() => p.getByTestId('total').textContent()).not.toBe('—');
          await expectNoHorizontalOverflow(p);
        }
        expect(errors).toEqual([]);
        await context.close();
      }
    }
  });

  it('warns of arrears on the dashboard, links to top up, and Buy a server says why it is refused', async () => {
    // arrears come from postpaid charges only: a postpaid server on a balance brought to zero
    const admin = async (body: object) => {
      const res = await e.h.call('POST', `/admin/v1/accounts/${demoId}/balance-adjustments`, {
        admin: true,
        body,
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    await admin({ amount_usd: 200, reason: 'e2e: above the postpaid threshold' });
    await api('POST', '/v1/orders', { product: 'server', spec: 's1.xlarge', payment_mode: 'postpaid' });
    await admin({ amount_usd: -(await api('GET', '/v1/account')).balance_usd, reason: 'e2e: down to zero' });
    // the periodic jobs as a running worker has them, so the advance settles the server's hours
    await schedulePeriodic(e.h.deps, jobKinds);
    await advance(10 * 3600);
    const owed = await api('GET', '/v1/account');
    expect(owed.arrears_usd).toBeGreaterThan(0);

    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    const warning = p.getByRole('alert').filter({ hasText: 'Your account has arrears' });
    await warning.getByText(`Your account has arrears of ${dollars(owed.arrears_usd)}`).waitFor();
    await settled(p);
    await screenshot(p, 'dashboard-arrears-en');
    await warning.getByRole('link', { name: 'Top up' }).click();
    await p.waitForURL(/\/billing\/payment-methods$/);

    // a postpaid server is refused while arrears are outstanding; a prepaid one would pay them too
    await p.goto(`${e.base}/servers/buy`);
    await p.getByText('Postpaid (hourly)').click();
    await p.getByText('Your account has arrears; pay them first.').waitFor();
    expect(await p.getByRole('button', { name: 'Place order' }).isDisabled()).toBe(true);
    await p.getByText('Prepaid', { exact: true }).click();
    await p.getByText(`Also pays your arrears: ${dollars(owed.arrears_usd)}`).waitFor();
    expect(errors).toEqual([]);
    await context.close();

    const zh = await page({ lang: 'zh-CN' });
    await logIn(zh.page, e.base, e.demo.email, e.demo.password, 'zh-CN');
    const amount = new Intl.NumberFormat('zh-CN', {
      style: 'currency',
      currency: 'USD',
      minimumFractionDigits: 2,
    }).format(owed.arrears_usd);
    await zh.page.getByText(`您的账户欠费 ${amount}`).waitFor();
    expect(zh.errors).toEqual([]);
    await zh.context.close();
  });
});
