/**
 * The console's session (SPEC §1): email + password log in sets an HttpOnly cookie; the CSRF
 * token that every write needs comes back in the body and is kept in memory (api/client.ts).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas, setCsrfToken } from './api/client.ts';

export type Session = Schemas['Session'];

export const SESSION_KEY = ['session'] as const;

/** The current session, or null when logged out (a 401). */
export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<Session | null> => {
      const { data, response } = await api.GET('/v1/session');
      if (response.status === 401 || !data) {
        setCsrfToken(null);
        return null;
      }
      setCsrfToken(data.csrf_token);
      return data;
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** After log in or sign up: the new session is the current one. */
export function useSessionStarted() {
  const qc = useQueryClient();
  return (s: Session) => {
    setCsrfToken(s.csrf_token);
    qc.setQueryData(SESSION_KEY, s);
  };
}

export function useLogOut() {
  const qc = useQueryClient();
  return async () => {
    await api.DELETE('/v1/session');
    setCsrfToken(null);
    qc.clear();
    qc.setQueryData(SESSION_KEY, null);
  };
}
