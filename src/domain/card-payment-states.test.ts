import { describe, expect, it } from 'vitest';
import {
  CARD_PAYMENT_STATUSES,
  type CardPaymentStatus,
  cardPaymentMove,
  cardPaymentTransitions,
} from './card-payment-states.ts';
import { isTerminal, transition } from './order-states.ts';

describe('cardPaymentTransitions', () => {
  const allowed: [CardPaymentStatus, CardPaymentStatus][] = [
    ['processing', 'succeeded'],
    ['processing', 'failed'],
    ['processing', 'voided'],
  ];

  it('allows exactly the listed moves', () => {
    for (const from of CARD_PAYMENT_STATUSES) {
      for (const to of CARD_PAYMENT_STATUSES) {
        const r = transition(cardPaymentTransitions, from, to, 'card payment');
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect(r.ok, `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it('refuses a move out of a finished payment with invalid_state', () => {
    const r = transition(cardPaymentTransitions, 'succeeded', 'voided', 'card payment');
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'invalid_state', detail: { from: 'succeeded', to: 'voided' } },
    });
  });

  it('has succeeded, failed and voided as its terminal states', () => {
    expect(CARD_PAYMENT_STATUSES.filter((s) => isTerminal(cardPaymentTransitions, s))).toEqual([
      'succeeded',
      'failed',
      'voided',
    ]);
  });
});

describe('cardPaymentMove', () => {
  it('finishes a payment only from processing', () => {
    for (const to of ['succeeded', 'failed', 'voided'] as const) {
      expect(cardPaymentMove(to)).toEqual({ from: ['processing'], to });
    }
  });

  it('throws (a bug, not a domain failure) for a status no state may move to', () => {
    expect(() => cardPaymentMove('processing')).toThrow(/no card payment status may move to processing/);
  });
});
