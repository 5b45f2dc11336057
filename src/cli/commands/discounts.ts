/**
 * `orderdesk discounts get|set` (SPEC §11): an account's contract discounts, through the same
 * use-cases and with the same JSON as GET / PUT /admin/v1/accounts/{id}/contract-discounts.
 * `set` replaces the whole set, as the PUT does: a product not named has no discount afterwards.
 */
import { findContractDiscounts } from '../../app/billing/find-contract-discounts.ts';
import { setContractDiscounts } from '../../app/billing/set-contract-discounts.ts';
import { type ContractDiscountsJson, presentContractDiscounts } from '../../contract/contract-discounts.ts';
import {
  CONTRACT_DISCOUNT_PRODUCTS,
  type ContractDiscounts,
  percentToBasisPoints,
} from '../../domain/contract-discount.ts';
import type { FlagSpec } from '../args.ts';
import { UsageError } from '../args.ts';
import { type Command, done, flag } from '../command.ts';

/** The flag of a product: --residential, --reserved-instance … */
const flagOf = (product: string) => product.replace(/_/g, '-');

const PERCENT_TEXT = /^\d{1,3}(\.\d{1,2})?$/;

const PRODUCT_FLAGS: FlagSpec[] = CONTRACT_DISCOUNT_PRODUCTS.map((p) => ({
  name: flagOf(p),
  value: 'PERCENT',
  description: `percent off ${p.replace(/_/g, '-')} (0–100, two decimals; 0: none)`,
}));

/** The discounts named on the command line, as basis points (UsageError on a bad percent). */
function discountsOf(flags: Map<string, string | true>): ContractDiscounts {
  const out: ContractDiscounts = {};
  for (const product of CONTRACT_DISCOUNT_PRODUCTS) {
    const text = flag({ positionals: [], flags }, flagOf(product));
    if (text === undefined) continue;
    const bp = PERCENT_TEXT.test(text) ? percentToBasisPoints(Number(text)) : null;
    if (bp === null) {
      throw new UsageError(
        `--${flagOf(product)}: "${text}" is not a percent from 0 to 100 with at most two decimals`,
      );
    }
    if (bp > 0) out[product] = bp;
  }
  return out;
}

/** `acc_…  residential 10%  isp 5%` (or "no contract discounts"). */
function discountsLine(d: ContractDiscountsJson): string {
  const named = CONTRACT_DISCOUNT_PRODUCTS.filter((p) => d[p] > 0).map((p) => `${p} ${d[p]}%`);
  return `${d.account_id}  ${named.length ? named.join('  ') : 'no contract discounts'}`;
}

export const discountCommands: Command[] = [
  {
    path: ['discounts', 'get'],
    args: ['ACCOUNT_ID'],
    summary: "An account's contract discounts, percent off per product (0: none)",
    flags: [],
    prepare: (input) => async (ctx) =>
      done(await findContractDiscounts(ctx.deps, input.positionals[0]!), presentContractDiscounts, (v) =>
        discountsLine(presentContractDiscounts(v)),
      ),
  },
  {
    path: ['discounts', 'set'],
    args: ['ACCOUNT_ID'],
    summary: "Replace an account's contract discounts (as the PUT: a product not named has none)",
    flags: PRODUCT_FLAGS,
    prepare: (input) => {
      if (!PRODUCT_FLAGS.some((f) => input.flags.has(f.name))) {
        throw new UsageError(
          `name at least one product: ${PRODUCT_FLAGS.map((f) => `--${f.name}`).join(', ')} (--${PRODUCT_FLAGS[0]!.name} 0 clears them all)`,
        );
      }
      const discounts = discountsOf(input.flags);
      return async (ctx) =>
        done(
          await setContractDiscounts(ctx.deps, { accountId: input.positionals[0]!, discounts }),
          presentContractDiscounts,
          (v) => discountsLine(presentContractDiscounts(v)),
        );
    },
  },
];
