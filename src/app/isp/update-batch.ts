/**
 * PATCH /v1/isp/batches/{id} (SPEC §6): rebind the batch to another subuser of the same account,
 * and/or switch auto-renew. Rebinding switches the proxies to the new subuser's username and
 * password: the batch's own (rotated) password is cleared. Binding to the subuser it already has
 * changes nothing. Another account's subuser is not_found; a disabled subuser and a released
 * batch are invalid_state.
 */

import type { BatchView } from '../../contract/isp-batch.ts';
import { getBatch, updateBatchRow } from '../../db/isp-batch-queries.ts';
import { getSubuser } from '../../db/subusers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { batchView } from './batch-view.ts';

export interface UpdateBatchCommand {
  accountId: string;
  id: string;
  subuserId?: string;
  autoRenew?: boolean;
}

export async function updateBatch(deps: Deps, cmd: UpdateBatchCommand): Promise<Result<BatchView>> {
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    const b = await getBatch(q, cmd.id, cmd.accountId, { forUpdate: true });
    if (!b) return err('not_found', `No such ISP batch: ${cmd.id}`, { param: 'id' });
    if (b.status === 'released') {
      return err('invalid_state', 'This batch is released; it cannot be changed', {
        detail: { status: b.status },
      });
    }
    const rebind = cmd.subuserId !== undefined && cmd.subuserId !== b.subuserId;
    if (rebind) {
      const s = await getSubuser(q, cmd.subuserId!, cmd.accountId);
      if (!s) return err('not_found', `No such subuser: ${cmd.subuserId}`, { param: 'subuser' });
      if (s.status !== 'active') {
        return err('invalid_state', `Subuser ${s.id} is disabled; enable it or bind another one`, {
          param: 'subuser',
        });
      }
    }
    if (rebind || (cmd.autoRenew !== undefined && cmd.autoRenew !== b.autoRenew)) {
      await updateBatchRow(
        q,
        b.id,
        {
          ...(rebind ? { subuserId: cmd.subuserId!, password: null } : {}),
          ...(cmd.autoRenew !== undefined ? { autoRenew: cmd.autoRenew } : {}),
        },
        now,
      );
    }
    return ok((await batchView(q, b.id, cmd.accountId, now))!);
  });
}
