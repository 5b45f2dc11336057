/**
 * POST /v1/isp/batches/{id}/rotate-password (SPEC §6): the batch gets a fresh random password of
 * its own, which replaces the bound subuser's for its proxies. Lists downloaded before are stale.
 * A released batch has no proxies left: invalid_state.
 */

import type { BatchView } from '../../contract/isp-batch.ts';
import { getBatch, updateBatchRow } from '../../db/isp-batch-queries.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { randomToken } from '../access/secrets.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { batchView } from './batch-view.ts';

/** Length of a rotated password: 24 of an unambiguous alphanumeric alphabet (about 140 bits). */
const BATCH_PASSWORD_LENGTH = 24;

export async function rotateBatchPassword(
  deps: Deps,
  cmd: { accountId: string; id: string },
): Promise<Result<BatchView>> {
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    const b = await getBatch(q, cmd.id, cmd.accountId, { forUpdate: true });
    if (!b) return err('not_found', `No such ISP batch: ${cmd.id}`, { param: 'id' });
    if (b.status === 'released') {
      return err('invalid_state', 'This batch is released; its password cannot change', {
        detail: { status: b.status },
      });
    }
    await updateBatchRow(q, b.id, { password: randomToken(BATCH_PASSWORD_LENGTH) }, now);
    return ok((await batchView(q, b.id, cmd.accountId, now))!);
  });
}
