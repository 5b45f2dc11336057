/** What POST /v1/orders asks of the ordering use-cases (pay now, pay later, ISP). */
import type { KeyPrincipal } from '../../db/accounts.ts';
import type { IdempotencyLink } from '../deps.ts';
import type { OrderInput } from './price-order.ts';

export interface PlaceOrderCommand {
  accountId: string;
  /** the account, its webhook flag and contract discounts as read at authentication (http/auth.ts); read here when absent */
  principal?: Pick<KeyPrincipal, 'account' | 'hasWebhooks' | 'contractDiscounts'>;
  input: OrderInput;
  /** "now" (default): paid inside the request; "later": pending_payment, paid with POST …/pay */
  pay?: 'now' | 'later';
  /** vouchers to spend first, in this order (SPEC §5) */
  vouchers?: readonly string[];
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}
