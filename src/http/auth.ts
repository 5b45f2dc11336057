/**
 * Authentication. Customers: `Authorization: Bearer <api key>` (keys stored as sha256 only), or
 * the console's session cookie (SPEC §1: `orderdesk_session`, stored as sha256 only); when both
 * are sent the Authorization header decides. A cookie-authenticated request other than GET and
 * HEAD must carry the session's CSRF token in X-CSRF-Token (else 403 forbidden): a page of
 * another site can make the browser send the cookie, never read the token. Operators: the
 * bootstrap admin token from configuration or a managed admin token. A customer key never opens
 * /admin/v1 and an admin token never acts as a customer (different tables). A refused credential
 * is counted per client address, and past the limit every credential from it is 429
 * (rate-limit.ts AuthThrottle); a request without one is a plain 401, not counted.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex, timingSafeEqualHex } from '../app/access/secrets.ts';
import { findSession } from '../app/accounts/find-session.ts';
import type { Deps } from '../app/deps.ts';
import {
  findAccountIdByKeyHash,
  findAdminTokenByHash,
  findKeyPrincipal,
  type KeyPrincipal,
} from '../db/accounts.ts';
import type { SessionPrincipal } from '../db/sessions.ts';
import { fail } from './errors.ts';
import type { AuthThrottle } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    accountId: string;
    /** the key's (or session's) account as read at authentication (a snapshot: writes re-check under locks) */
    principal: Pick<KeyPrincipal, 'accountId' | 'account' | 'hasWebhooks' | 'contractDiscounts'>;
    /** set when the request was authenticated by the console's session cookie */
    consoleSession?: SessionPrincipal;
    adminId: string;
  }
  interface FastifyInstance {
    /** failed authentication counted per client address (rate-limit.ts; buildApp decorates it) */
    authThrottle: AuthThrottle;
  }
}

/** The console's session cookie (HttpOnly, SameSite=Lax, Path=/; routes/session.ts sets it). */
export const SESSION_COOKIE = 'orderdesk_session';
/** The header a cookie-authenticated write repeats the session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing: no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/**
 * The console's session: the cookie's live session, and on a write the CSRF token, or the
 * refusal (401 no or ended session, 403 no or wrong X-CSRF-Token).
 */
export function sessionAuth(deps: Deps) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (!token)
      return fail(reply, 'unauthenticated', `No ${SESSION_COOKIE} cookie: log in with POST /v1/session`);
    const found = await findSession(deps, token);
    if (!found)
      return req.server.authThrottle.refuse(
        req,
        reply,
        'The session has expired or was logged out: log in again',
      );
    const held = await req.server.authThrottle.admit(req, reply);
    if (held) return held;
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || sent === '') {
        return fail(
          reply,
          'forbidden',
          'Missing X-CSRF-Token header: a cookie-authenticated write must carry the session’s csrf_token (from POST or GET /v1/session)',
        );
      }
      if (!timingSafeEqualHex(sha256Hex(sent), sha256Hex(found.csrfToken))) {
        return fail(reply, 'forbidden', 'The X-CSRF-Token header is not this session’s csrf_token');
      }
    }
    req.consoleSession = found;
    req.accountId = found.accountId;
    req.principal = found;
  };
}

export function customerAuth(deps: Deps) {
  const bySession = sessionAuth(deps);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // an Authorization header decides, even a malformed one: the cookie is only the fallback
    if (req.headers.authorization === undefined && req.cookies[SESSION_COOKIE]) return bySession(req, reply);
    const token = bearer(req);
    if (!token)
      return fail(
        reply,
        'unauthenticated',
        'Missing or malformed Authorization: Bearer <api key> header (or the console’s session cookie)',
      );
    const found = await findKeyPrincipal(deps.db, sha256Hex(token));
    if (!found) return req.server.authThrottle.refuse(req, reply, 'Invalid API key');
    const held = await req.server.authThrottle.admit(req, reply);
    if (held) return held;
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
      return req.server.authThrottle.admit(req, reply);
    }
    const found = await findAdminTokenByHash(deps.db, hash);
    if (!found) {
      const isCustomerKey = await findAccountIdByKeyHash(deps.db, hash);
      return isCustomerKey
        ? fail(reply, 'forbidden', 'Customer API keys cannot use the admin API')
        : req.server.authThrottle.refuse(req, reply, 'Invalid admin token');
    }
    req.adminId = found.id;
    return req.server.authThrottle.admit(req, reply);
  };
}
