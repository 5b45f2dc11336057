/**
 * Response headers and small guards against abuse (issue 13):
 *  - helmet's security headers on every response, X-Content-Type-Options: nosniff among them,
 *    with a Content-Security-Policy the console and /docs work under: scripts only from this
 *    origin (Vite's bundle and Swagger UI's have no inline script), inline styles allowed (antd's
 *    CSS-in-JS writes <style> elements at run time), images from here and data: URLs;
 *  - `Cache-Control: no-store` on every API answer (/v1, /admin/v1): the answers that carry a new
 *    secret (an API key, an operator token, a webhook secret, proxy passwords, a session's CSRF
 *    token) and every other private answer (balances, orders) are never kept by a cache;
 *  - /metrics behind ORDERDESK_METRICS_TOKEN when it is set.
 * /docs and /openapi.json stay public: the document is the API's published contract (clients
 * generate from it) and holds no data; the docs page acts only with credentials typed into it.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex, timingSafeEqualHex } from '../app/access/secrets.ts';
import { fail } from './errors.ts';

/** The Content-Security-Policy directives (helmet's defaults, less upgrade-insecure-requests). */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  // antd (CSS-in-JS) and Swagger UI set styles at run time
  'style-src': ["'self'", "'unsafe-inline'"],
  // a plain-http deployment (HOST on a private network) must still load its own assets
  'upgrade-insecure-requests': null,
};

function isApiPath(url: string): boolean {
  return url.startsWith('/v1/') || url.startsWith('/admin/v1/') || url === '/v1' || url === '/admin/v1';
}

export async function registerSecurityHeaders(app: FastifyInstance) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (isApiPath(req.url)) reply.header('Cache-Control', 'no-store');
    return payload;
  });
}

/** /metrics: with a token configured, `Authorization: Bearer <token>` or 401; without one, open. */
export function metricsGuard(token: string | undefined) {
  const expected = token ? sha256Hex(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return;
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(req.headers.authorization ?? '');
    if (m && timingSafeEqualHex(sha256Hex(m[1]!), expected)) return;
    reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
    return fail(
      reply,
      'unauthenticated',
      'GET /metrics needs Authorization: Bearer <ORDERDESK_METRICS_TOKEN>',
    );
  };
}
