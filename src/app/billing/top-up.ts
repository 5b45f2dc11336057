/**
 * POST /v1/billing/top-ups (SPEC §5): charge the default payment method and credit the balance
 * with a 'top_up' ledger entry. The charge runs outside the transaction (payments/charge-then-settle.ts): intent,
 * charge with the payment id as the gateway's idempotency key, then settle; recovery finishes a
 * top-up whose process died in between. A decline or a missing default method is
 * 409 insufficient_balance with a decline_code, and nothing is credited.
 */
import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { moveCash } from '../../db/ledger.ts';
import {
  getPaymentMethod,
  getTopUp,
  listPaymentsForIdempotencyKey,
  type Payment,
  type TopUpRecord,
} from '../../db/payments.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Cents } from '../../domain/money.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { chargeThenSettle, resolveProcessingPayment } from '../payments/charge-then-settle.ts';
import { resumeIfArrearsPaid } from '../settlement/resume-if-arrears-paid.ts';

/** 1.00 to 100,000.00 USD per top-up. */
const MIN_TOP_UP: Cents = 100;
const MAX_TOP_UP: Cents = 10_000_000;

/** How long a top-up's idempotency key is remembered (as the HTTP layer keeps keys: 24 h). */
const KEY_RETENTION_MS = 24 * 3600 * 1000;

/** What a top-up payment's draft carries, so recovery can settle it like the request would have. */
export interface TopUpDraft {
  idem: IdempotencyLink | null;
}

export interface TopUpCommand {
  accountId: string;
  amountCents: Cents;
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

/** Credits a charged top-up inside the settling transaction and links it to the request's key. */
export async function settleTopUp(
  deps: Deps,
  q: Sql,
  payment: Payment,
  idem: IdempotencyLink | null | undefined,
  at: Date,
): Promise<Result<TopUpRecord>> {
  const entry = await moveCash(q, {
    id: deps.ids.next('txn'),
    accountId: payment.accountId,
    amount: payment.amountCents,
    cause: 'top_up',
    paymentId: payment.id,
    at,
  });
  if (idem) await attachResource(q, idem.scope, idem.key, 'top_up', payment.id);
  await resumeIfArrearsPaid(q, payment.accountId, at);
  return ok({ payment: { ...payment, status: 'succeeded' }, balanceAfter: entry.balanceAfter });
}

export async function topUp(deps: Deps, cmd: TopUpCommand): Promise<Result<TopUpRecord>> {
  if (
    !Number.isSafeInteger(cmd.amountCents) ||
    cmd.amountCents < MIN_TOP_UP ||
    cmd.amountCents > MAX_TOP_UP
  ) {
    return err('invalid_request', 'amount_usd must be between 1.00 and 100000.00', { param: 'amount_usd' });
  }
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');

  if (cmd.idem) {
    const earlier = await earlierAttempt(deps, account.id, cmd.amountCents, cmd.idem);
    if (earlier) return earlier;
  }

  const pm = account.defaultPaymentMethodId
    ? await getPaymentMethod(deps.db, account.defaultPaymentMethodId, account.id)
    : null;
  if (!pm) {
    return err('insufficient_balance', 'There is no default payment method to charge for the top-up', {
      detail: { decline_code: 'no_payment_method' },
    });
  }
  const draft: TopUpDraft = { idem: cmd.idem ?? null };
  return chargeThenSettle(
    deps,
    {
      paymentId: deps.ids.next('pay'),
      accountId: account.id,
      paymentMethodId: pm.id,
      gatewayToken: pm.gatewayRef,
      amountCents: cmd.amountCents,
      purpose: 'top_up',
      orderId: null,
      draft,
    },
    (q, payment, at) => settleTopUp(deps, q, payment, cmd.idem, at),
    cmd.afterCharge,
  );
}

/**
 * A request that reaches the use-case with a key an earlier request already used (that request
 * died: its lease ran out, or it failed with a 5xx and the key was released) must not charge
 * twice. Its payment, found through the key in its draft, is the answer: succeeded → that top-up;
 * still processing → finish it now as recovery would. Failed or voided attempts took no money, so
 * this request tries afresh.
 */
async function earlierAttempt(
  deps: Deps,
  accountId: string,
  amountCents: Cents,
  idem: IdempotencyLink,
): Promise<Result<TopUpRecord> | null> {
  const since = new Date((await deps.clock.now()).getTime() - KEY_RETENTION_MS);
  const earlier = await listPaymentsForIdempotencyKey(deps.db, accountId, 'top_up', idem, since);
  for (const p of earlier) {
    if (p.amountCents !== amountCents) continue;
    if (p.status === 'succeeded') {
      const found = await getTopUp(deps.db, p.id, accountId);
      if (found) return ok(found);
    }
    if (p.status === 'processing') {
      const { resolution, result } = await resolveProcessingPayment(deps, p, (q, payment, at) =>
        settleTopUp(deps, q, payment, idem, at),
      );
      if (resolution === 'settled' && result) return result;
      if (resolution === 'pending' || resolution === 'skipped') {
        const now = await getTopUp(deps.db, p.id, accountId);
        if (now?.payment.status === 'succeeded') return ok(now);
        if (now?.payment.status === 'processing') {
          return err(
            'request_in_progress',
            'An earlier top-up with this Idempotency-Key is still being settled; retry later',
          );
        }
      }
    }
  }
  return null;
}
