/**
 * An account's contract discounts (SPEC §3, §11): a percent off each product, on top of the plan
 * tier and the yearly discount (domain/contract-discount.ts). Every product is listed; 0 is none.
 */
import { z } from 'zod';
import {
  basisPointsToPercent,
  type CONTRACT_DISCOUNT_PRODUCTS,
  type ContractDiscounts,
} from '../domain/contract-discount.ts';

const percent = z.number().min(0).max(100);

export const contractDiscountsSchema = z
  .object({
    object: z.literal('contract_discounts'),
    account_id: z.string(),
    residential: percent.describe('percent off residential GB; 0: none'),
    mobile: percent.describe('percent off mobile GB; 0: none'),
    isp: percent.describe('percent off ISP IPs (new orders and renewals); 0: none'),
    server: percent.describe('percent off servers; 0: none'),
    reserved_instance: percent.describe('percent off reserved-instance coupons; 0: none'),
  })
  .meta({ id: 'ContractDiscounts' });

export type ContractDiscountsJson = z.infer<typeof contractDiscountsSchema>;

export function presentContractDiscounts(v: {
  accountId: string;
  discounts: ContractDiscounts;
}): ContractDiscountsJson {
  const pct = (p: (typeof CONTRACT_DISCOUNT_PRODUCTS)[number]) => basisPointsToPercent(v.discounts[p] ?? 0);
  return {
    object: 'contract_discounts',
    account_id: v.accountId,
    residential: pct('residential'),
    mobile: pct('mobile'),
    isp: pct('isp'),
    server: pct('server'),
    reserved_instance: pct('reserved_instance'),
  };
}
