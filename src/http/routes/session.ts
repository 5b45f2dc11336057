/**
 * The console's sessions (SPEC §1, §10): sign up, log in, read the session after a reload, log
 * out. Sign-up and login need no credentials (`security: []`); GET and DELETE /v1/session use the
 * session cookie only. Login attempts are limited per client address (SPEC §1: 10 a minute by
 * default, ORDERDESK_RATE_LOGINS_PER_MINUTE), counted on that route only. None of these take an
 * Idempotency-Key (there is no account to scope one to before login; each is safe to repeat).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { logIn } from '../../app/accounts/log-in.ts';
import { logOut } from '../../app/accounts/log-out.ts';
import { type OpenedSession, SESSION_SECONDS } from '../../app/accounts/open-session.ts';
import { sessionView } from '../../app/accounts/session-view.ts';
import { signUp } from '../../app/accounts/sign-up.ts';
import type { Deps } from '../../app/deps.ts';
import {
  endedSessionSchema,
  presentEndedSession,
  presentSession,
  sessionSchema,
} from '../../contract/session.ts';
import { SESSION_COOKIE, sessionAuth } from '../auth.ts';
import { reply, sendError } from '../errors.ts';
import { displayText } from '../schemas.ts';

const signUpBody = z.strictObject({
  email: z.string().min(3).max(320),
  password: z.string().min(8).max(200).describe('at least 8 characters; stored as an argon2id hash'),
  name: displayText(200),
});

const logInBody = z.strictObject({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(200),
});

/** The operations that authenticate by the session cookie alone. */
const COOKIE_ONLY = [{ sessionCookie: [] }];

function cookieOptions(req: FastifyRequest) {
  // Secure when the request came over https (behind a TLS-terminating proxy, trustProxy decides)
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: req.protocol === 'https' };
}

function setSessionCookie(req: FastifyRequest, res: FastifyReply, s: OpenedSession) {
  res.setCookie(SESSION_COOKIE, s.token, { ...cookieOptions(req), maxAge: SESSION_SECONDS });
}

/** A route's own limit: `max` requests per client address in each window of `windowMs`. */
function perClientAddress(max: number, windowMs: number) {
  return { rateLimit: { max, timeWindow: windowMs, keyGenerator: (req: FastifyRequest) => req.ip } };
}

export function sessionRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const bySession = sessionAuth(deps);

  r.post(
    '/v1/signup',
    {
      schema: {
        operationId: 'signUp',
        tags: ['session'],
        summary: 'Create an account with a password and log in (sets the session cookie)',
        description: `${deps.config.rateLimit.signupsPerHour} sign-ups an hour per client address (each hashes a password and makes an account), then 429 with Retry-After.`,
        security: [],
        body: signUpBody,
        response: { 200: sessionSchema },
        errors: ['email_taken', 'rate_limited'],
      },
      config: perClientAddress(deps.config.rateLimit.signupsPerHour, 3_600_000),
    },
    async (req, res) => {
      const result = await signUp(deps, req.body);
      if (!result.ok) return sendError(res, result.error);
      setSessionCookie(req, res, result.value.session);
      return res.send(presentSession(result.value.view));
    },
  );

  r.post(
    '/v1/session',
    {
      schema: {
        operationId: 'logIn',
        tags: ['session'],
        summary: 'Log in with email and password (sets the session cookie)',
        description: `Sets the HttpOnly cookie ${SESSION_COOKIE} (SameSite=Lax, Path=/, 30 days from login). A wrong email and a wrong password are the same 401. ${deps.config.rateLimit.loginsPerMinute} attempts a minute per client address, then 429 with Retry-After.`,
        security: [],
        body: logInBody,
        response: { 200: sessionSchema },
        errors: ['unauthenticated', 'rate_limited'],
      },
      config: perClientAddress(deps.config.rateLimit.loginsPerMinute, 60_000),
    },
    async (req, res) => {
      const result = await logIn(deps, req.body);
      if (!result.ok) return sendError(res, result.error);
      setSessionCookie(req, res, result.value.session);
      return res.send(presentSession(result.value.view));
    },
  );

  r.get(
    '/v1/session',
    {
      onRequest: bySession,
      schema: {
        operationId: 'getSession',
        tags: ['session'],
        summary: 'The current session: its account and CSRF token (the console reads it after a reload)',
        security: COOKIE_ONLY,
        response: { 200: sessionSchema },
        errors: ['unauthenticated'],
      },
    },
    async (req, res) => {
      const s = req.consoleSession!;
      return reply(res, await sessionView(deps, s.accountId, s.csrfToken), presentSession);
    },
  );

  r.delete(
    '/v1/session',
    {
      onRequest: bySession,
      schema: {
        operationId: 'logOut',
        tags: ['session'],
        summary: 'Log out: the session ends server-side and its cookie is cleared (needs X-CSRF-Token)',
        security: COOKIE_ONLY,
        response: { 200: endedSessionSchema },
        errors: ['unauthenticated', 'forbidden'],
      },
    },
    async (req, res) => {
      const result = await logOut(deps, req.consoleSession!.tokenHash);
      res.clearCookie(SESSION_COOKIE, cookieOptions(req));
      return reply(res, result, presentEndedSession);
    },
  );
}
