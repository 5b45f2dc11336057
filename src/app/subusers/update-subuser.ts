/**
 * PATCH /v1/subusers/{id} (SPEC §2): name, proxy password, status and caps. The main subuser
 * always exists and cannot be disabled. Caps change without touching the usage counters, so
 * raising a cap above the usage lifts the limit at once.
 */
import {
  getSubuser,
  type SubuserWithUsage,
  setCaps,
  updateSubuserRow,
  withUsage,
} from '../../db/subusers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { type CapsInput, capRows, checkSubuserFields } from './create-subuser.ts';

export interface UpdateSubuserCommand {
  accountId: string;
  id: string;
  name?: string | null;
  password?: string;
  status?: 'active' | 'disabled';
  caps?: CapsInput;
}

export async function updateSubuser(
  deps: Deps,
  cmd: UpdateSubuserCommand,
): Promise<Result<SubuserWithUsage>> {
  const checked = checkSubuserFields(cmd);
  if (!checked.ok) return checked;
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    const current = await getSubuser(q, cmd.id, cmd.accountId, { forUpdate: true });
    if (!current) return err('not_found', `No such subuser: ${cmd.id}`, { param: 'id' });
    if (current.isMain && cmd.status === 'disabled') {
      return err('invalid_state', 'The main subuser cannot be disabled', { param: 'status' });
    }
    const updated = await updateSubuserRow(
      q,
      current.id,
      {
        ...(cmd.name !== undefined ? { name: cmd.name?.trim() || null } : {}),
        ...(cmd.password !== undefined ? { password: cmd.password } : {}),
        ...(cmd.status !== undefined ? { status: cmd.status } : {}),
      },
      now,
    );
    await setCaps(q, current.id, capRows(cmd.caps));
    const [full] = await withUsage(q, [updated]);
    return ok(full!);
  });
}
