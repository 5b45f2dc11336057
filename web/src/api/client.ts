/**
 * The console's API client, typed from the server's own /openapi.json (schema.d.ts is generated
 * by `npm run build:web`, never written by hand). The console authenticates with the session
 * cookie; every write carries the session's CSRF token (SPEC §1).
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

let csrfToken: string | null = null;

/** Set after log in / sign up / GET /v1/session; cleared on log out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf);

/** The API's error envelope (SPEC §1). */
export interface ApiError {
  code: string;
  message: string;
  param?: string;
  decline_code?: string;
  [k: string]: unknown;
}

/** An error answer as an ApiError; a network failure or an answer without the envelope too. */
export function asApiError(error: unknown, status?: number): ApiError {
  const e = (error as { error?: ApiError } | undefined)?.error;
  if (e && typeof e.code === 'string') return e;
  return { code: status ? `http_${status}` : 'network_error', message: String(error ?? 'no answer') };
}

/** Thrown by `must` so TanStack Query sees a failed request as a failed query. */
export class ApiFailure extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
  }
}

/** The data of an openapi-fetch answer, or an ApiFailure with the error envelope. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  throw new ApiFailure(asApiError(error, response.status));
}
