/**
 * POST /v1/subusers (SPEC §2): a subuser with its proxy credentials and optional caps per
 * bandwidth product, in one transaction. The username is unique across the system.
 */
import { getAccount } from '../../db/accounts.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertSubuser, type SubuserWithUsage, setCaps, withUsage } from '../../db/subusers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { PROXY_PASSWORD, type TrafficProduct, USERNAME } from '../../domain/traffic.ts';
import { randomToken } from '../access/secrets.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

/** Caps in bytes per product: a number sets the cap, null removes it, absent leaves it. */
export type CapsInput = Partial<Record<TrafficProduct, number | null>>;

export interface CreateSubuserCommand {
  accountId: string;
  name?: string;
  username?: string;
  password?: string;
  caps?: CapsInput;
  idem?: IdempotencyLink;
}

/** Checks the credentials and caps a command carries; shared with update-subuser. */
export function checkSubuserFields(f: {
  username?: string | undefined;
  password?: string | undefined;
  caps?: CapsInput | undefined;
}): Result<void> {
  if (f.username !== undefined && !USERNAME.test(f.username)) {
    return err('invalid_request', 'username must be 3 to 32 of a-z, 0-9, _ and -, not starting with sub_', {
      param: 'username',
    });
  }
  if (f.password !== undefined && !PROXY_PASSWORD.test(f.password)) {
    return err('invalid_request', 'password must be 8 to 64 of A-Z, a-z, 0-9, ., _, ~ and -', {
      param: 'password',
    });
  }
  for (const [product, cap] of Object.entries(f.caps ?? {})) {
    if (cap !== null && cap !== undefined && (!Number.isSafeInteger(cap) || cap < 0)) {
      return err('invalid_request', 'a cap must be a number of GB ≥ 0 or null', { param: `caps.${product}` });
    }
  }
  return ok(undefined);
}

export function capRows(caps: CapsInput | undefined): { product: string; capBytes: number | null }[] {
  return Object.entries(caps ?? {})
    .filter(([, cap]) => cap !== undefined)
    .map(([product, cap]) => ({ product, capBytes: cap ?? null }));
}

export async function createSubuser(
  deps: Deps,
  cmd: CreateSubuserCommand,
): Promise<Result<SubuserWithUsage>> {
  const checked = checkSubuserFields(cmd);
  if (!checked.ok) return checked;
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', `No such account: ${cmd.accountId}`);
  const now = await deps.clock.now();
  const id = deps.ids.next('sub');
  return resultTx(deps.db, async (q): Promise<Result<SubuserWithUsage>> => {
    const subuser = await insertSubuser(q, {
      id,
      accountId: account.id,
      username: cmd.username ?? `u${id.slice(-12).toLowerCase()}`,
      password: cmd.password ?? randomToken(16),
      name: cmd.name?.trim() || null,
      isMain: false,
      createdAt: now,
    });
    if (!subuser) {
      return err('username_taken', `The username ${cmd.username} is taken; choose another`, {
        param: 'username',
      });
    }
    await setCaps(q, subuser.id, capRows(cmd.caps));
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'subuser', subuser.id);
    const [full] = await withUsage(q, [subuser]);
    return ok(full!);
  });
}
