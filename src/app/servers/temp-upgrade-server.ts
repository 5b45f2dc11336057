/**
 * `POST /v1/servers/{id}/temp-upgrade {spec, hours, dry_run?}` (SPEC §7 `temp_upgrade`): a running
 * prepaid or postpaid server runs a higher spec for N hours (1 … 720), then a one-off job puts the
 * spec back (revertDueTempUpgrade) and writes a `temp_upgrade` order of 0 recording it.
 *
 * - Prepaid: the monthly price difference pro-rata for the upgraded time (temp-upgrade-pricing.ts),
 *   with the contract discount, paid like any order (balance, then the default card). The window
 *   must end inside the paid term.
 * - Postpaid: nothing is charged now; settlement bills each hour at the spec the server runs, so
 *   the higher hourly price applies for the window (the hours before it, and the window's own at
 *   its end, are billed before the spec moves: settlement/settle-before-spec-change.ts).
 *
 * Consecutive upgrades: the same spec again extends the window by N hours (from its current end);
 * a higher spec runs from now for N hours, which must reach at least the current window's end.
 * The order carries the old configuration and the new as two line items with the server's id,
 * the charge on the new one. A lower spec, or one not above the base, is 400 invalid_request.
 */
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertOrder } from '../../db/orders.ts';
import { getServer, revertTempUpgrade, type ServerRow } from '../../db/servers.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type LineItem, type Order, orderTotals } from '../../domain/order.ts';
import { asUnpaid } from '../../domain/quote.ts';
import {
  COMPUTE_FACTOR,
  isServerSpec,
  type ServerPriceBook,
  type ServerSpec,
} from '../../domain/server-specs.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { settleBeforeSpecChange } from '../settlement/settle-before-spec-change.ts';
import { payServerChange } from './pay-server-change.ts';
import { loadServerPriceBook } from './price-server-order.ts';
import { applyTempUpgrade, settleTempUpgrade, type TempStates } from './settle-temp-upgrade.ts';
import { TEMP_UPGRADE_MAX_HOURS, type TempUpgradePart, tempUpgradeCents } from './temp-upgrade-pricing.ts';
import { zeroLine, zeroOrder } from './zero-order.ts';

export interface TempUpgradeServerCommand {
  accountId: string;
  serverId: string;
  spec: string;
  hours: number;
  dryRun?: boolean;
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

const HOUR_MS = 3600 * 1000;

function serverMode(s: ServerRow): 'prepaid' | 'postpaid' {
  return s.paymentMode === 'prepaid' ? 'prepaid' : 'postpaid';
}

/** A running prepaid or postpaid server, or why it cannot be upgraded for a while now. */
function upgradable(s: ServerRow, now: Date): Result<void> {
  if (s.status !== 'running') {
    return err('invalid_state', `Server ${s.id} is ${s.status}`, { detail: { status: s.status } });
  }
  if (s.paymentMode === 'trial') {
    return err('invalid_state', `Server ${s.id} is a trial; convert it first`, {
      detail: { status: s.status },
    });
  }
  if (s.paymentMode === 'prepaid' && s.periodEnd && now.getTime() >= s.periodEnd.getTime()) {
    return err('invalid_state', `Server ${s.id}'s term ended at ${s.periodEnd.toISOString()}`, {
      detail: { status: s.status },
    });
  }
  return ok(undefined);
}

interface Window {
  base: ServerSpec;
  current: ServerSpec;
  /** the current window's end, when one runs */
  currentUntil: Date | null;
  startsAt: Date;
  until: Date;
  parts: TempUpgradePart[];
}

/** Where the new window starts and ends and what it is charged for (see the file's comment). */
function planWindow(
  s: ServerRow,
  to: ServerSpec,
  hours: number,
  book: ServerPriceBook,
  now: Date,
): Result<Window> {
  const active = s.tempBaseSpec !== null && s.tempUntil !== null && s.tempUntil.getTime() > now.getTime();
  const current = s.spec as ServerSpec;
  const base = (s.tempBaseSpec ?? s.spec) as ServerSpec;
  const delta = (from: ServerSpec) => book.monthly[to] - book.monthly[from];
  const seconds = hours * 3600;
  let w: Window;
  if (!active || s.tempUntil === null) {
    if (COMPUTE_FACTOR[to] <= COMPUTE_FACTOR[base]) {
      return err('invalid_request', `${to} is not higher than the server's ${base}`, { param: 'spec' });
    }
    const until = new Date(now.getTime() + hours * HOUR_MS);
    w = {
      base,
      current,
      currentUntil: null,
      startsAt: now,
      until,
      parts: [{ monthlyDelta4: delta(base), seconds }],
    };
  } else if (to === current) {
    const until = new Date(s.tempUntil.getTime() + hours * HOUR_MS);
    w = {
      base,
      current,
      currentUntil: s.tempUntil,
      startsAt: s.tempUntil,
      until,
      parts: [{ monthlyDelta4: delta(base), seconds }],
    };
  } else {
    if (COMPUTE_FACTOR[to] <= COMPUTE_FACTOR[current]) {
      return err(
        'invalid_request',
        `${to} is not higher than ${current}, which the server runs until ${s.tempUntil.toISOString()}`,
        { param: 'spec' },
      );
    }
    const until = new Date(now.getTime() + hours * HOUR_MS);
    if (until.getTime() < s.tempUntil.getTime()) {
      return err(
        'invalid_request',
        `hours must reach at least the current temporary upgrade's end (${s.tempUntil.toISOString()})`,
        { param: 'hours' },
      );
    }
    const rest = Math.floor((s.tempUntil.getTime() - now.getTime()) / 1000);
    w = {
      base,
      current,
      currentUntil: s.tempUntil,
      startsAt: now,
      until,
      parts: [
        { monthlyDelta4: delta(current), seconds: rest },
        { monthlyDelta4: delta(base), seconds: seconds - rest },
      ],
    };
  }
  if (w.until.getTime() - now.getTime() > TEMP_UPGRADE_MAX_HOURS * HOUR_MS) {
    return err(
      'invalid_request',
      `a temporary upgrade runs at most ${TEMP_UPGRADE_MAX_HOURS} hours from now`,
      {
        param: 'hours',
      },
    );
  }
  if (s.paymentMode === 'prepaid' && s.periodEnd && w.until.getTime() > s.periodEnd.getTime()) {
    return err(
      'invalid_request',
      `the temporary upgrade would run past the paid term's end (${s.periodEnd.toISOString()}); renew first`,
      { param: 'hours' },
    );
  }
  return ok(w);
}

async function priceTempUpgrade(
  deps: Deps,
  q: Sql,
  cmd: TempUpgradeServerCommand,
  now: Date,
): Promise<Result<Order>> {
  if (!isServerSpec(cmd.spec))
    return err('invalid_request', `unknown server spec: ${cmd.spec}`, { param: 'spec' });
  if (!Number.isSafeInteger(cmd.hours) || cmd.hours < 1 || cmd.hours > TEMP_UPGRADE_MAX_HOURS) {
    return err('invalid_request', `hours must be a whole number from 1 to ${TEMP_UPGRADE_MAX_HOURS}`, {
      param: 'hours',
    });
  }
  const to: ServerSpec = cmd.spec;
  const s = await getServer(q, cmd.serverId, cmd.accountId);
  if (!s) return err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  const state = upgradable(s, now);
  if (!state.ok) return state;
  const prepaid = s.paymentMode === 'prepaid';
  const [book, bp] = await Promise.all([
    loadServerPriceBook(q),
    prepaid ? contractDiscountBasisPoints(q, s.accountId, 'server') : Promise.resolve(0),
  ]);
  const planned = planWindow(s, to, cmd.hours, book, now);
  if (!planned.ok) return planned;
  const w = planned.value;
  const original = prepaid ? tempUpgradeCents(w.parts) : 0;
  const t = withContractDiscount({ original, discount: 0, payable: original }, bp);
  const prices = prepaid ? book.monthly : book.hourly;
  const mode = serverMode(s);
  const oldConfig = {
    spec: w.current,
    payment_mode: mode,
    base_spec: w.base,
    temp_until: w.currentUntil?.toISOString() ?? null,
    unit_price: prices[w.current],
  };
  const base = {
    product: 'server',
    paymentMode: mode,
    instanceId: s.id,
    quantity: 1,
    voucher: 0,
    status: 'paid' as const,
  };
  const oldLine: LineItem = {
    ...base,
    id: deps.ids.next('oli'),
    config: { ...oldConfig, configuration: 'old' },
    previousConfig: null,
    duration: null,
    unitPrice4: prices[w.current],
    original: 0,
    discount: 0,
    payable: 0,
    paid: 0,
    startsAt: now,
    endsAt: w.currentUntil,
  };
  const newLine: LineItem = {
    ...base,
    id: deps.ids.next('oli'),
    config: {
      spec: to,
      payment_mode: mode,
      configuration: 'new',
      base_spec: w.base,
      hours: cmd.hours,
      until: w.until.toISOString(),
      unit_price: prices[to],
      ...(prepaid ? {} : { billed: 'hourly at this spec until the end, by settlement' }),
    },
    previousConfig: oldConfig,
    duration: `PT${cmd.hours}H`,
    unitPrice4: prices[to],
    original: t.original,
    discount: t.discount,
    payable: t.payable,
    paid: t.payable,
    startsAt: w.startsAt,
    endsAt: w.until,
  };
  const states: TempStates = {
    before: { spec: s.spec, temp_until: s.tempUntil?.toISOString() ?? null },
    after: { spec: to, base_spec: w.base, until: w.until.toISOString() },
  };
  // the order's amounts are its lines' (the charge is on the new one)
  return ok({
    ...zeroOrder(deps, {
      accountId: s.accountId,
      product: 'server',
      type: 'temp_upgrade',
      paymentMode: mode,
      details: {
        server_id: s.id,
        phase: 'upgrade',
        from_spec: w.current,
        to_spec: to,
        base_spec: w.base,
        hours: cmd.hours,
        until: w.until.toISOString(),
        previous_until: w.currentUntil?.toISOString() ?? null,
        charge_usd_cents: t.payable,
        formula: prepaid
          ? '(monthly(to) − monthly(from)) × seconds / (720 × 3600), half-up to the cent once'
          : 'postpaid: billed hourly at the upgraded spec until the end',
        server_before: states.before,
        server_after: states.after,
      },
      lines: [oldLine, newLine],
      at: now,
    }),
    ...orderTotals([oldLine, newLine]),
  });
}

export async function tempUpgradeServer(deps: Deps, cmd: TempUpgradeServerCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await priceTempUpgrade(deps, deps.db, cmd, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  if (cmd.dryRun) return ok(order.payable > 0 ? asUnpaid(order) : order);
  if (order.payable > 0) return payServerChange(deps, cmd, order, now, settleTempUpgrade);
  return resultTx(deps.db, async (q) => {
    // a postpaid server's hours so far are billed at the spec they ran before it moves
    const server = { id: order.details.server_id as string, accountId: order.accountId };
    await settleBeforeSpecChange(deps, q, server, now);
    const applied = await applyTempUpgrade(q, order, now);
    if (!applied.ok) return applied;
    await insertOrder(q, order, 'temporary upgrade: billed hourly at the upgraded spec');
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'order', order.id);
    return ok(order);
  });
}

/**
 * The revert job: a temporary upgrade that is due ends — the spec goes back to the base, and a
 * `temp_upgrade` order of 0 (phase `revert`, the upgraded configuration old, the base new)
 * records it. A no-op when the window was extended meanwhile (a later job is queued for it), or
 * already reverted.
 */
export async function revertDueTempUpgrade(deps: Deps, serverId: string): Promise<boolean> {
  const at = await deps.clock.now();
  return deps.db.tx(async (q) => {
    const s = await getServer(q, serverId, null, { forUpdate: true });
    if (!s?.tempBaseSpec || !s.tempUntil || s.tempUntil.getTime() > at.getTime()) return false;
    // the upgraded hours are billed at the upgraded spec before it goes back (postpaid)
    await settleBeforeSpecChange(deps, q, { id: s.id, accountId: s.accountId }, at);
    if (!(await revertTempUpgrade(q, s.id, s.spec, at))) return false;
    if (s.status === 'stopped') return true;
    const mode = serverMode(s);
    const line = (spec: string, configuration: 'old' | 'new'): LineItem =>
      zeroLine(deps, {
        product: 'server',
        config: { spec, payment_mode: mode, configuration },
        previousConfig: configuration === 'new' ? { spec: s.spec, payment_mode: mode } : null,
        paymentMode: mode,
        duration: null,
        instanceId: s.id,
        status: 'paid',
        quantity: 1,
        startsAt: configuration === 'new' ? s.tempUntil : null,
        endsAt: configuration === 'old' ? s.tempUntil : null,
      });
    const order = zeroOrder(deps, {
      accountId: s.accountId,
      product: 'server',
      type: 'temp_upgrade',
      paymentMode: mode,
      details: {
        server_id: s.id,
        phase: 'revert',
        from_spec: s.spec,
        to_spec: s.tempBaseSpec,
        upgraded_until: s.tempUntil.toISOString(),
      },
      lines: [line(s.spec, 'old'), line(s.tempBaseSpec, 'new')],
      at: at,
    });
    await insertOrder(q, order, 'temporary upgrade ended: spec reverted');
    return true;
  });
}
