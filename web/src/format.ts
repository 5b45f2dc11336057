/** Amounts and dates for the reader's language (SPEC §10: amounts show two decimals). */
import type { TFunction } from 'i18next';
import type { ApiError } from './api/client.ts';

/** A USD amount as the API gives it (225.00) in the reader's locale: $225.00 / US$225.00. */
export function usd(amount: number, lang: string): string {
  return new Intl.NumberFormat(lang, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(amount);
}

/** A unit price (2 to 4 decimals). */
export function unitPrice(amount: number, lang: string): string {
  return new Intl.NumberFormat(lang, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
  }).format(amount);
}

export function dateTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function gigabytes(bytes: number, lang: string): string {
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(bytes / 1e9)} GB`;
}

/** An API error as a sentence for people: the code's message, never the raw JSON. */
export function errorText(t: TFunction, e: ApiError): string {
  if (e.code === 'insufficient_balance') {
    const code = typeof e.decline_code === 'string' ? e.decline_code : 'card_declined';
    const reason = t(`declines.${code}`, { defaultValue: '' }) || t('declines.other', { code });
    return t('errors.insufficient_balance', { reason });
  }
  const known = t(`errors.${e.code}`, { message: e.message, defaultValue: '' });
  return known || t('errors.other', { code: e.code, message: e.message });
}
