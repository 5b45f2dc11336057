/**
 * POST /admin/v1/usage (SPEC §2): usage lines from the proxy gateways. Idempotent per line id:
 * a line already recorded (by an earlier batch, a concurrent one, or earlier in this batch) is
 * skipped and reported as a duplicate. The accepted lines of one batch are recorded in one
 * transaction with what they draw down: per account and product one pool ledger entry (cause
 * 'usage') for the sum of their bytes, and per subuser and product the usage counter. A pool may
 * go below zero: overage is recorded, never lost. A draw-down that takes a pool below an auto
 * top-up rule's line enqueues that top-up's job in the same transaction (app/auto-top-ups).
 */
import type { Sql } from '../../db/client.ts';
import { movePool } from '../../db/ledger.ts';
import { addSubuserUsage, findSubuserRefs, insertUsageLines, type UsageLineRow } from '../../db/usage.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { LINE_BYTES_MAX, TRAFFIC_PRODUCTS, type TrafficProduct } from '../../domain/traffic.ts';
import { enqueueAutoTopUp } from '../auto-top-ups/enqueue-auto-top-up.ts';
import type { Deps } from '../deps.ts';

export const MAX_LINES = 1000;

export interface UsageLineInput {
  /** the gateway's own id of the line: the idempotency key */
  id: string;
  /** a subuser id (sub_…) or a proxy username */
  subuser: string;
  product: TrafficProduct;
  bytes: number;
  at: Date;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  duplicateIds: string[];
  rejected: { id: string; reason: 'unknown_subuser' }[];
}

function checkLines(lines: readonly UsageLineInput[]): Result<void> {
  if (lines.length < 1 || lines.length > MAX_LINES) {
    return err('invalid_request', `a batch carries 1 to ${MAX_LINES} lines`, { param: 'lines' });
  }
  for (const [i, l] of lines.entries()) {
    if (!Number.isSafeInteger(l.bytes) || l.bytes < 0 || l.bytes > LINE_BYTES_MAX) {
      return err('invalid_request', `bytes must be an integer from 0 to ${LINE_BYTES_MAX}`, {
        param: `lines.${i}.bytes`,
      });
    }
    if (!TRAFFIC_PRODUCTS.includes(l.product)) {
      return err('invalid_request', 'product must be residential or mobile', { param: `lines.${i}.product` });
    }
    if (Number.isNaN(l.at.getTime())) {
      return err('invalid_request', 'at must be a date-time', { param: `lines.${i}.at` });
    }
  }
  return ok(undefined);
}

export async function ingestUsage(
  deps: Deps,
  lines: readonly UsageLineInput[],
): Promise<Result<IngestResult>> {
  const checked = checkLines(lines);
  if (!checked.ok) return checked;

  // a repeated id within the batch: the first occurrence counts, the others are duplicates
  const seen = new Set<string>();
  const duplicateIds: string[] = [];
  const unique: UsageLineInput[] = [];
  for (const l of lines) {
    if (seen.has(l.id)) duplicateIds.push(l.id);
    else {
      seen.add(l.id);
      unique.push(l);
    }
  }

  const refs = await findSubuserRefs(deps.db, [...new Set(unique.map((l) => l.subuser))]);
  const byId = new Map(refs.map((r) => [r.id, r]));
  const byUsername = new Map(refs.map((r) => [r.username, r]));
  const rejected: IngestResult['rejected'] = [];
  const entryIds = new Map<string, string>();
  const rows: UsageLineRow[] = [];
  for (const l of unique) {
    const sub = byId.get(l.subuser) ?? byUsername.get(l.subuser);
    if (!sub) {
      rejected.push({ id: l.id, reason: 'unknown_subuser' });
      continue;
    }
    const group = `${sub.accountId}\u0000${l.product}`;
    if (!entryIds.has(group)) entryIds.set(group, deps.ids.next('txn'));
    rows.push({
      id: l.id,
      subuserId: sub.id,
      accountId: sub.accountId,
      product: l.product,
      bytes: l.bytes,
      at: l.at,
      ledgerEntryId: l.bytes > 0 ? entryIds.get(group)! : null,
    });
  }

  const now = await deps.clock.now();
  const inserted = rows.length === 0 ? new Set<string>() : await deps.db.tx((q) => record(q, rows, now));
  for (const r of rows) if (!inserted.has(r.id)) duplicateIds.push(r.id);
  const order = new Map(lines.map((l, i) => [l.id, i]));
  duplicateIds.sort((a, b) => order.get(a)! - order.get(b)!);
  return ok({ accepted: inserted.size, duplicates: duplicateIds.length, duplicateIds, rejected });
}

/** Inside one transaction: the new lines, then pools and counters, each in a stable lock order. */
async function record(q: Sql, rows: UsageLineRow[], now: Date): Promise<Set<string>> {
  const inserted = await insertUsageLines(q, rows, now);

  const pools = new Map<
    string,
    { accountId: string; product: string; entryId: string; bytes: number; lines: number }
  >();
  const counters = new Map<string, { subuserId: string; product: string; bytes: number }>();
  for (const l of inserted) {
    if (l.bytes === 0 || !l.ledgerEntryId) continue;
    const pk = `${l.accountId}\u0000${l.product}`;
    const pool = pools.get(pk) ?? {
      accountId: l.accountId,
      product: l.product,
      entryId: l.ledgerEntryId,
      bytes: 0,
      lines: 0,
    };
    pool.bytes += l.bytes;
    pool.lines += 1;
    pools.set(pk, pool);
    const ck = `${l.subuserId}\u0000${l.product}`;
    const counter = counters.get(ck) ?? { subuserId: l.subuserId, product: l.product, bytes: 0 };
    counter.bytes += l.bytes;
    counters.set(ck, counter);
  }

  for (const key of [...pools.keys()].sort()) {
    const p = pools.get(key)!;
    const entry = await movePool(q, {
      id: p.entryId,
      accountId: p.accountId,
      product: p.product,
      amount: -p.bytes,
      cause: 'usage',
      memo: `${p.lines} usage line${p.lines === 1 ? '' : 's'}`,
      at: now,
    });
    // a draw-down that crossed an auto top-up rule's line enqueues its top-up, in this transaction
    await enqueueAutoTopUp(q, {
      accountId: p.accountId,
      product: p.product,
      after: entry.balanceAfter,
      drawn: p.bytes,
      crossingId: p.entryId,
      now,
    });
  }
  await addSubuserUsage(q, [...counters.values()]);
  return new Set(inserted.map((l) => l.id));
}
