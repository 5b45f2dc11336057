/** What the ISP pages share: places in words, status tags, the quantity rule, downloads. */
import { useQuery } from '@tanstack/react-query';
import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, must, type Schemas } from '../api/client.ts';

export type Batch = Schemas['IspBatch'];
export type Offer = Schemas['IspOffer'];

/** SPEC §3: 5–5,000 IPs per order. */
export const QTY_MIN = 5;
export const QTY_MAX = 5000;

export function validQuantity(q: number | null | undefined): q is number {
  return typeof q === 'number' && Number.isInteger(q) && q >= QTY_MIN && q <= QTY_MAX;
}

/** The country's name in the reader's language (us → United States / 美国). */
export function countryName(code: string, lang: string): string {
  try {
    return new Intl.DisplayNames([lang], { type: 'region' }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** country · city · ASN, the parts that are set. */
export function placeLabel(
  lang: string,
  p: { country: string; city?: string | null; asn?: number | null },
): string {
  return [countryName(p.country, lang), p.city, p.asn ? `AS${p.asn}` : null].filter(Boolean).join(' · ');
}

const STATUS_COLOURS: Record<string, string> = {
  ready: 'green',
  completed: 'green',
  provisioning: 'blue',
  waiting_inventory: 'gold',
  pending_payment: 'gold',
  expired: 'orange',
  released: 'default',
  cancelled: 'default',
  failed: 'red',
};

/** A batch's or an ISP order's status as a coloured tag. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATUS_COLOURS[status] ?? 'default'} data-testid="status">
      {t(`isp.status.${status}`, { defaultValue: status })}
    </Tag>
  );
}

/** The account's subusers (for binding a batch). */
export function useSubusers() {
  return useQuery({
    queryKey: ['subusers', 'all'],
    queryFn: () => must(api.GET('/v1/subusers', { params: { query: { limit: 100 } } })),
  });
}

export function subuserLabel(s: Schemas['Subuser'], t: (k: string) => string): string {
  if (s.is_main) return `${t('isp.order.main')} (${s.username})`;
  return s.name ? `${s.name} (${s.username})` : s.username;
}

/** Saves text the page fetched as a file (the download of a batch's IP list). */
export function saveText(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A dry run's check as an error to put in words. A quote's insufficient_balance means the balance
 * falls short and there is no default card (domain/quote.ts), not a declined card.
 */
export function checkError(c: { code: string; message: string }): ApiError {
  return c.code === 'insufficient_balance'
    ? { code: c.code, message: c.message, decline_code: 'no_payment_method' }
    : { code: c.code, message: c.message };
}
