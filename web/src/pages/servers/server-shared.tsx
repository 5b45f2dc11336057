/** What the Servers and Coupons pages share: the specs, status tags, an order's dry run in a table. */
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { Alert, Modal, Table, Tag, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, asApiError, type Schemas } from '../../api/client.ts';
import type { operations } from '../../api/schema';
import { errorText, usd } from '../../format.ts';
import { checkError } from '../isp-shared.tsx';

export type Server = Schemas['Server'];
export type Spec = Server['spec'];
export type Coupon = Schemas['ReservedInstance'];
type Order = Schemas['Order'];
type LineItem = Order['line_items'][number];

type OrderBody = operations['createOrder']['requestBody']['content']['application/json'];

/** Refetches the lists an order changed (`[['servers'], ['account']]` …). */
export async function refresh(qc: QueryClient, keys: string[][]): Promise<void> {
  await Promise.all(keys.map((queryKey) => qc.invalidateQueries({ queryKey })));
}

/**
 * Place order → a confirmation dialog → Confirm (POST /v1/orders with an Idempotency-Key); the
 * refusal in words on the page. `placed` gets the new order, after `invalidate` is refetched.
 */
export function usePlaceOrder(invalidate: string[][], placed: (o: Schemas['Order']) => void) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [placing, setPlacing] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);

  async function place(body: OrderBody) {
    setPlacing(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/orders', {
      body,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setPlacing(false);
    setConfirming(false);
    if (!data) return setFailure(asApiError(error, response.status));
    await refresh(qc, invalidate);
    placed(data);
  }

  /** The confirmation dialog: `text` and Confirm, which places `body`. */
  const dialog = (body: OrderBody, text: ReactNode) => (
    <Modal
      open={confirming}
      title={t('servers.confirmTitle')}
      okText={t('servers.confirm')}
      cancelText={t('servers.cancel')}
      confirmLoading={placing}
      onOk={() => place(body)}
      onCancel={() => setConfirming(false)}
    >
      {text}
    </Modal>
  );
  return { open: () => setConfirming(true), failure, dialog };
}

/** The catalog's server specs (names only: their prices come from the quote endpoint). */
export const SPECS: readonly Spec[] = ['s1.small', 's1.medium', 's1.large', 's1.xlarge'];

const STATUS_COLOURS: Record<string, string> = {
  running: 'green',
  active: 'green',
  suspended: 'orange',
  stopped: 'default',
  adjusted: 'blue',
  unsubscribed: 'default',
  expired: 'default',
};

/** A server's or a coupon's status as a coloured tag. */
export function StateTag({ status, scope }: { status: string; scope: 'servers' | 'coupons' }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATUS_COLOURS[status] ?? 'default'} data-testid="status">
      {t(`${scope}.statuses.${status}`, { defaultValue: status })}
    </Tag>
  );
}

/** A quote's checks (what would refuse the order now), each in words. */
export function QuoteChecks({ checks }: { checks: { code: string; message: string }[] }) {
  const { t } = useTranslation();
  if (checks.length === 0) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginTop: 12 }}
      title={checks.map((c) => <div key={c.code}>{errorText(t, checkError(c))}</div>)}
    />
  );
}

export function ErrorAlert({ error }: { error: ApiError | null }) {
  const { t } = useTranslation();
  if (!error) return null;
  return <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(t, error)} />;
}

function lineLabel(l: LineItem, t: (k: string) => string): string {
  const which = l.config.configuration;
  if (which === 'old') return t('servers.oldConfig');
  if (which === 'new') return t('servers.newConfig');
  return t('servers.line');
}

/** A compact date and time (6/7/26, 10:00 AM · 2026/6/7 10:00) for tables. */
export function shortDateTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
}

const numberOr = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const stringOr = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * A server order's dry run: its line items (a change's old and new configuration as two lines,
 * each with its amounts) and what would be paid or refunded.
 */
export function OrderPreview({ order }: { order: Order }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const refund = numberOr(order.details.refund_usd) ?? order.refunded_usd;
  const unsubscribe = order.type === 'unsubscribe';
  return (
    <div data-testid="dry-run">
      {order.type !== 'unsubscribe' && (
        <Table<LineItem>
          rowKey="id"
          size="small"
          pagination={false}
          scroll={{ x: 'max-content' }}
          dataSource={order.line_items}
          columns={[
            { title: t('servers.line'), key: 'line', render: (l: LineItem) => lineLabel(l, t) },
            { title: t('servers.spec'), key: 'spec', render: (l: LineItem) => String(l.config.spec ?? '—') },
            ...(order.line_items.some((l) => typeof l.config.remaining_value_usd === 'number')
              ? [
                  {
                    title: t('servers.remaining'),
                    key: 'remaining',
                    align: 'right' as const,
                    render: (l: LineItem) => {
                      const v = numberOr(l.config.remaining_value_usd);
                      return v === null ? '—' : usd(v, lang);
                    },
                  },
                ]
              : []),
            {
              title: t('servers.startEnd'),
              key: 'period',
              render: (l: LineItem) => (
                <span style={{ whiteSpace: 'nowrap' }}>
                  {shortDateTime(l.starts_at, lang)}
                  {l.ends_at && (
                    <>
                      {' –'}
                      <br />
                      {shortDateTime(l.ends_at, lang)}
                    </>
                  )}
                </span>
              ),
            },
            {
              title: t('servers.payable'),
              key: 'payable',
              align: 'right' as const,
              render: (l: LineItem) => usd(l.payable_usd, lang),
            },
          ]}
        />
      )}
      {order.type === 'renew' && (
        <Typography.Paragraph style={{ marginTop: 12 }}>
          {t('servers.renewBody', {
            from: shortDateTime(stringOr(order.details.previous_period_end), lang),
            to: shortDateTime(stringOr(order.details.period_end), lang),
          })}
        </Typography.Paragraph>
      )}
      {order.type === 'temp_upgrade' && (
        <Typography.Paragraph style={{ marginTop: 12 }}>
          {t('servers.tempUpgradeBody', {
            spec: stringOr(order.details.to_spec),
            until: shortDateTime(stringOr(order.details.until), lang),
            base: stringOr(order.details.base_spec),
          })}
        </Typography.Paragraph>
      )}
      {unsubscribe && (
        <Typography.Paragraph>
          {t('servers.unsubscribeBody', {
            paid: usd(numberOr(order.details.paid_usd) ?? 0, lang),
            unused: new Intl.NumberFormat(lang).format(numberOr(order.details.unused_seconds) ?? 0),
            term: new Intl.NumberFormat(lang).format(numberOr(order.details.term_seconds) ?? 0),
          })}
        </Typography.Paragraph>
      )}
      <div style={{ marginTop: 12 }}>
        {order.total_usd > 0 && (
          <Typography.Text strong data-testid="charge" style={{ display: 'block' }}>
            {t('servers.charge', { amount: usd(order.total_usd, lang) })}
          </Typography.Text>
        )}
        {refund > 0 && (
          <Typography.Text strong data-testid="refund" style={{ display: 'block' }}>
            {t('servers.refund', { amount: usd(refund, lang) })}
          </Typography.Text>
        )}
        {order.total_usd === 0 && refund === 0 && (
          <Typography.Text>{t('servers.nothingToPay')}</Typography.Text>
        )}
      </div>
    </div>
  );
}
