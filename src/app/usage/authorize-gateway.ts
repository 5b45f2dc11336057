/**
 * GET /admin/v1/gateway/authorize (SPEC §2): may this proxy username use traffic of this product
 * now? One read; the rules are domain/traffic.ts authorize().
 */
import { getAuthorizeFacts } from '../../db/usage.ts';
import { ok, type Result } from '../../domain/errors.ts';
import { type AuthorizeDecision, authorize, type TrafficProduct } from '../../domain/traffic.ts';
import type { Deps } from '../deps.ts';

export interface GatewayAuthorization extends AuthorizeDecision {
  subuserId: string | null;
  accountId: string | null;
}

export async function authorizeGateway(
  deps: Deps,
  query: { username: string; product: TrafficProduct },
): Promise<Result<GatewayAuthorization>> {
  const facts = await getAuthorizeFacts(deps.db, query.username, query.product);
  if (!facts) {
    return ok({
      allowed: false,
      reason: 'unknown_subuser',
      subuserId: null,
      accountId: null,
      remainingBytes: 0,
      capRemainingBytes: null,
    });
  }
  return ok({ subuserId: facts.subuserId, accountId: facts.accountId, ...authorize(facts) });
}
