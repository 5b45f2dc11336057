/**
 * Authentication. Customers: `Authorization: Bearer <api key>` (keys stored as sha256 only).
 * Operators: the bootstrap admin token from configuration or a managed admin token. A customer
 * key never opens /admin/v1 and an admin token never acts as a customer (different tables).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex, timingSafeEqualHex } from '../app/access/secrets.ts';
import type { Deps } from '../app/deps.ts';
import {
  findAccountIdByKeyHash,
  findAdminTokenByHash,
  findKeyPrincipal,
  type KeyPrincipal,
} from '../db/accounts.ts';
import { fail } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    accountId: string;
    /** the key's account as read at authentication (a snapshot: writes re-check under locks) */
    principal: KeyPrincipal;
    adminId: string;
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(h);
  return m ? m[1]! : null;
}

export function customerAuth(deps: Deps) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req);
    if (!token)
      return fail(reply, 'unauthenticated', 'Missing or malformed Authorization: Bearer <api key> header');
    const found = await findKeyPrincipal(deps.db, sha256Hex(token));
    if (!found) return fail(reply, 'unauthenticated', 'Invalid API key');
    req.accountId = found.accountId;
    req.principal = found;
  };
}

export function adminAuth(deps: Deps) {
  const bootstrap = deps.config.adminToken ? sha256Hex(deps.config.adminToken) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req);
    if (!token)
      return fail(
        reply,
        'unauthenticated',
        'Missing or malformed Authorization: Bearer <admin token> header',
      );
    const hash = sha256Hex(token);
    if (bootstrap && timingSafeEqualHex(hash, bootstrap)) {
      req.adminId = 'bootstrap';
      return;
    }
    const found = await findAdminTokenByHash(deps.db, hash);
    if (!found) {
      const isCustomerKey = await findAccountIdByKeyHash(deps.db, hash);
      return isCustomerKey
        ? fail(reply, 'forbidden', 'Customer API keys cannot use the admin API')
        : fail(reply, 'unauthenticated', 'Invalid admin token');
    }
    req.adminId = found.id;
  };
}
