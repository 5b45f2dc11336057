/**
 * Demo data for a first look (ORDERDESK_DEMO, on by default with the embedded database): one
 * account with a balance, KYC approved and an API key, and ISP stock in a few T1 cities and one
 * long-tail country (private 10.x addresses, the same on every machine). Loaded once; its
 * credentials are kept in DATA_DIR/demo.json so later starts can print them again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createApiKey } from './app/access/create-api-key.ts';
import { createAccount } from './app/accounts/create-account.ts';
import { adjustBalance } from './app/billing/adjust-balance.ts';
import type { Deps } from './app/deps.ts';
import { type ImportRowInput, importInventory } from './app/inventory/import-inventory.ts';
import { getAccountByEmail, setKycStatus } from './db/accounts.ts';

export interface DemoCredentials {
  email: string;
  password: string;
  apiKey: string;
  balanceUsd: string;
}

const EMAIL = 'demo@orderdesk.local';
const PASSWORD = 'demo-password';

/** Demo stock: place → count; the k-th place's IPs are 10.k.x.y. */
const DEMO_STOCK = [
  { country: 'us', city: 'newyork', asn: 7922, count: 150 },
  { country: 'us', city: 'newyork', asn: 7018, count: 120 },
  { country: 'us', city: 'losangeles', asn: 22773, count: 100 },
  { country: 'gb', city: 'london', asn: 2856, count: 80 },
  { country: 'de', city: 'frankfurt', asn: 3320, count: 80 },
  { country: 'br', city: 'saopaulo', asn: 28573, count: 50 },
] as const;

/** Imports the demo stock (idempotent: IPs already in stock are skipped). */
export async function loadDemoStock(deps: Deps): Promise<number> {
  const rows: ImportRowInput[] = [];
  for (const [k, p] of DEMO_STOCK.entries()) {
    for (let i = 0; i < p.count; i++) {
      const ip = `10.${k + 1}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      rows.push({ line: rows.length + 1, ip, port: 3128, country: p.country, city: p.city, asn: p.asn });
    }
  }
  const r = await importInventory(deps, rows);
  if (!r.ok) throw new Error(`demo stock: ${r.error.message}`);
  return r.value.imported;
}

export async function loadDemo(deps: Deps): Promise<DemoCredentials | null> {
  const file = path.join(deps.config.dataDir, 'demo.json');
  const existing = await getAccountByEmail(deps.db, EMAIL);
  if (existing) {
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DemoCredentials) : null;
  }
  const created = await createAccount(deps, { email: EMAIL, name: 'Demo Customer', password: PASSWORD });
  if (!created.ok) throw new Error(`demo account: ${created.error.message}`);
  const id = created.value.id;
  await adjustBalance(deps, {
    accountId: id,
    amountCents: 50_000,
    reason: 'demo credit',
    operator: 'demo-loader',
  });
  await setKycStatus(deps.db, id, 'approved', await deps.clock.now());
  await loadDemoStock(deps);
  const key = await createApiKey(deps, id, 'demo');
  if (!key.ok) throw new Error(`demo key: ${key.error.message}`);
  const creds: DemoCredentials = {
    email: EMAIL,
    password: PASSWORD,
    apiKey: key.value.key,
    balanceUsd: '500.00',
  };
  fs.mkdirSync(deps.config.dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}
