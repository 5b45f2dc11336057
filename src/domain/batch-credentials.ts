import type { ProxyCredentials } from './ip-list.ts';

/**
 * The credentials of an ISP batch's proxies (SPEC §6): the bound subuser's username, and the
 * batch's own password after a rotation, else the subuser's proxy password.
 */
export function batchCredentials(b: {
  username: string;
  ownPassword: string | null;
  subuserPassword: string;
}): ProxyCredentials {
  return { username: b.username, password: b.ownPassword ?? b.subuserPassword };
}
