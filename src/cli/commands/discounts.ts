/**
 * `orderdesk discounts get|set` (SPEC §11): an account's contract discounts, as GET / PUT
 * /admin/v1/accounts/{id}/contract-discounts do them, with their JSON. `set` replaces the whole
 * set, as the PUT does: a product not named has no discount afterwards.
 */
import {
  CONTRACT_DISCOUNT_PRODUCTS,
  type ContractDiscounts,
  percentToBasisPoints,
} from '../../domain/contract-discount.ts';
import type { FlagSpec } from '../args.ts';
import { UsageError } from '../args.ts';
import { type Command, flag, seg } from '../command.ts';

/** The flag of a product: --residential, --reserved-instance … */
const flagOf = (product: string) => product.replace(/_/g, '-');

const PERCENT_TEXT = /^\d{1,3}(\.\d{1,2})?$/;

const PRODUCT_FLAGS: FlagSpec[] = CONTRACT_DISCOUNT_PRODUCTS.map((p) => ({
  name: flagOf(p),
  value: 'PERCENT',
  description: `percent off ${p.replace(/_/g, '-')} (0–100, two decimals; 0: none)`,
}));

export interface DiscountsArgs {
  accountId: string;
  /** basis points, for the use-case (0 left out) */
  discounts: ContractDiscounts;
  /** the percents as named, for the PUT */
  percents: Record<string, number>;
}

/** `acc_…  residential 10%  isp 5%` (or "no contract discounts"). */
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
function discountsLine(d: any): string {
  const named = CONTRACT_DISCOUNT_PRODUCTS.filter((p) => d[p] > 0).map((p) => `${p} ${d[p]}%`);
  return `${d.account_id}  ${named.length ? named.join('  ') : 'no contract discounts'}`;
}

export const discountCommands: Command[] = [
  {
    path: ['discounts', 'get'],
    args: ['ACCOUNT_ID'],
    summary: "An account's contract discounts, percent off per product (0: none)",
    flags: [],
    parse: (input) => input.positionals[0]!,
    http: (accountId: string) => ({
      method: 'GET',
      path: `/admin/v1/accounts/${seg(accountId)}/contract-discounts`,
    }),
    text: discountsLine,
  },
  {
    path: ['discounts', 'set'],
    args: ['ACCOUNT_ID'],
    summary: "Replace an account's contract discounts (as the PUT: a product not named has none)",
    flags: PRODUCT_FLAGS,
    parse: (input): DiscountsArgs => {
      if (!PRODUCT_FLAGS.some((f) => input.flags.has(f.name))) {
        throw new UsageError(
          `name at least one product: ${PRODUCT_FLAGS.map((f) => `--${f.name}`).join(', ')} (--${PRODUCT_FLAGS[0]!.name} 0 clears them all)`,
        );
      }
      const discounts: ContractDiscounts = {};
      const percents: Record<string, number> = {};
      for (const product of CONTRACT_DISCOUNT_PRODUCTS) {
        const text = flag(input, flagOf(product));
        if (text === undefined) continue;
        const bp = PERCENT_TEXT.test(text) ? percentToBasisPoints(Number(text)) : null;
        if (bp === null) {
          throw new UsageError(
            `--${flagOf(product)}: "${text}" is not a percent from 0 to 100 with at most two decimals`,
          );
        }
        percents[product] = Number(text);
        if (bp > 0) discounts[product] = bp;
      }
      return { accountId: input.positionals[0]!, discounts, percents };
    },
    http: (p: DiscountsArgs) => ({
      method: 'PUT',
      path: `/admin/v1/accounts/${seg(p.accountId)}/contract-discounts`,
      body: p.percents,
    }),
    text: discountsLine,
  },
];
