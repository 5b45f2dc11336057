import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function order(key: string, gb: number) {
  return h.call('POST', '/v1/orders', { key, body: { product: 'residential', gb } });
}

describe('cached prices are checked where they charge (app/orders/cached-prices.ts)', () => {
  it('a price edited straight in the database prices the very next order: the cached copy is never used stale', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const first = await order(c.key, 50);
    expect(first.json().total_usd).toBe(225); // 50 × 4.50, and the prices are now cached
    // an operator (or another process) edits the pay-as-you-go price; this process is not told
    await h.db.query(
      `UPDATE price_book SET unit_price4 = 50000 WHERE product = 'residential' AND code = 'payg'`,
    );
    const second = await order(c.key, 50);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ total_usd: 250, details: { gb: 50, price_per_gb: 5 } });
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(525);
    // … and the copy read afresh serves the orders after it
    expect((await order(c.key, 10)).json().total_usd).toBe(50);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('every write of the price book moves its version, a new tier included', async () => {
    const version = async () =>
      (await h.db.query<{ version: number }>('SELECT version FROM price_book_version'))[0]!.version;
    const v0 = await version();
    await h.db.query(
      `INSERT INTO price_book (product, code, unit, min_quantity, unit_price4, updated_at)
       VALUES ('residential', 'bulk', 'gb', 40, 20000, now())`,
    );
    expect(await version()).toBe(v0 + 1);
    const c = await h.customer({ balanceUsd: 1000 });
    // 50 GB now falls in the new 40 GB tier at 2.00
    expect((await order(c.key, 50)).json()).toMatchObject({ total_usd: 100, details: { plan: 'bulk' } });
    await h.db.query(`DELETE FROM price_book WHERE code = 'bulk'`);
    expect(await version()).toBe(v0 + 2);
    expect((await order(c.key, 50)).json().details.plan).toBe('payg');
  });

  it('a short balance after a price rise is 409 insufficient_balance at the new price, nothing taken', async () => {
    const c = await h.customer({ balanceUsd: 60 });
    expect((await order(c.key, 10)).json().total_usd).toBe(50); // 10 × 5.00 (edited above)
    await h.db.query(
      `UPDATE price_book SET unit_price4 = 60000 WHERE product = 'residential' AND code = 'payg'`,
    );
    const res = await order(c.key, 2); // 12.00 > the 10.00 left
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('insufficient_balance');
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(10);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
