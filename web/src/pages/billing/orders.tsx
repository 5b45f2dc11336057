/**
 * Billing → Orders (订单; SPEC §8, the billing-center seed): filters by order id, creation date
 * range (default: the last month), product, type and status; the columns order id, product, type,
 * created, updated, status, original price, payable; pay and cancel on pending orders, with the
 * time they are cancelled automatically if left unpaid. Cursor pages (starting_after).
 */
import { useQuery } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  DatePicker,
  Form,
  Grid,
  Input,
  List,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiFailure, api, must, type Schemas } from '../../api/client.ts';
import { CursorPager, useCursorPages } from '../../cursor-pages.tsx';
import { dateTime, errorText, usd } from '../../format.ts';
import { canCancel, canPay, OrderActions } from './order-actions.tsx';

type Order = Schemas['Order'];
export const PRODUCTS = ['residential', 'mobile', 'isp', 'server', 'reserved_instance'] as const;
export const ORDER_TYPES = [
  'new',
  'trial',
  'convert',
  'renew',
  'change',
  'unsubscribe',
  'ri_adjust',
  'temp_upgrade',
] as const;
export const PAYMENT_STATUSES = [
  'pending_payment',
  'paid',
  'cancelled',
  'refunded',
  'partially_refunded',
  'refunding',
  'refund_failed',
] as const;

const STATUS_COLORS: Record<string, string> = {
  pending_payment: 'orange',
  paid: 'green',
  cancelled: 'default',
  refunded: 'blue',
  partially_refunded: 'cyan',
  refunding: 'processing',
  refund_failed: 'red',
};

export function PaymentStatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return <Tag color={STATUS_COLORS[status] ?? 'default'}>{t(`paymentStatus.${status}`)}</Tag>;
}

interface Filters {
  id?: string;
  range?: [Dayjs, Dayjs] | null;
  product?: (typeof PRODUCTS)[number];
  type?: (typeof ORDER_TYPES)[number];
  payment_status?: (typeof PAYMENT_STATUSES)[number];
}

/** A compact date and time for the table's columns (5/28/26, 10:00 AM · 2026/5/28 10:00). */
export function shortDateTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
}

const lastMonth = (): [Dayjs, Dayjs] => [dayjs().subtract(1, 'month'), dayjs()];
const PAGE = 20;

export default function OrdersPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const phone = !Grid.useBreakpoint().md;
  const [form] = Form.useForm<Filters>();
  const [filters, setFilters] = useState<Filters>({ range: lastMonth() });
  // the cursors of the pages before this one (starting_after of each page)
  const pages = useCursorPages();
  const cursor = pages.cursor;

  const query = {
    limit: PAGE,
    ...(cursor ? { starting_after: cursor } : {}),
    ...(filters.id?.trim() ? { id: filters.id.trim() } : {}),
    ...(filters.range?.[0] ? { created_from: filters.range[0].format('YYYY-MM-DD') } : {}),
    ...(filters.range?.[1] ? { created_to: filters.range[1].format('YYYY-MM-DD') } : {}),
    ...(filters.product ? { product: filters.product } : {}),
    ...(filters.type ? { type: filters.type } : {}),
    ...(filters.payment_status ? { payment_status: filters.payment_status } : {}),
  };
  const orders = useQuery({
    queryKey: ['orders', 'list', query],
    queryFn: () => must(api.GET('/v1/orders', { params: { query } })),
  });

  const columns = [
    {
      title: t('orders.id'),
      dataIndex: 'id',
      key: 'id',
      render: (id: string) => (
        <Link to={`/billing/orders/${id}`} style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
          {id}
        </Link>
      ),
    },
    { title: t('orders.product'), key: 'product', render: (o: Order) => t(`products.${o.product}`) },
    { title: t('orders.type'), key: 'type', render: (o: Order) => t(`orderTypes.${o.type}`) },
    { title: t('orders.created'), key: 'created', render: (o: Order) => shortDateTime(o.created_at, lang) },
    { title: t('orders.updated'), key: 'updated', render: (o: Order) => shortDateTime(o.updated_at, lang) },
    {
      title: t('orders.status'),
      key: 'status',
      render: (o: Order) => (
        <Space orientation="vertical" size={2}>
          <PaymentStatusTag status={o.payment_status} />
          {o.cancel_at && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('orders.autoCancel', { at: shortDateTime(o.cancel_at, lang) })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('orders.original'),
      key: 'original',
      align: 'right' as const,
      render: (o: Order) => usd(o.original_usd, lang),
    },
    {
      title: t('orders.payable'),
      key: 'payable',
      align: 'right' as const,
      render: (o: Order) => usd(o.total_usd, lang),
    },
    {
      title: t('orders.actions'),
      key: 'actions',
      fixed: 'right' as const,
      render: (o: Order) => <OrderActions order={o} size="small" />,
    },
  ];

  const error = orders.error instanceof ApiFailure ? orders.error.apiError : null;
  const data = orders.data;
  return (
    <>
      <Typography.Title level={3}>{t('orders.title')}</Typography.Title>
      <Form
        form={form}
        layout="vertical"
        initialValues={{ range: filters.range }}
        onFinish={(v) => {
          pages.reset();
          setFilters(v);
        }}
      >
        <Row gutter={12}>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item name="id" label={t('orders.id')}>
              <Input allowClear placeholder="ord_…" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item name="range" label={t('orders.createdRange')}>
              <DatePicker.RangePicker style={{ width: '100%' }} allowEmpty={[true, true]} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8} lg={4}>
            <Form.Item name="product" label={t('orders.product')}>
              <Select
                allowClear
                placeholder={t('orders.any')}
                options={PRODUCTS.map((p) => ({ value: p, label: t(`products.${p}`) }))}
              />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8} lg={4}>
            <Form.Item name="type" label={t('orders.type')}>
              <Select
                allowClear
                placeholder={t('orders.any')}
                options={ORDER_TYPES.map((p) => ({ value: p, label: t(`orderTypes.${p}`) }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8} lg={4}>
            <Form.Item name="payment_status" label={t('orders.status')}>
              <Select
                allowClear
                placeholder={t('orders.any')}
                options={PAYMENT_STATUSES.map((p) => ({ value: p, label: t(`paymentStatus.${p}`) }))}
              />
            </Form.Item>
          </Col>
        </Row>
        <Space style={{ marginBottom: 16 }}>
          <Button type="primary" htmlType="submit">
            {t('orders.search')}
          </Button>
          <Button
            onClick={() => {
              const initial = { range: lastMonth() };
              form.setFieldsValue({
                id: undefined,
                product: undefined,
                type: undefined,
                payment_status: undefined,
                ...initial,
              });
              pages.reset();
              setFilters(initial);
            }}
          >
            {t('orders.reset')}
          </Button>
        </Space>
      </Form>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      {phone ? (
        <List<Order>
          loading={orders.isPending}
          dataSource={data?.data ?? []}
          locale={{ emptyText: t('orders.empty') }}
          renderItem={(o) => (
            <Card size="small" style={{ marginBottom: 12 }} data-testid="order-card">
              <Link
                to={`/billing/orders/${o.id}`}
                style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}
              >
                {o.id}
              </Link>
              <div>
                {t(`products.${o.product}`)} · {t(`orderTypes.${o.type}`)}
              </div>
              <Space wrap size={4} style={{ margin: '4px 0' }}>
                <PaymentStatusTag status={o.payment_status} />
                <Typography.Text type="secondary">{shortDateTime(o.created_at, lang)}</Typography.Text>
              </Space>
              <div>
                {t('orders.original')}: {usd(o.original_usd, lang)} · {t('orders.payable')}:{' '}
                <Typography.Text strong>{usd(o.total_usd, lang)}</Typography.Text>
              </div>
              {o.cancel_at && (
                <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                  {t('orders.cancelAt', { at: dateTime(o.cancel_at, lang) })}
                </Typography.Text>
              )}
              {(canPay(o) || canCancel(o)) && (
                <div style={{ marginTop: 8 }}>
                  <OrderActions order={o} size="small" />
                </div>
              )}
            </Card>
          )}
        />
      ) : (
        <Table<Order>
          rowKey="id"
          size="small"
          loading={orders.isPending}
          columns={columns}
          dataSource={data?.data ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('orders.empty') }}
        />
      )}
      <CursorPager pages={pages} page={data} />
    </>
  );
}
