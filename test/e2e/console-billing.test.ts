/**
 * The billing center and the account pages in Chromium (SPEC §8, §10; the billing-center seed):
 * pay-later orders found on Billing → Orders with the status filter, one paid and one cancelled
 * (its dry run shown first); a declined default card's reason in words; the order detail's overview
 * and line items, with the old and the new configuration of an unsubscribe; an API key shown once;
 * the pages in Chinese; a phone's width without sideways scrolling; no page error anywhere.
 * Screenshots of every page in both languages go to docs/screenshots/.
 *
 * The browser's clock is set to the server's test clock, so "the last month" (the Orders page's
 * default range) is the server's last month, as it is for a real customer.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe.skipIf(unavailable !== null)('the billing center and account pages in Chromium', () => {
  let e: E2e;
  let demoKey: string;
  /** pay-later orders of the demo account: one to pay (45.00), one to cancel (90.00) */
  let toPay: string;
  let toCancel: string;
  let paidNow: string;
  let unsubscribe: string;

  async function order(key: string, body: object): Promise<{ id: string; details: { batch_id?: string } }> {
    const res = await e.h.call('POST', '/v1/orders', { key, body });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  /** A page whose Date is the server's test clock. */
  async function page(opts: Parameters<typeof newPage>[1] = {}) {
    const p = await newPage(e, opts);
    await p.context.clock.setFixedTime(await e.h.clock.now());
    return p;
  }

  /** Every list has loaded (no spinner), so a screenshot shows the page as a reader sees it. */
  async function settled(p: Page) {
    await expect.poll(() => p.locator('.ant-spin-spinning').count()).toBe(0);
  }

  /** A dialog as it shows once its opening animation is over (the viewport only: a full-page capture re-lays the page out under it). */
  async function dialogShot(p: Page, name: string) {
    await expect
      .poll(() => p.locator('.ant-modal[class*="-appear"], .ant-modal[class*="-enter"]').count())
      .toBe(0);
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  async function pickStatus(p: Page, label: string, option: string) {
    await p.getByLabel(label, { exact: true }).click();
    await p.locator(`.ant-select-item-option[title="${option}"]`).click();
  }

  beforeAll(async () => {
    e = await startE2e();
    const accounts = await e.h.call('GET', `/admin/v1/accounts?email=${encodeURIComponent(e.demo.email)}`, {
      admin: true,
    });
    const demoId = accounts.json().data[0].id as string;
    demoKey = (
      await e.h.call('POST', `/admin/v1/accounts/${demoId}/api-keys`, { admin: true, body: { name: 'e2e' } })
    ).json().key;
    toPay = (await order(demoKey, { product: 'residential', gb: 10, pay: 'later' })).id;
    toCancel = (await order(demoKey, { product: 'residential', gb: 20, pay: 'later' })).id;
    paidNow = (await order(demoKey, { product: 'mobile', gb: 1 })).id;
    // an ISP batch released at once: an unsubscribe order with the old and the new configuration
    const isp = await order(demoKey, {
      product: 'isp',
      country: 'us',
      city: 'newyork',
      asn: 7922,
      quantity: 5,
    });
    const released = await e.h.call('DELETE', `/v1/isp/batches/${isp.details.batch_id}`, { key: demoKey });
    expect(released.statusCode, released.body).toBe(200);
    const list = await e.h.call('GET', '/v1/orders?type=unsubscribe', { key: demoKey });
    unsubscribe = list.json().data[0].id;
  });
  traceFailures(() => e);
  afterAll(async () => {
    await e?.close();
  });

  it('finds the pending orders with the status filter, pays one and cancels the other', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.getByRole('menuitem', { name: 'Orders' }).click();
    await p.waitForURL(/\/billing\/orders$/);
    await p.getByRole('heading', { name: 'Orders' }).waitFor();
    // the default range (the last month) holds every order placed above
    for (const id of [toPay, toCancel, paidNow, unsubscribe])
      await p.getByRole('link', { name: id }).waitFor();
    await expect
      .poll(() => p.getByRole('row', { name: new RegExp(paidNow) }).textContent())
      .toContain('Paid');
    await expect
      .poll(() => p.getByRole('row', { name: new RegExp(unsubscribe) }).textContent())
      .toContain('Unsubscribe');
    await screenshot(p, 'orders-en');

    await pickStatus(p, 'Status', 'Pending payment');
    await p.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => p.getByRole('link', { name: /^ord_/ }).count()).toBe(2);
    const payRow = p.getByRole('row', { name: new RegExp(toPay) });
    await expect.poll(() => payRow.textContent()).toMatch(/Pending payment.*Auto-cancel/);
    expect(await payRow.textContent()).toContain('$45.00');
    await screenshot(p, 'orders-pending-en');

    // pay: the dialog shows the payable, Confirm pays from the balance
    await payRow.getByRole('button', { name: 'Pay' }).click();
    const payDialog = p.getByRole('dialog');
    await payDialog.getByText('$45.00').waitFor();
    await payDialog.getByRole('button', { name: 'Confirm' }).click();
    await toastShown(p, `Order ${toPay} is paid.`);
    await expect.poll(() => p.getByRole('link', { name: toPay }).count()).toBe(0);

    // cancel: the dry run first (nothing was paid, nothing comes back), then Cancel the order
    await p
      .getByRole('row', { name: new RegExp(toCancel) })
      .getByRole('button', { name: 'Cancel' })
      .click();
    const cancelDialog = p.getByRole('dialog');
    await cancelDialog.getByText('Nothing was paid for this order').waitFor();
    await dialogShot(p, 'orders-cancel-en');
    // the title holds the order id (no spaces): its text wraps, clear of the close button
    const [textRight, closeLeft] = await cancelDialog.locator('.ant-modal-title').evaluate((el) => {
      const text = document.createRange();
      text.selectNodeContents(el);
      const close = el.closest('.ant-modal')?.querySelector('.ant-modal-close')?.getBoundingClientRect();
      return [text.getBoundingClientRect().right, close?.left ?? 0];
    });
    expect(textRight).toBeLessThanOrEqual(closeLeft);
    await cancelDialog.getByRole('button', { name: 'Cancel the order' }).click();
    await toastShown(p, `Order ${toCancel} is cancelled.`);
    await p.getByText('No orders match these filters.').waitFor();

    const paid = (await e.h.call('GET', `/v1/orders/${toPay}`, { key: demoKey })).json();
    expect(paid).toMatchObject({ payment_status: 'paid', paid_usd: 45 });
    const cancelled = (await e.h.call('GET', `/v1/orders/${toCancel}`, { key: demoKey })).json();
    expect(cancelled.payment_status).toBe('cancelled');

    // the cancelled one is found with its own status
    await pickStatus(p, 'Status', 'Cancelled');
    await p.getByRole('button', { name: 'Search' }).click();
    await p.getByRole('link', { name: toCancel }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the order detail: overview, line items, and an unsubscribe’s old and new configuration', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.goto(`${e.base}/billing/orders?lang=en`);
    await p.getByRole('link', { name: toPay }).click();
    await p.waitForURL(new RegExp(`/billing/orders/${toPay}$`));
    await p.getByText('Overview').waitFor();
    for (const label of [
      'Payment mode',
      'Original total',
      'Discount total',
      'Voucher deduction',
      'Payable total',
      'Paid total',
    ])
      await p.getByText(label, { exact: true }).first().waitFor();
    await p.getByText('Prepaid').first().waitFor();
    await p.getByText('Line items').waitFor();
    const line = p.locator('.ant-table-row').first();
    await expect.poll(() => line.textContent()).toMatch(/Residential.*GB: 10.*Paid/);
    expect(await line.textContent()).toContain('$45.00');
    await screenshot(p, 'order-detail-en');

    await p.goto(`${e.base}/billing/orders/${unsubscribe}`);
    await p.getByText('Old configuration').waitFor();
    await p.getByText('New configuration').waitFor();
    await expect.poll(() => p.locator('.ant-table-row').count()).toBe(2);
    expect(await p.locator('.ant-table-row').first().textContent()).toContain('newyork');
    await screenshot(p, 'order-detail-unsubscribe-en');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a declined default card: its reason shown in words when paying and when topping up', async () => {
    const email = 'declined@example.com';
    const acc = await e.h.call('POST', '/admin/v1/accounts', {
      admin: true,
      body: { email, name: 'Declined Ltd', password: 'a-long-password' },
    });
    expect(acc.statusCode).toBe(200);
    const key = (
      await e.h.call('POST', `/admin/v1/accounts/${acc.json().id}/api-keys`, { admin: true })
    ).json().key;
    const pending = (await order(key, { product: 'residential', gb: 2, pay: 'later' })).id;

    const { page: p, context, errors } = await page();
    await logIn(p, e.base, email, 'a-long-password');
    await p.getByRole('menuitem', { name: 'Payment methods' }).click();
    await p.getByText('No cards yet.').waitFor();
    await p.getByLabel('Card number').fill('4000 0000 0000 0002');
    await p.getByLabel('CVC').fill('123');
    await p.getByRole('button', { name: 'Add card', exact: true }).click();
    await toastShown(p, 'Card ending 0002 added.');
    await p.getByText('•••• 0002').waitFor();
    await p.getByText('Default', { exact: true }).waitFor();

    // a top-up amount is checked as typed: at most two decimals
    await p.getByLabel('Amount (USD)').fill('10.555');
    await p.getByText('at most two decimals').waitFor();
    await p.getByLabel('Amount (USD)').fill('10');
    await p.getByRole('button', { name: 'Top up' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await p.getByText(/the card was declined/).waitFor();
    await dialogShot(p, 'billing-declined-en');

    await p.getByRole('menuitem', { name: 'Orders' }).click();
    await p
      .getByRole('row', { name: new RegExp(pending) })
      .getByRole('button', { name: 'Pay' })
      .click();
    const dialog = p.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByText('The payment failed: the card was declined.', { exact: false }).waitFor();
    expect(await dialog.textContent()).not.toContain('{');
    await dialogShot(p, 'orders-declined-en');
    expect((await e.h.call('GET', `/v1/orders/${pending}`, { key })).json().payment_status).toBe(
      'pending_payment',
    );
    expect(errors).toEqual([]);
    await context.close();
  });

  it('creates an API key shown once (it works), lists it by prefix and revokes it', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.getByRole('menuitem', { name: 'API keys' }).click();
    await p.getByRole('heading', { name: 'API keys' }).waitFor();
    await p.getByLabel('Name').fill('CI server');
    await p.getByRole('button', { name: 'Create API key' }).click();
    const shown = p.getByTestId('new-api-key');
    await shown.waitFor();
    await p.getByText('Copy it now: it will not be shown again.').waitFor();
    const key = (await shown.textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    await dialogShot(p, 'api-key-created-en');
    expect((await e.h.call('GET', '/v1/account', { key })).statusCode).toBe(200);
    await p.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'detached' });
    const row = p.getByRole('row', { name: /CI server/ });
    await row.waitFor();
    // listed by its prefix only: the key itself is not on the page any more
    expect(await p.content()).not.toContain(key);
    await screenshot(p, 'api-keys-en');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await p.getByRole('tooltip').getByRole('button', { name: 'Revoke' }).click();
    await toastShown(p, 'Key revoked.');
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect((await e.h.call('GET', '/v1/account', { key })).statusCode).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the other pages: payment methods, transactions, vouchers, subusers, alerts, KYC', async () => {
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, e.demo.email, e.demo.password);
    await p.getByRole('menuitem', { name: 'Payment methods' }).click();
    await p.getByText('$').first().waitFor();
    await screenshot(p, 'billing-en');

    await p.getByRole('menuitem', { name: 'Transactions' }).click();
    await p.getByRole('link', { name: toPay }).waitFor();
    await p.getByText('-$45.00').waitFor();
    await screenshot(p, 'transactions-en');

    await p.getByRole('menuitem', { name: 'Vouchers' }).click();
    await p.getByText('No vouchers.').waitFor();
    await screenshot(p, 'vouchers-en');

    await p.getByRole('menuitem', { name: 'Subusers' }).click();
    await p.getByText('Main', { exact: true }).waitFor();
    await p.getByRole('button', { name: 'Create subuser' }).click();
    const dialog = p.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Scraping team');
    await dialog.getByLabel('Residential cap (GB)').fill('1.5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await toastShown(p, /Subuser .+ created\./);
    await p
      .getByRole('row', { name: /Scraping team/ })
      .getByText('0 GB / 1.5 GB')
      .waitFor();
    await screenshot(p, 'subusers-en');

    await p.getByRole('menuitem', { name: 'Alerts' }).click();
    await p.getByLabel('Country').fill('us');
    await p.getByLabel('City').fill('newyork');
    await p.getByLabel('Minimum IPs').fill('50');
    await p.getByRole('button', { name: 'Create alert' }).click();
    await toastShown(p, 'Alert created.');
    await p.getByRole('row', { name: /newyork/ }).waitFor();
    await screenshot(p, 'alerts-en');

    await p.getByRole('menuitem', { name: 'KYC' }).click();
    await p.getByText('Your verification is approved').waitFor();
    await screenshot(p, 'kyc-en');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a new account submits KYC and sees it pending', async () => {
    const email = 'kyc-e2e@example.com';
    await e.h.call('POST', '/admin/v1/accounts', {
      admin: true,
      body: { email, name: 'KYC Ltd', password: 'a-long-password' },
    });
    const { page: p, context, errors } = await page();
    await logIn(p, e.base, email, 'a-long-password');
    await p.goto(`${e.base}/kyc`);
    await p.getByText('Not submitted').waitFor();
    await p.getByRole('button', { name: 'Submit for review' }).click();
    await p.getByText('Required').first().waitFor();
    await p.getByLabel('Legal name').fill('KYC Ltd');
    await p.getByLabel('Country').fill('de');
    await p.getByLabel('Document reference').fill('HRB 12345');
    await p.getByRole('button', { name: 'Submit for review' }).click();
    await p.getByText('Your submission is being reviewed.').waitFor();
    await p.getByText('Pending review').waitFor();
    await screenshot(p, 'kyc-pending-en');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the same pages in Chinese: 订单, 订单详情, 付款方式, 子账号, 告警, API 密钥', async () => {
    const { page: p, context, errors } = await page({ lang: 'zh-CN' });
    await logIn(p, e.base, e.demo.email, e.demo.password, 'zh-CN');
    await p.getByRole('menuitem', { name: '订单' }).click();
    await p.getByRole('heading', { name: '订单' }).waitFor();
    for (const col of ['订单号', '产品', '类型', '创建时间', '更新时间', '状态', '原价', '应付'])
      await p.getByRole('columnheader', { name: col, exact: true }).waitFor();
    await expect
      .poll(() => p.getByRole('row', { name: new RegExp(toPay) }).textContent())
      .toMatch(/新购.*已支付/);
    await expect
      .poll(() => p.getByRole('row', { name: new RegExp(toCancel) }).textContent())
      .toContain('已取消');
    await expect
      .poll(() => p.getByRole('row', { name: new RegExp(unsubscribe) }).textContent())
      .toContain('退订');
    await screenshot(p, 'orders-zh-CN');
    await pickStatus(p, '状态', '已取消');
    await p.getByRole('button', { name: /查\s*询/ }).click();
    await expect.poll(() => p.getByRole('link', { name: /^ord_/ }).count()).toBe(1);

    await p.goto(`${e.base}/billing/orders/${unsubscribe}`);
    for (const label of [
      '订单概览',
      '付款方式',
      '原价合计',
      '优惠金额',
      '代金券抵扣',
      '应付金额',
      '实付金额',
      '变更前配置',
      '变更后配置',
    ])
      await p.getByText(label, { exact: true }).first().waitFor();
    await screenshot(p, 'order-detail-zh-CN');
    await p.goto(`${e.base}/billing/orders/${toPay}`);
    await p.getByText('预付费').first().waitFor();
    await screenshot(p, 'order-detail-paid-zh-CN');

    const pages: [string, string, string][] = [
      ['/billing/payment-methods', '账户余额', 'billing-zh-CN'],
      ['/billing/transactions', '变动后余额', 'transactions-zh-CN'],
      ['/billing/vouchers', '暂无代金券。', 'vouchers-zh-CN'],
      ['/subusers', '创建子账号', 'subusers-zh-CN'],
      ['/settings/alerts', '创建告警', 'alerts-zh-CN'],
      ['/api-keys', '创建 API 密钥', 'api-keys-zh-CN'],
      ['/kyc', '您的认证已通过，所有产品均可购买。', 'kyc-zh-CN'],
    ];
    for (const [path, text, name] of pages) {
      await p.goto(`${e.base}${path}`);
      await p.getByText(text).first().waitFor();
      await settled(p);
      await screenshot(p, name);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('at a phone’s 390 px no page scrolls sideways', async () => {
    const { page: p, context, errors } = await page({ viewport: PHONE });
    await logIn(p, e.base, e.demo.email, e.demo.password);
    const pages: [string, string, string][] = [
      ['/billing/orders', 'Created between', 'orders-phone-en'],
      [`/billing/orders/${unsubscribe}`, 'Old configuration', 'order-detail-phone-en'],
      ['/billing/payment-methods', 'Add a card', 'billing-phone-en'],
      ['/billing/transactions', 'Balance after', 'transactions-phone-en'],
      ['/billing/vouchers', 'No vouchers.', 'vouchers-phone-en'],
      ['/subusers', 'Create subuser', 'subusers-phone-en'],
      ['/settings/alerts', 'Create alert', 'alerts-phone-en'],
      ['/api-keys', 'Create API key', 'api-keys-phone-en'],
      ['/kyc', 'Your verification is approved', 'kyc-phone-en'],
    ];
    for (const [path, text, name] of pages) {
      await p.goto(`${e.base}${path}`);
      await p.getByText(text).first().waitFor();
      await settled(p);
      await expectNoHorizontalOverflow(p);
      await screenshot(p, name);
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
