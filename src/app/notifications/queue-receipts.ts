/**
 * Receipts (SPEC §9, issue 12): the periodic job queue_receipts queues one receipt mail for every
 * order that was paid — bandwidth, ISP, renewals, servers, coupons; paid now or later; by balance,
 * vouchers or card; on any path, the one-statement balance payment included — and marks it, in
 * one transaction per batch (db/order-receipts.ts), so each order gets exactly one, and an order
 * whose payment rolled back (never paid) gets none. An order that paid nothing (a refund's
 * `unsubscribe` order, a change at no charge) is marked without a mail.
 */
import { enqueueMails, type NewMail } from '../../db/mail-outbox.ts';
import { claimReceiptsDue } from '../../db/order-receipts.ts';
import type { Deps } from '../deps.ts';
import { receiptMail } from './order-receipt.ts';

const BATCH = 200;
/** A run does at most this many batches; the next run goes on. */
const MAX_BATCHES = 50;

export const QUEUE_RECEIPTS_JOB = 'queue_receipts';

/** Queues the receipts of the paid orders that have none yet; returns how many mails it queued. */
export async function queueDueReceipts(deps: Deps): Promise<number> {
  let queued = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const at = await deps.clock.now();
    const [claimed, mailed] = await deps.db.tx(async (q) => {
      const due = await claimReceiptsDue(q, at, BATCH);
      const mails: NewMail[] = [];
      for (const { order, email, fromCardCents } of due) {
        if (order.type === 'unsubscribe' || (order.payable === 0 && order.voucher === 0)) continue;
        const mail = receiptMail(order, { fromCard: fromCardCents });
        mails.push({
          id: deps.ids.next('mail'),
          accountId: order.accountId,
          to: email,
          kind: 'order_receipt',
          subject: mail.subject,
          bodyText: mail.body,
          at,
        });
      }
      // the batch's mails in one statement (a receipt per paid order: this job runs under load)
      await enqueueMails(q, mails);
      return [due.length, mails.length] as const;
    });
    queued += mailed;
    if (claimed < BATCH) break;
  }
  return queued;
}
