import { describe, expect, it } from 'vitest';
import {
  FULFILMENT_STATUSES,
  isTerminal,
  LINE_ITEM_STATUSES,
  lineItemTransitions,
  ORDER_TYPES,
  orderTransitions,
  PAYMENT_STATUSES,
  type PaymentStatus,
  paymentTransitions,
  transition,
} from './order-states.ts';

describe('status lists', () => {
  it('has the 8 order types of the spec', () => {
    expect(ORDER_TYPES).toEqual([
      'new',
      'trial',
      'convert',
      'renew',
      'change',
      'unsubscribe',
      'ri_adjust',
      'temp_upgrade',
    ]);
  });

  it('has 7 payment statuses, 6 line-item statuses (no partially_refunded), 6 fulfilment statuses', () => {
    expect(PAYMENT_STATUSES).toHaveLength(7);
    expect(LINE_ITEM_STATUSES).toHaveLength(6);
    expect(LINE_ITEM_STATUSES).not.toContain('partially_refunded');
    expect([...LINE_ITEM_STATUSES].sort()).toEqual(
      PAYMENT_STATUSES.filter((s) => s !== 'partially_refunded').sort(),
    );
    expect(FULFILMENT_STATUSES).toHaveLength(6);
  });
});

interface Machine {
  name: string;
  states: readonly string[];
  table: Record<string, readonly string[]>;
  legal: readonly (readonly [string, string])[];
  terminal: readonly string[];
}

const machines: Machine[] = [
  {
    name: 'payment',
    states: PAYMENT_STATUSES,
    table: paymentTransitions,
    legal: [
      ['pending_payment', 'paid'],
      ['pending_payment', 'cancelled'],
      ['paid', 'refunding'],
      ['paid', 'refunded'],
      ['paid', 'partially_refunded'],
      ['partially_refunded', 'refunding'],
      ['partially_refunded', 'refunded'],
      ['partially_refunded', 'partially_refunded'],
      ['refunding', 'refunded'],
      ['refunding', 'partially_refunded'],
      ['refunding', 'refund_failed'],
      ['refund_failed', 'refunding'],
    ],
    terminal: ['refunded', 'cancelled'],
  },
  {
    name: 'line item',
    states: LINE_ITEM_STATUSES,
    table: lineItemTransitions,
    legal: [
      ['pending_payment', 'paid'],
      ['pending_payment', 'cancelled'],
      ['paid', 'refunding'],
      ['paid', 'refunded'],
      ['refunding', 'refunded'],
      ['refunding', 'refund_failed'],
      ['refund_failed', 'refunding'],
    ],
    terminal: ['refunded', 'cancelled'],
  },
  {
    name: 'order',
    states: FULFILMENT_STATUSES,
    table: orderTransitions,
    legal: [
      ['pending_payment', 'provisioning'],
      ['pending_payment', 'waiting_inventory'],
      ['pending_payment', 'completed'],
      ['pending_payment', 'cancelled'],
      ['waiting_inventory', 'provisioning'],
      ['waiting_inventory', 'completed'],
      ['waiting_inventory', 'cancelled'],
      ['provisioning', 'completed'],
      ['provisioning', 'failed'],
      ['provisioning', 'cancelled'],
      ['completed', 'cancelled'],
    ],
    terminal: ['failed', 'cancelled'],
  },
];

describe.each(machines)('$name transitions', ({ name, states, table, legal, terminal }) => {
  const isLegal = (from: string, to: string) => legal.some(([f, t]) => f === from && t === to);

  it('has a row for every state and only known states', () => {
    expect(Object.keys(table).sort()).toEqual([...states].sort());
    for (const exits of Object.values(table)) {
      for (const to of exits) expect(states).toContain(to);
    }
  });

  it('the table is exactly the legal moves of the spec', () => {
    const listed = Object.entries(table).flatMap(([from, exits]) => exits.map((to) => `${from}->${to}`));
    expect(listed.sort()).toEqual(legal.map(([f, t]) => `${f}->${t}`).sort());
  });

  it('accepts every legal move', () => {
    for (const [from, to] of legal) {
      expect(transition(table, from, to, name)).toEqual({ ok: true, value: to });
    }
  });

  it('refuses every other move of the full cross product with invalid_state', () => {
    let refused = 0;
    for (const from of states) {
      for (const to of states) {
        if (isLegal(from, to)) continue;
        const r = transition(table, from, to, name);
        expect(r.ok, `${from} -> ${to}`).toBe(false);
        if (!r.ok) {
          expect(r.error.code).toBe('invalid_state');
          expect(r.error.message).toBe(`cannot move ${name} from ${from} to ${to}`);
        }
        refused++;
      }
    }
    expect(refused).toBe(states.length * states.length - legal.length);
  });

  it('terminal states have no exits', () => {
    for (const s of states) expect(isTerminal(table, s), s).toBe(terminal.includes(s));
    for (const s of terminal) {
      expect(table[s]).toEqual([]);
      for (const to of states) expect(transition(table, s, to, name).ok).toBe(false);
    }
  });
});

describe('transition', () => {
  it('refuses a from-state the table does not know', () => {
    const r = transition(paymentTransitions, 'bogus' as PaymentStatus, 'paid', 'payment');
    expect(!r.ok && r.error.code).toBe('invalid_state');
    const r2 = transition(paymentTransitions, 'toString' as PaymentStatus, 'paid', 'payment');
    expect(!r2.ok && r2.error.code).toBe('invalid_state');
  });

  it('is typed by the table', () => {
    const r = transition(orderTransitions, 'provisioning', 'completed', 'order');
    expect(r).toEqual({ ok: true, value: 'completed' });
  });
});
