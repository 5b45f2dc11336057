// @vitest-environment happy-dom
/**
 * ISP → Order new IPs, the form's validation (SPEC §3: 5–5,000 IPs per order): a quantity outside
 * the range shows the rule and turns Place order off, and no quote is asked for it; inside the
 * range the total comes from the quote endpoint and Place order is on. The API is a stub.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** What the page asked the API for (the quote bodies), and the stub that answers it. */
const calls = vi.hoisted(() => {
  const quotes: { quantity: number }[] = [];
  const offer = {
    object: 'isp_inventory',
    country: 'us',
    t1_market: true,
    city_selectable: true,
    available: 150,
    price_per_ip_usd: 5,
    cities: [{ city: 'newyork', available: 150 }],
    asns: [
      {
        asn: 7922,
        available: 150,
        premium: true,
        price_per_ip_usd: 6,
        cities: [{ city: 'newyork', available: 150 }],
      },
    ],
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/v1/isp/inventory') {
      return json(
        url.searchParams.get('country') ? offer : { object: 'list', data: [offer], has_more: false },
      );
    }
    if (url.pathname === '/v1/subusers') {
      return json({
        object: 'list',
        has_more: false,
        data: [
          {
            id: 'sub_main',
            object: 'subuser',
            name: null,
            username: 'demo',
            is_main: true,
            status: 'active',
          },
        ],
      });
    }
    if (url.pathname === '/v1/orders/quote') {
      const body = (await req.json()) as { quantity: number; months: number };
      quotes.push(body);
      const total = 6 * body.quantity * body.months;
      return json({
        object: 'order_quote',
        original_usd: total,
        discount_usd: 0,
        total_usd: total,
        line_items: [{ unit_price_usd: 6 }],
        checks: [],
        stock: { available: 10_000, outcome: 'provisioning', substitution: null },
      });
    }
    return json({ error: { code: 'not_found', message: 'no stub' } }, 404);
  }) as typeof fetch;
  return { quotes };
});

const { setupI18n } = await import('../i18n/index.ts');
const { default: IspOrderPage } = await import('./isp-order.tsx');

function renderPage() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <MemoryRouter>
        <IspOrderPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const placeOrder = () => screen.getByRole('button', { name: 'Place order' }) as HTMLButtonElement;
const quantity = () => screen.getByLabelText('Quantity') as HTMLInputElement;
const total = () => screen.getByTestId('total').textContent;
/** The quantity's form item is in its error state (its help text may still be fading out). */
const quantityInError = () =>
  quantity().closest('.ant-form-item')?.classList.contains('ant-form-item-has-error') ?? false;

describe('ISP → Order new IPs: the quantity rule', () => {
  beforeAll(async () => {
    localStorage.setItem('orderdesk.lang', 'en');
    const i18n = setupI18n();
    await i18n.changeLanguage('en');
  });
  afterAll(() => cleanup());

  it('5–5,000 goes to the quote and enables Place order; outside it shows the rule and disables it', async () => {
    renderPage();
    // the default 10 IPs: priced by the quote endpoint
    await waitFor(() => expect(total()).toBe('$60.00'));
    await waitFor(() => expect(placeOrder().disabled).toBe(false));
    expect(quantityInError()).toBe(false);

    for (const bad of ['4', '5001', '0']) {
      fireEvent.change(quantity(), { target: { value: bad } });
      await waitFor(() => expect(screen.getByText('An integer from 5 to 5,000')).toBeTruthy());
      expect(quantityInError()).toBe(true);
      expect(placeOrder().disabled).toBe(true);
    }
    // no quote was asked for a quantity outside the range
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.quotes.every((q) => q.quantity >= 5 && q.quantity <= 5000)).toBe(true);

    fireEvent.change(quantity(), { target: { value: '5000' } });
    await waitFor(() => expect(total()).toBe('$30,000.00'));
    await waitFor(() => expect(placeOrder().disabled).toBe(false));
    expect(quantityInError()).toBe(false);

    fireEvent.change(quantity(), { target: { value: '5' } });
    await waitFor(() => expect(total()).toBe('$30.00'));
    await waitFor(() => expect(placeOrder().disabled).toBe(false));
  });
});
