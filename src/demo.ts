/**
 * Demo data for a first look (ORDERDESK_DEMO, on by default with the embedded database): one
 * account with a balance, KYC approved and an API key. Loaded once; its credentials are kept in
 * DATA_DIR/demo.json so later starts can print them again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { adjustBalance } from './app/adjust-balance.ts';
import { createAccount } from './app/create-account.ts';
import { createApiKey } from './app/create-api-key.ts';
import type { Deps } from './app/deps.ts';
import { getAccountByEmail, setKycStatus } from './db/accounts.ts';

export interface DemoCredentials {
  email: string;
  password: string;
  apiKey: string;
  balanceUsd: string;
}

const EMAIL = 'demo@orderdesk.local';
const PASSWORD = 'demo-password';

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
