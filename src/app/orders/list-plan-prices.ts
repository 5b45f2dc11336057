/** GET /v1/prices: the plans of a bandwidth product at the price book's current prices (SPEC §3). */
import type { PlanPrice } from '../../domain/bandwidth-pricing.ts';
import type { Deps } from '../deps.ts';
import { loadBandwidthPrices } from './price-order.ts';

export async function listPlanPrices(deps: Deps, product: 'residential' | 'mobile'): Promise<PlanPrice[]> {
  const plans = await loadBandwidthPrices(deps.db, product);
  return [...plans].sort((a, b) => a.minQuantity - b.minQuantity);
}
