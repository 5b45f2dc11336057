/**
 * ISP in the console, in Chromium (SPEC §6, §10; the console seed's "ISP —— 购买静态 IP" and
 * "库存不足怎么办"): order 20 IPs in New York on ASN 7922 for a month and see 120.00 before
 * confirming; the test clock moves and the batch is ready; its list downloads as 20 lines of
 * ip:port:username:password; the batch's money moves show their dry run first; a shortage offers
 * wait and substitute before confirming; the pages in Chinese and at a phone's width; no uncaught
 * page error anywhere. Screenshots of every ISP page in both languages go to docs/screenshots/.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAccountByEmail } from '../../src/db/accounts.ts';
import {
  type E2e,
  e2eUnavailable,
  expectNoHorizontalOverflow,
  logIn,
  newPage,
  PHONE,
  screenshot,
  startE2e,
  traceFailures,
} from './browser.ts';

const unavailable = e2eUnavailable();
if (unavailable) console.warn(`[e2e] skipped: ${unavailable}`);

/** Picks an option of the Ant Design select labelled `label`. */
async function choose(page: Page, label: string, option: RegExp) {
  await page.getByLabel(label, { exact: true }).click();
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option')
    .filter({ hasText: option })
    .click();
}

/** Lets Ant Design's transitions end (a button just enabled fades in) before a screenshot. */
async function shot(page: Page, name: string) {
  await page.waitForTimeout(400);
  await screenshot(page, name);
}

const PLAIN_LINE = /^\d{1,3}(\.\d{1,3}){3}:\d+:[^:\s]+:[^:\s]+$/;

describe.skipIf(unavailable !== null)('ISP in the console (Chromium)', () => {
  let e: E2e;
  let batchId = '';
  beforeAll(async () => {
    e = await startE2e();
  });
  traceFailures(() => e);
  afterAll(async () => {
    await e?.close();
  });

  it('orders 20 IPs in New York on ASN 7922 for a month: 120.00 before confirming, ready after the clock moves, the list downloads', async () => {
    const { page, context, errors } = await newPage(e);
    await logIn(page, e.base, e.demo.email, e.demo.password);
    await page.getByRole('menuitem', { name: 'Order new IPs' }).click();
    await page.waitForURL(/\/isp\/order$/);
    await page.getByRole('heading', { name: 'Order new IPs' }).waitFor();
    // the live stock of the country, from the API: New York on AS7922 has the demo's 150
    const stock = page.getByTestId('stock-table');
    await stock.getByRole('row', { name: /newyork AS7922 premium 150 \$6\.00/ }).waitFor();
    await choose(page, 'City', /^newyork/);
    await choose(page, 'ASN', /AS7922/);
    await page.getByLabel('Quantity').fill('20');
    await expect.poll(() => page.getByTestId('total').textContent()).toBe('$120.00');
    await expect.poll(() => page.getByText('$6.00 / IP / month').isVisible()).toBe(true);
    await shot(page, 'isp-order-en');

    await page.getByRole('button', { name: 'Place order' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByText(/20 ISP IPs in United States · newyork · AS7922 for 1 month\(s\): \$120\.00/)
      .waitFor();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Provisioning your IPs…').waitFor();
    await page.getByText(/Order ord_\w+ placed: \$120\.00/).waitFor();
    await shot(page, 'isp-order-provisioning-en');

    // the provisioner finishes within minutes of the test clock; the page polls the order
    const moved = await e.h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 600 } });
    expect(moved.statusCode).toBe(200);
    await page.getByText('Your IPs are ready').waitFor({ timeout: 15_000 });
    await shot(page, 'isp-order-ready-en');
    await page.getByRole('button', { name: 'Open the batch' }).click();
    await page.waitForURL(/\/isp\/batches\/bat_\w+$/);
    batchId = page.url().split('/').at(-1)!;
    await page.getByTestId('status').filter({ hasText: 'Ready' }).waitFor();
    await page
      .getByRole('cell', { name: /^10\.1\.0\.\d+$/ })
      .first()
      .waitFor();
    await shot(page, 'isp-batch-en');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-plain').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${batchId}.txt`);
    const lines = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(20);
    for (const line of lines) expect(line).toMatch(PLAIN_LINE);
    const username = await page.getByTestId('username').textContent();
    const password = await page.getByTestId('password').textContent();
    expect(lines[0]!.endsWith(`:${username}:${password}`)).toBe(true);

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-csv').click(),
    ]);
    expect(
      fs
        .readFileSync((await csv.path())!, 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(21);

    // the list shows the batch, ready, with its expiry
    await page.getByRole('menuitem', { name: 'Batches' }).click();
    await page.waitForURL(/\/isp\/batches$/);
    const row = page.getByRole('row', { name: new RegExp(batchId) });
    await row.getByText('Ready').waitFor();
    await row.getByText('United States · newyork · AS7922').waitFor();
    await shot(page, 'isp-batches-en');
    // 500.00 − 120.00
    await page.getByRole('menuitem', { name: 'Dashboard' }).click();
    await page.getByText('$380.00').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('on the batch, every money move shows its dry run first; credentials moves warn before they happen', async () => {
    const { page, context, errors } = await newPage(e);
    await logIn(page, e.base, e.demo.email, e.demo.password);
    await page.goto(`${e.base}/isp/batches/${batchId}`);
    await page
      .getByTestId('allowances')
      .getByText(/Unlimited until/)
      .waitFor();

    // renew: the dry run's price (6.00 × 20 × 1) before paying anything
    await page.getByRole('button', { name: 'Renew' }).click();
    let dialog = page.getByRole('dialog');
    const dry = dialog.getByTestId('renew-dry-run');
    await dry.getByText('$120.00').first().waitFor();
    await dialog.getByRole('button', { name: 'Pay $120.00 and renew' }).waitFor();
    await shot(page, 'isp-batch-renew-en');
    await dialog.getByText('Yearly (−10 %)').click();
    // 6.00 × 20 × 12 = 1,440.00 − 10 % = 1,296.00
    await dialog.getByRole('button', { name: 'Pay $1,296.00 and renew' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // replace one IP: the dry run says it is free (first 14 days), then it is replaced
    const firstIp = (await page
      .getByRole('cell', { name: /^10\.1\.0\.\d+$/ })
      .first()
      .textContent())!;
    await page
      .getByRole('row', { name: new RegExp(`^${firstIp.replace(/\./g, '\\.')} `) })
      .getByRole('button', { name: 'Replace' })
      .click();
    dialog = page.getByRole('dialog');
    await dialog.getByText('This replacement is free.').waitFor();
    await dialog.getByLabel('Reason').fill('blocked by a target site');
    await shot(page, 'isp-batch-replace-en');
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await page
      .getByTestId('notice')
      .getByText(new RegExp(`${firstIp.replace(/\./g, '\\.')} was replaced by 10\\.`))
      .waitFor();

    // rebind: the seed's warning (credentials change, lists must be downloaded again)
    await page.getByRole('button', { name: 'Rebind subuser' }).click();
    dialog = page.getByRole('dialog');
    await dialog
      .getByText(/the credentials change, and lists downloaded before must be downloaded again/)
      .waitFor();
    await shot(page, 'isp-batch-rebind-en');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // rotate password: a fresh password, the list is stale
    const before = await page.getByTestId('password').textContent();
    await page.getByRole('button', { name: 'Rotate password' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByText(/Lists downloaded before stop working/).waitFor();
    await dialog.getByRole('button', { name: 'Rotate password' }).click();
    await page
      .getByTestId('notice')
      .getByText('The password was rotated. Download the list again.')
      .waitFor();
    await expect.poll(() => page.getByTestId('password').textContent()).not.toBe(before);

    // auto-renew toggles
    await page.getByRole('switch', { name: 'Auto-renew' }).click();
    await page.getByTestId('notice').getByText('Auto-renew is on.').waitFor();

    // release: the no-refund warning, then cancel (the batch stays)
    await page.getByRole('button', { name: 'Release' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByText(/There is no refund for the rest of the period/).waitFor();
    await shot(page, 'isp-batch-release-en');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a shortage offers wait and substitute before confirming', async () => {
    // an operator credits 1,000.00 so that the balance is not what stops these orders
    const account = await getAccountByEmail(e.h.db, e.demo.email);
    const credit = await e.h.call('POST', `/admin/v1/accounts/${account!.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: 1000, reason: 'e2e: room for a larger ISP order' },
    });
    expect(credit.statusCode).toBe(200);
    const { page, context, errors } = await newPage(e);
    await logIn(page, e.base, e.demo.email, e.demo.password);
    await page.goto(`${e.base}/isp/order`);
    await choose(page, 'City', /^newyork/);
    await choose(page, 'ASN', /AS7018/);
    // AS7018 in New York has 120; 125 is more
    await page.getByLabel('Quantity').fill('125');
    const shortage = page.getByTestId('shortage');
    await shortage.getByText('Only 120 IPs in stock at this place; you asked for 125.').waitFor();
    const place = page.getByRole('button', { name: 'Place order' });
    expect(await place.isDisabled()).toBe(true);
    await shortage.getByRole('radio', { name: /Wait/ }).check();
    await expect.poll(() => place.isEnabled()).toBe(true);
    await shortage.getByRole('radio', { name: /Substitute/ }).check();
    await shortage.getByText('Will be delivered from newyork, AS7922 instead.').waitFor();
    await expect.poll(() => place.isEnabled()).toBe(true);
    await shot(page, 'isp-order-shortage-en');
    // 200 more than any place in the country has: substitute cannot help, wait can
    await page.getByLabel('Quantity').fill('200');
    await shortage.getByText(/you asked for 200/).waitFor();
    await shortage.getByRole('radio', { name: /Substitute/ }).check();
    await shortage.getByText(/No place in this country has enough stock/).waitFor();
    await expect.poll(() => place.isDisabled()).toBe(true);
    await shortage.getByRole('radio', { name: /Wait/ }).check();
    await expect.poll(() => place.isEnabled()).toBe(true);
    await place.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/delivered in full as soon as stock arrives/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // the quantity rule: outside 5–5,000 is an error and Place order is off
    await page.getByLabel('Quantity').fill('4');
    await page.getByText('An integer from 5 to 5,000').waitFor();
    await expect.poll(() => place.isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the ISP pages in Chinese: 下单新 IP, 批次 and a batch', async () => {
    const { page, context, errors } = await newPage(e, { lang: 'zh-CN' });
    await logIn(page, e.base, e.demo.email, e.demo.password, 'zh-CN');
    await page.getByRole('menuitem', { name: '下单新 IP' }).click();
    await page.getByRole('heading', { name: '下单新 IP' }).waitFor();
    await page.getByLabel('数量').fill('20');
    await page.getByTestId('stock-table').getByText('AS7922').first().waitFor();
    await expect.poll(() => page.getByTestId('total').textContent()).toMatch(/\d+\.00/);
    await page.getByRole('button', { name: /下\s*单/ }).waitFor();
    await shot(page, 'isp-order-zh-CN');
    await page.getByRole('menuitem', { name: '批次' }).click();
    await page.getByRole('heading', { name: '批次' }).waitFor();
    await page.getByText('就绪').first().waitFor();
    await shot(page, 'isp-batches-zh-CN');
    await page.getByRole('link', { name: batchId }).click();
    await page.getByRole('heading', { name: `批次 ${batchId}` }).waitFor();
    await page.getByText('更换额度').waitFor();
    await page
      .getByRole('cell', { name: /^10\.1\./ })
      .first()
      .waitFor();
    await shot(page, 'isp-batch-zh-CN');
    await page.getByRole('button', { name: /续\s*费/ }).click();
    await page.getByRole('dialog').getByText('计算公式').waitFor();
    await shot(page, 'isp-batch-renew-zh-CN');
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /取\s*消/ })
      .click();
    await page.getByRole('button', { name: '换绑子账号' }).click();
    await page
      .getByRole('dialog')
      .getByText(/换绑后凭据会改变，需重新下载清单/)
      .waitFor();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /取\s*消/ })
      .click();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('at a phone’s 390 px the ISP pages do not scroll sideways', async () => {
    const { page, context, errors } = await newPage(e, { viewport: PHONE });
    await logIn(page, e.base, e.demo.email, e.demo.password);
    await page.goto(`${e.base}/isp/order`);
    await page.getByTestId('stock-table').getByText('AS7922').first().waitFor();
    await page.getByLabel('Quantity').fill('20');
    await expect.poll(() => page.getByTestId('total').textContent()).toMatch(/\$\d+\.00/);
    await expectNoHorizontalOverflow(page);
    await shot(page, 'isp-order-phone-en');
    await page.goto(`${e.base}/isp/batches`);
    await page.getByRole('link', { name: batchId }).waitFor();
    await expectNoHorizontalOverflow(page);
    await shot(page, 'isp-batches-phone-en');
    await page.goto(`${e.base}/isp/batches/${batchId}`);
    await page.getByTestId('allowances').waitFor();
    await page
      .getByRole('cell', { name: /^10\.1\./ })
      .first()
      .waitFor();
    await expectNoHorizontalOverflow(page);
    await shot(page, 'isp-batch-phone-en');
    await page.goto(`${e.base}/isp/order?lang=zh-CN`);
    await page.getByRole('heading', { name: '下单新 IP' }).waitFor();
    await expectNoHorizontalOverflow(page);
    await shot(page, 'isp-order-phone-zh-CN');
    expect(errors).toEqual([]);
    await context.close();
  });
});
