/**
 * Billing → Orders → an order (订单详情; SPEC §8): the overview (id, type, created, payment mode,
 * status, original, discount, voucher, payable and paid totals) and the line items (product,
 * configuration, payment mode, duration, start and end, instance id, status and amounts). For a
 * change, an unsubscribe, a reserved-instance adjustment or a temporary upgrade a line shows the
 * old configuration and the new one as separate rows. Pay and cancel when the order allows them.
 */
import { useQuery } from '@tanstack/react-query';
import { Alert, Breadcrumb, Card, Descriptions, Space, Table, Tag, Timeline, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiFailure, api, must, type Schemas } from '../../api/client.ts';
import { dateTime, errorText, unitPrice, usd } from '../../format.ts';
import { OrderActions } from './order-actions.tsx';
import { PaymentStatusTag } from './orders.tsx';

type LineItem = Schemas['OrderLineItem'];
interface Row {
  key: string;
  line: LineItem;
  /** old: the configuration before (no amounts); new: the line after a change; only: no change */
  kind: 'old' | 'new' | 'only';
}

const PRICE_KEYS = new Set(['price_per_gb', 'price_per_ip', 'unit_price']);
const TIME_KEYS = new Set(['expires_at']);

/** A line item's configuration as "label: value" lines, in the reader's language. */
export function ConfigList({ config }: { config: Record<string, unknown> }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const entries = Object.entries(config).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return (
    <div style={{ minWidth: 160 }}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <Typography.Text type="secondary">{t(`config.${k}`, { defaultValue: k })}: </Typography.Text>
          {configValue(k, v, lang, t)}
        </div>
      ))}
    </div>
  );
}

function configValue(k: string, v: unknown, lang: string, t: TFunction): string {
  if (typeof v === 'number' && PRICE_KEYS.has(k)) return unitPrice(v, lang);
  if (typeof v === 'number' && k.endsWith('_usd')) return usd(v, lang);
  if (typeof v === 'string' && TIME_KEYS.has(k)) return dateTime(v, lang);
  if (k === 'plan' && v === 'payg') return t('buy.payg');
  if (k === 'status' && typeof v === 'string') return t(`isp.status.${v}`, { defaultValue: v });
  if (k === 'country' && typeof v === 'string') return v.toUpperCase();
  if (typeof v === 'boolean') return v ? '✓' : '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** ISO 8601 months (P1M, P12M) in words; anything else as it is. */
function duration(d: string | null, t: TFunction): string {
  if (!d) return '—';
  const m = /^P(\d+)M$/.exec(d);
  return m ? t('orders.months', { count: Number(m[1]) }) : d;
}

export default function OrderDetailPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const id = useParams().id ?? '';
  const order = useQuery({
    queryKey: ['order', id],
    queryFn: () => must(api.GET('/v1/orders/{id}', { params: { path: { id } } })),
  });
  const header = (
    <Breadcrumb
      style={{ marginBottom: 8 }}
      items={[{ title: <Link to="/billing/orders">{t('orders.back')}</Link> }, { title: id }]}
    />
  );
  if (order.error) {
    const e =
      order.error instanceof ApiFailure ? order.error.apiError : { code: 'network_error', message: '' };
    return (
      <>
        {header}
        <Alert type="error" showIcon title={errorText(t, e)} />
      </>
    );
  }
  const o = order.data;
  const rows: Row[] = (o?.line_items ?? []).flatMap((line): Row[] =>
    line.previous_config
      ? [
          { key: `${line.id}-old`, line, kind: 'old' },
          { key: `${line.id}-new`, line, kind: 'new' },
        ]
      : [{ key: line.id, line, kind: 'only' }],
  );
  const columns = [
    {
      title: t('orders.product'),
      key: 'product',
      render: (r: Row) => (
        <Space orientation="vertical" size={0}>
          <span>{t(`products.${r.line.product}`)}</span>
          {r.kind !== 'only' && (
            <Tag color={r.kind === 'old' ? 'default' : 'blue'}>
              {t(r.kind === 'old' ? 'orders.oldConfig' : 'orders.newConfig')}
            </Tag>
          )}
        </Space>
      ),
    },
    {
      title: t('orders.configuration'),
      key: 'config',
      render: (r: Row) => (
        <ConfigList config={(r.kind === 'old' ? r.line.previous_config : r.line.config) ?? {}} />
      ),
    },
    {
      title: t('orders.paymentMode'),
      key: 'mode',
      render: (r: Row) => t(`paymentModes.${r.line.payment_mode}`),
    },
    { title: t('orders.duration'), key: 'duration', render: (r: Row) => duration(r.line.duration, t) },
    {
      title: t('orders.startEnd'),
      key: 'period',
      render: (r: Row) =>
        r.line.starts_at || r.line.ends_at ? (
          <span style={{ whiteSpace: 'nowrap' }}>
            {dateTime(r.line.starts_at, lang)}
            <br />
            {dateTime(r.line.ends_at, lang)}
          </span>
        ) : (
          '—'
        ),
    },
    {
      title: t('orders.instanceId'),
      key: 'instance',
      render: (r: Row) =>
        r.line.instance_id ? (
          <Typography.Text code style={{ fontSize: 12 }}>
            {r.line.instance_id}
          </Typography.Text>
        ) : (
          '—'
        ),
    },
    {
      title: t('orders.status'),
      key: 'status',
      render: (r: Row) => <PaymentStatusTag status={r.line.status} />,
    },
    {
      title: t('orders.amounts'),
      key: 'amounts',
      render: (r: Row) =>
        r.kind === 'old' ? (
          '—'
        ) : (
          <table style={{ borderSpacing: 0 }}>
            <tbody>
              {(
                [
                  ['orders.original', r.line.original_usd],
                  ['orders.discount', r.line.discount_usd],
                  ['orders.voucher', r.line.voucher_usd],
                  ['orders.payable', r.line.payable_usd],
                  ['orders.paidCol', r.line.paid_usd],
                ] as const
              ).map(([label, v]) => (
                <tr key={label}>
                  <td style={{ paddingRight: 12, whiteSpace: 'nowrap' }}>
                    <Typography.Text type="secondary">{t(label)}</Typography.Text>
                  </td>
                  <td style={{ textAlign: 'right', whiteSpace: 'nowrap' }}>{usd(v, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ),
    },
  ];

  return (
    <>
      {header}
      <Typography.Title level={3} style={{ wordBreak: 'break-all' }}>
        {t('orders.detailTitle', { id })}
      </Typography.Title>
      <Card
        title={t('orders.overview')}
        loading={!o}
        extra={o && <OrderActions order={o} />}
        style={{ marginBottom: 16 }}
      >
        {o && (
          <Descriptions
            bordered
            size="small"
            column={{ xs: 1, sm: 1, md: 2, xxl: 3 }}
            items={[
              {
                key: 'id',
                label: t('orders.id'),
                children: <Typography.Text copyable>{o.id}</Typography.Text>,
              },
              { key: 'type', label: t('orders.type'), children: t(`orderTypes.${o.type}`) },
              { key: 'created', label: t('orders.created'), children: dateTime(o.created_at, lang) },
              { key: 'mode', label: t('orders.paymentMode'), children: t(`paymentModes.${o.payment_mode}`) },
              {
                key: 'status',
                label: t('orders.status'),
                children: (
                  <Space wrap size={4}>
                    <PaymentStatusTag status={o.payment_status} />
                    <Tag>{t(`fulfilmentStatus.${o.status}`)}</Tag>
                    {o.cancel_at && (
                      <Typography.Text type="secondary">
                        {t('orders.cancelAt', { at: dateTime(o.cancel_at, lang) })}
                      </Typography.Text>
                    )}
                  </Space>
                ),
              },
              { key: 'product', label: t('orders.product'), children: t(`products.${o.product}`) },
              { key: 'original', label: t('orders.originalTotal'), children: usd(o.original_usd, lang) },
              { key: 'discount', label: t('orders.discountTotal'), children: usd(o.discount_usd, lang) },
              { key: 'voucher', label: t('orders.voucherTotal'), children: usd(o.voucher_usd, lang) },
              {
                key: 'payable',
                label: t('orders.payableTotal'),
                children: <Typography.Text strong>{usd(o.total_usd, lang)}</Typography.Text>,
              },
              { key: 'paid', label: t('orders.paidTotal'), children: usd(o.paid_usd, lang) },
              ...(o.refunded_usd > 0
                ? [{ key: 'refunded', label: t('orders.refunded'), children: usd(o.refunded_usd, lang) }]
                : []),
            ]}
          />
        )}
      </Card>
      <Card title={t('orders.lineItems')} loading={!o} style={{ marginBottom: 16 }}>
        <Table<Row>
          rowKey="key"
          size="small"
          columns={columns}
          dataSource={rows}
          pagination={false}
          scroll={{ x: 'max-content' }}
        />
      </Card>
      {o?.events && o.events.length > 0 && (
        <Card title={t('orders.history')}>
          <Timeline
            items={o.events.map((ev, i) => ({
              key: i,
              content: (
                <>
                  <Typography.Text type="secondary">{dateTime(ev.at, lang)}</Typography.Text>{' '}
                  <Typography.Text type="secondary">
                    {t(ev.field === 'payment_status' ? 'orders.status' : 'orders.fulfilment')}:
                  </Typography.Text>{' '}
                  {ev.field === 'payment_status'
                    ? t(`paymentStatus.${ev.to}`, { defaultValue: ev.to })
                    : t(`fulfilmentStatus.${ev.to}`, { defaultValue: ev.to })}
                  <Typography.Text type="secondary"> — {ev.cause}</Typography.Text>
                </>
              ),
            }))}
          />
        </Card>
      )}
    </>
  );
}
