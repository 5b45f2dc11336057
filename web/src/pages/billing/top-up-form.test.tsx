// @vitest-environment happy-dom
/**
 * Billing → Payment methods, the top-up form's validation (SPEC §5: POST /v1/billing/top-ups
 * {amount_usd}, 1.00 to 100,000.00 with at most two decimals): a negative amount, a zero, three
 * decimals or words show the rule and are not submitted; a valid amount is handed on in dollars,
 * read from the text without float arithmetic (19.99 stays 19.99).
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setupI18n } from '../../i18n/index.ts';
import { TopUpForm, topUpAmount } from './top-up-form.tsx';

const RULE = 'Enter an amount from 1.00 to 100,000.00 with at most two decimals';

describe('the top-up amount', () => {
  beforeAll(async () => {
    await setupI18n().changeLanguage('en');
  });
  afterEach(cleanup);
  afterAll(cleanup);

  it('reads the text as exact dollars', () => {
    expect(topUpAmount('25')).toBe(25);
    expect(topUpAmount(' 19.99 ')).toBe(19.99);
    expect(topUpAmount('1.5')).toBe(1.5);
    expect(topUpAmount('100000')).toBe(100000);
    expect(topUpAmount('100000.01')).toBeNull();
    expect(topUpAmount('0.99')).toBeNull();
    expect(topUpAmount('0')).toBeNull();
    expect(topUpAmount('-5')).toBeNull();
    expect(topUpAmount('10.555')).toBeNull();
    expect(topUpAmount('1e3')).toBeNull();
    expect(topUpAmount('ten')).toBeNull();
    expect(topUpAmount('')).toBeNull();
  });

  it.each(['-5', '0', '10.555', 'abc'])('shows the rule for %s and does not submit it', async (text) => {
    const onSubmit = vi.fn();
    render(<TopUpForm onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText('Amount (USD)'), { target: { value: text } });
    await screen.findByText(RULE);
    fireEvent.click(screen.getByRole('button', { name: 'Top up' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('submits a valid amount in dollars, with no rule shown', async () => {
    const onSubmit = vi.fn();
    render(<TopUpForm onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText('Amount (USD)'), { target: { value: '19.99' } });
    fireEvent.click(screen.getByRole('button', { name: 'Top up' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith(19.99));
    expect(screen.queryByText(RULE)).toBeNull();
  });

  it('an empty field submitted shows the rule', async () => {
    const onSubmit = vi.fn();
    render(<TopUpForm onSubmit={onSubmit} />);
    fireEvent.click(screen.getByRole('button', { name: 'Top up' }));
    await screen.findByText(RULE);
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
