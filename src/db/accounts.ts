/** Accounts, API keys, admin tokens and KYC submissions. */
import type { ContractDiscounts } from '../domain/contract-discount.ts';
import type { Sql } from './client.ts';
import { contractDiscountsColumn, contractDiscountsOf } from './contract-discounts.ts';

export type KycStatus = 'not_submitted' | 'pending' | 'approved' | 'rejected';

export interface Account {
  id: string;
  email: string;
  name: string;
  balanceCents: number;
  kycStatus: KycStatus;
  status: AccountStatus;
  /** why, when and by whom the current suspension was made; null while active (migration 026) */
  suspendedReason: string | null;
  suspendedAt: Date | null;
  suspendedBy: string | null;
  defaultPaymentMethodId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AccountStatus = 'active' | 'suspended';

const COLS = `id, email, name, balance_cents, kyc_status, status, suspended_reason, suspended_at, suspended_by, default_payment_method_id, created_at, updated_at`;

export function mapAccount(r: Record<string, unknown>): Account {
  return {
    id: r.id as string,
    email: r.email as string,
    name: r.name as string,
    balanceCents: r.balance_cents as number,
    kycStatus: r.kyc_status as KycStatus,
    status: r.status as AccountStatus,
    suspendedReason: (r.suspended_reason as string | null) ?? null,
    suspendedAt: (r.suspended_at as Date | null) ?? null,
    suspendedBy: (r.suspended_by as string | null) ?? null,
    defaultPaymentMethodId: (r.default_payment_method_id as string | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** Inserts an account; returns null when the email is taken. */
export async function insertAccount(
  q: Sql,
  a: { id: string; email: string; name: string; passwordHash: string | null; at: Date },
): Promise<Account | null> {
  const rows = await q.query(
    `INSERT INTO accounts (id, email, name, password_hash, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT ((lower(email))) DO NOTHING RETURNING ${COLS}`,
    [a.id, a.email, a.name, a.passwordHash, a.at],
  );
  return rows[0] ? mapAccount(rows[0]) : null;
}

export async function getAccount(
  q: Sql,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<Account | null> {
  const rows = await q.query(
    `SELECT ${COLS} FROM accounts WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
    { prepare: true },
  );
  return rows[0] ? mapAccount(rows[0]) : null;
}

export async function getAccountByEmail(
  q: Sql,
  email: string,
): Promise<(Account & { passwordHash: string | null }) | null> {
  const rows = await q.query(`SELECT ${COLS}, password_hash FROM accounts WHERE lower(email) = lower($1)`, [
    email,
  ]);
  return rows[0] ? { ...mapAccount(rows[0]), passwordHash: rows[0].password_hash as string | null } : null;
}

/** A page of accounts, newest first, optionally filtered by email (case-insensitive) or KYC status. */
export async function listAccounts(
  q: Sql,
  page: { limit: number; startingAfter?: string; email?: string; kycStatus?: KycStatus },
): Promise<Account[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM accounts
     WHERE ($1::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM accounts WHERE id = $1))
       AND ($3::text IS NULL OR lower(email) = lower($3::text))
       AND ($4::text IS NULL OR kyc_status = $4::text)
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [page.startingAfter ?? null, page.limit, page.email ?? null, page.kycStatus ?? null],
  );
  return rows.map(mapAccount);
}

export async function setKycStatus(q: Sql, accountId: string, status: KycStatus, at: Date): Promise<void> {
  await q.query('UPDATE accounts SET kyc_status = $2, updated_at = $3 WHERE id = $1', [
    accountId,
    status,
    at,
  ]);
}

/**
 * Suspends (reason and operator recorded) or resumes an account (the suspension columns cleared),
 * and logs the change in account_status_changes. Changes only an account not already in `status`:
 * returns the account as it is now, or null when it was already so (or does not exist).
 */
export async function setAccountStatus(
  q: Sql,
  c: { accountId: string; status: AccountStatus; reason: string | null; operator: string; at: Date },
): Promise<Account | null> {
  const suspended = c.status === 'suspended';
  const rows = await q.query(
    `UPDATE accounts SET status = $2, suspended_reason = $3, suspended_at = $4, suspended_by = $5, updated_at = $6
     WHERE id = $1 AND status <> $2 RETURNING ${COLS}`,
    [
      c.accountId,
      c.status,
      suspended ? c.reason : null,
      suspended ? c.at : null,
      suspended ? c.operator : null,
      c.at,
    ],
  );
  if (!rows[0]) return null;
  await q.query(
    'INSERT INTO account_status_changes (account_id, status, reason, operator, at) VALUES ($1, $2, $3, $4, $5)',
    [c.accountId, c.status, c.reason, c.operator, c.at],
  );
  return mapAccount(rows[0]);
}

export async function setDefaultPaymentMethod(q: Sql, accountId: string, pmId: string | null, at: Date) {
  await q.query('UPDATE accounts SET default_payment_method_id = $2, updated_at = $3 WHERE id = $1', [
    accountId,
    pmId,
    at,
  ]);
}

export async function insertKycSubmission(
  q: Sql,
  s: {
    id: string;
    accountId: string;
    legalName: string;
    country: string;
    documentReference: string;
    at: Date;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO kyc_submissions (id, account_id, legal_name, country, document_reference, status, submitted_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6)`,
    [s.id, s.accountId, s.legalName, s.country, s.documentReference, s.at],
  );
}

export interface KycSubmission {
  id: string;
  accountId: string;
  legalName: string;
  country: string;
  documentReference: string;
  status: 'pending' | 'approved' | 'rejected';
  reason: string | null;
  submittedAt: Date;
  decidedAt: Date | null;
}

/** The account's latest KYC submission, or null when it never submitted. */
export async function getLatestKycSubmission(q: Sql, accountId: string): Promise<KycSubmission | null> {
  const rows = await q.query(
    `SELECT id, account_id, legal_name, country, document_reference, status, reason, submitted_at, decided_at
     FROM kyc_submissions WHERE account_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT 1`,
    [accountId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    legalName: r.legal_name as string,
    country: r.country as string,
    documentReference: r.document_reference as string,
    status: r.status as KycSubmission['status'],
    reason: (r.reason as string | null) ?? null,
    submittedAt: r.submitted_at as Date,
    decidedAt: (r.decided_at as Date | null) ?? null,
  };
}

export async function decideLatestKycSubmission(
  q: Sql,
  accountId: string,
  decision: 'approved' | 'rejected',
  reason: string | null,
  at: Date,
): Promise<void> {
  await q.query(
    `UPDATE kyc_submissions SET status = $2, reason = $3, decided_at = $4
     WHERE id = (SELECT id FROM kyc_submissions WHERE account_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT 1)`,
    [accountId, decision, reason, at],
  );
}

// ---- API keys and admin tokens (stored as sha256 hashes only) ----

export async function insertApiKey(
  q: Sql,
  k: { id: string; accountId: string; name: string | null; keyHash: string; keyPrefix: string; at: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO api_keys (id, account_id, name, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [k.id, k.accountId, k.name, k.keyHash, k.keyPrefix, k.at],
  );
}

/** A key or token after a revocation: as it is now, and whether this revocation revoked it. */
export interface Revocation<T> {
  record: T;
  revokedNow: boolean;
}

/** An API key as operators see it: never the key itself, only its prefix. */
export interface ApiKeyRecord {
  id: string;
  accountId: string;
  name: string | null;
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const KEY_COLS = 'id, account_id, name, key_prefix, created_at, revoked_at';

function keyRecord(r: Record<string, unknown>): ApiKeyRecord {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    name: (r.name as string | null) ?? null,
    keyPrefix: r.key_prefix as string,
    createdAt: r.created_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

/** The account's API keys, newest first (revoked ones too). */
export async function listApiKeys(q: Sql, accountId: string): Promise<ApiKeyRecord[]> {
  const rows = await q.query(
    `SELECT ${KEY_COLS} FROM api_keys WHERE account_id = $1 ORDER BY created_at DESC, id DESC`,
    [accountId],
  );
  return rows.map(keyRecord);
}

/**
 * Revokes a live key of the account (from the next request on it is 401); the key as it is now,
 * or null when the account has no such key. A key already revoked keeps its first revocation time.
 */
export async function revokeApiKey(
  q: Sql,
  accountId: string,
  keyId: string,
  at: Date,
): Promise<Revocation<ApiKeyRecord> | null> {
  const revoked = await q.query(
    `UPDATE api_keys SET revoked_at = $3 WHERE id = $2 AND account_id = $1 AND revoked_at IS NULL RETURNING ${KEY_COLS}`,
    [accountId, keyId, at],
  );
  if (revoked[0]) return { record: keyRecord(revoked[0]), revokedNow: true };
  const rows = await q.query(`SELECT ${KEY_COLS} FROM api_keys WHERE id = $2 AND account_id = $1`, [
    accountId,
    keyId,
  ]);
  return rows[0] ? { record: keyRecord(rows[0]), revokedNow: false } : null;
}

/** The account behind a live API key, or null. */
export async function findAccountIdByKeyHash(
  q: Sql,
  keyHash: string,
): Promise<{ accountId: string; keyId: string } | null> {
  const rows = await q.query<{ account_id: string; id: string }>(
    `SELECT k.account_id, k.id FROM api_keys k WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [keyHash],
    { prepare: true },
  );
  return rows[0] ? { accountId: rows[0].account_id, keyId: rows[0].id } : null;
}

/**
 * Who a customer API key acts for, read once per request: the key, its account, and whether any
 * enabled webhook endpoint (the account's or an operator's) may want the account's events.
 */
export interface KeyPrincipal {
  accountId: string;
  keyId: string;
  account: Account;
  hasWebhooks: boolean;
  /** the account's contract discounts (basis points by product), read in the same statement */
  contractDiscounts: ContractDiscounts;
}

/**
 * The account columns (prefixed a.), the webhook flag and the contract discounts a principal is
 * read with; the query
 * joins `accounts a`. Shared by API keys and console sessions (db/sessions.ts).
 */
export const principalColumns = `${COLS.split(', ')
  .map((c) => `a.${c}`)
  .join(', ')},
  EXISTS (SELECT 1 FROM webhook_endpoints e
          WHERE (e.account_id = a.id OR e.account_id IS NULL)
            AND e.deleted_at IS NULL AND e.status = 'enabled') AS has_webhooks,
  ${contractDiscountsColumn}`;

/** The account and webhook flag of a row read with principalColumns. */
export function principalOf(r: Record<string, unknown>): Omit<KeyPrincipal, 'keyId'> {
  const account = mapAccount(r);
  return {
    accountId: account.id,
    account,
    hasWebhooks: r.has_webhooks === true,
    contractDiscounts: contractDiscountsOf(r),
  };
}

export async function findKeyPrincipal(q: Sql, keyHash: string): Promise<KeyPrincipal | null> {
  const rows = await q.query(
    `SELECT k.id AS key_id, ${principalColumns}
     FROM api_keys k JOIN accounts a ON a.id = k.account_id
     WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [keyHash],
    { prepare: true },
  );
  const r = rows[0];
  if (!r) return null;
  return { ...principalOf(r), keyId: r.key_id as string };
}

export async function findAdminTokenByHash(q: Sql, tokenHash: string): Promise<{ id: string } | null> {
  const rows = await q.query<{ id: string }>(
    'SELECT id FROM admin_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
    [tokenHash],
  );
  return rows[0] ?? null;
}

export interface AdminTokenRecord {
  id: string;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

const TOKEN_COLS = 'id, name, created_at, revoked_at';

function tokenRecord(r: Record<string, unknown>): AdminTokenRecord {
  return {
    id: r.id as string,
    name: (r.name as string | null) ?? null,
    createdAt: r.created_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

/** A managed admin token by name that is not revoked (the shared bootstrap token), or null. */
export async function findActiveAdminTokenByName(q: Sql, name: string): Promise<{ id: string } | null> {
  const rows = await q.query<{ id: string }>(
    'SELECT id FROM admin_tokens WHERE name = $1 AND revoked_at IS NULL ORDER BY created_at LIMIT 1',
    [name],
  );
  return rows[0] ?? null;
}

export async function insertAdminToken(
  q: Sql,
  t: { id: string; name: string | null; tokenHash: string; at: Date },
): Promise<void> {
  await q.query('INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [
    t.id,
    t.name,
    t.tokenHash,
    t.at,
  ]);
}

/** The managed admin tokens, newest first (revoked ones too; never the token). */
export async function listAdminTokens(q: Sql): Promise<AdminTokenRecord[]> {
  const rows = await q.query(`SELECT ${TOKEN_COLS} FROM admin_tokens ORDER BY created_at DESC, id DESC`);
  return rows.map(tokenRecord);
}

/** Revokes a live admin token; the token as it is now and whether this call revoked it, or null. */
export async function revokeAdminToken(
  q: Sql,
  id: string,
  at: Date,
): Promise<Revocation<AdminTokenRecord> | null> {
  const revoked = await q.query(
    `UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${TOKEN_COLS}`,
    [id, at],
  );
  if (revoked[0]) return { record: tokenRecord(revoked[0]), revokedNow: true };
  const rows = await q.query(`SELECT ${TOKEN_COLS} FROM admin_tokens WHERE id = $1`, [id]);
  return rows[0] ? { record: tokenRecord(rows[0]), revokedNow: false } : null;
}
