/**
 * Servers → Coupons (预留实例券; SPEC §7): the account's reserved-instance coupons (spec, count,
 * years, value, valid until, status), buying one (spec, count, 1 or 3 years, the quoted price,
 * Place order → Confirm), and adjusting them: pick the source coupons, enter the targets, and the
 * dry run shows each target's apportioned value before Confirm (a compute-power mismatch in words).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Descriptions,
  Form,
  Grid,
  InputNumber,
  List,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, ApiFailure, api, asApiError, must, type Schemas } from '../../api/client.ts';
import { CursorPager, useCursorPages } from '../../cursor-pages.tsx';
import { dateTime, usd } from '../../format.ts';
import { useDebounced } from '../../use-debounced.ts';
import {
  type Coupon,
  ErrorAlert,
  QuoteChecks,
  refresh,
  SPECS,
  type Spec,
  StateTag,
  usePlaceOrder,
} from './server-shared.tsx';

type Adjustment = Schemas['ReservedInstanceAdjustment'];
interface Target {
  key: number;
  spec: Spec;
  count: number | null;
}

const PAGE = 20;
const COUNT_MAX = 1000;
const validCount = (n: number | null | undefined, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;

export default function CouponsPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const pages = useCursorPages();
  const phone = !Grid.useBreakpoint().md;
  const [selected, setSelected] = useState<Coupon[]>([]);
  const [adjusting, setAdjusting] = useState(false);
  const query = { limit: PAGE, ...(pages.cursor ? { starting_after: pages.cursor } : {}) };
  const coupons = useQuery({
    queryKey: ['coupons', query],
    queryFn: () => must(api.GET('/v1/reserved-instances', { params: { query } })),
  });
  const columns = [
    {
      title: t('coupons.id'),
      dataIndex: 'id',
      key: 'id',
      render: (id: string) => <span style={{ fontFamily: 'monospace' }}>{id}</span>,
    },
    { title: t('coupons.spec'), dataIndex: 'spec', key: 'spec' },
    { title: t('coupons.count'), dataIndex: 'count', key: 'count', align: 'right' as const },
    {
      title: t('coupons.years'),
      key: 'years',
      render: (c: Coupon) => t('coupons.yearsN', { count: c.years }),
    },
    { title: t('coupons.computePower'), dataIndex: 'compute_power', key: 'cp', align: 'right' as const },
    {
      title: t('coupons.value'),
      key: 'value',
      align: 'right' as const,
      render: (c: Coupon) => usd(c.value_usd, lang),
    },
    { title: t('coupons.validUntil'), key: 'until', render: (c: Coupon) => dateTime(c.ends_at, lang) },
    {
      title: t('coupons.status'),
      key: 'status',
      render: (c: Coupon) => <StateTag scope="coupons" status={c.status} />,
    },
  ];
  const error = coupons.error instanceof ApiFailure ? coupons.error.apiError : null;
  return (
    <>
      <Typography.Title level={3}>{t('coupons.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('coupons.intro')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Button type="primary" disabled={selected.length === 0} onClick={() => setAdjusting(true)}>
          {t('coupons.adjust')}
        </Button>
        <Typography.Text type="secondary">{t('coupons.adjustHint')}</Typography.Text>
      </Space>
      <ErrorAlert error={error} />
      {phone ? (
        <List<Coupon>
          loading={coupons.isPending}
          dataSource={coupons.data?.data ?? []}
          locale={{ emptyText: t('coupons.empty') }}
          renderItem={(c) => (
            <Card size="small" style={{ marginBottom: 12 }} data-testid="coupon-card">
              <Checkbox
                disabled={c.status !== 'active'}
                checked={selected.some((x) => x.id === c.id)}
                onChange={(e) =>
                  setSelected((xs) => (e.target.checked ? [...xs, c] : xs.filter((x) => x.id !== c.id)))
                }
              >
                <span style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>{c.id}</span>
              </Checkbox>
              <Space wrap size={4} style={{ margin: '4px 0', display: 'flex' }}>
                <Typography.Text strong>
                  {c.spec} × {c.count}
                </Typography.Text>
                <Typography.Text type="secondary">{t('servers.cp', { n: c.compute_power })}</Typography.Text>
                <StateTag scope="coupons" status={c.status} />
              </Space>
              <div>
                {t('coupons.value')}: <Typography.Text strong>{usd(c.value_usd, lang)}</Typography.Text> ·{' '}
                {t('coupons.yearsN', { count: c.years })}
              </div>
              <Typography.Text type="secondary">
                {t('coupons.validUntil')}: {dateTime(c.ends_at, lang)}
              </Typography.Text>
            </Card>
          )}
        />
      ) : (
        <Table<Coupon>
          rowKey="id"
          size="small"
          loading={coupons.isPending}
          columns={columns}
          dataSource={coupons.data?.data ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('coupons.empty') }}
          rowSelection={{
            selectedRowKeys: selected.map((c) => c.id),
            onChange: (_keys, rows) => setSelected(rows),
            getCheckboxProps: (c) => ({ disabled: c.status !== 'active', name: c.id }),
          }}
        />
      )}
      <CursorPager pages={pages} page={coupons.data} />
      <BuyCoupon />
      {adjusting && (
        <AdjustDialog
          sources={selected}
          onClose={(done) => {
            setAdjusting(false);
            if (done) setSelected([]);
          }}
        />
      )}
    </>
  );
}

/** Buy a coupon: spec, count, 1 or 3 years, the quote, Place order → Confirm. */
function BuyCoupon() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { message } = App.useApp();
  const [spec, setSpec] = useState<Spec>('s1.small');
  const [count, setCount] = useState<number | null>(1);
  const [years, setYears] = useState<1 | 3>(1);
  const order = usePlaceOrder([['coupons'], ['account'], ['orders'], ['quote']], (o) =>
    message.success(t('coupons.placed', { id: o.id, coupon: String(o.details.reserved_instance_id ?? '') })),
  );
  const settled = useDebounced({ spec, count, years }, 250);
  const body = {
    product: 'reserved_instance' as const,
    spec: settled.spec,
    count: settled.count ?? 0,
    years,
  };
  const quote = useQuery({
    queryKey: ['quote', body],
    enabled: validCount(settled.count, COUNT_MAX),
    queryFn: () => must(api.POST('/v1/orders/quote', { body })),
    retry: false,
  });

  const q = quote.data;
  const stale = settled.spec !== spec || settled.count !== count;
  const quoteError = quote.error instanceof ApiFailure ? quote.error.apiError : null;
  const canPlace = Boolean(q) && !stale && !quote.isFetching && q?.checks.length === 0;
  return (
    <Card title={t('coupons.buyTitle')} style={{ marginTop: 24, maxWidth: 720 }}>
      <Form layout="vertical">
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item label={t('coupons.spec')} htmlFor="coupon-spec">
              <Select<Spec>
                id="coupon-spec"
                value={spec}
                onChange={setSpec}
                options={SPECS.map((s) => ({ value: s, label: s }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item
              label={t('coupons.count')}
              htmlFor="coupon-count"
              validateStatus={count !== null && !validCount(count, COUNT_MAX) ? 'error' : undefined}
            >
              <InputNumber
                id="coupon-count"
                min={1}
                max={COUNT_MAX}
                precision={0}
                value={count}
                onChange={setCount}
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item label={t('coupons.years')}>
              <Radio.Group
                value={years}
                onChange={(e) => setYears(e.target.value)}
                optionType="button"
                options={[
                  { value: 1, label: t('coupons.yearsN', { count: 1 }) },
                  { value: 3, label: t('coupons.yearsN', { count: 3 }) },
                ]}
              />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t('coupons.price')}>
          {q?.line_items[0]
            ? t('coupons.perInstance', { price: usd(q.line_items[0].unit_price_usd, lang) })
            : '—'}
        </Descriptions.Item>
        <Descriptions.Item label={t('coupons.computePower')}>
          {typeof q?.details.compute_power === 'number' ? q.details.compute_power : '—'}
        </Descriptions.Item>
        <Descriptions.Item label={t('servers.total')}>
          <Typography.Text strong data-testid="coupon-total">
            {q ? usd(q.total_usd, lang) : '—'}
          </Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      <QuoteChecks checks={q?.checks ?? []} />
      <ErrorAlert error={quoteError ?? order.failure} />
      <Button type="primary" style={{ marginTop: 12 }} disabled={!canPlace} onClick={order.open}>
        {t('coupons.placeOrder')}
      </Button>
      {order.dialog(
        body,
        q &&
          t('coupons.confirmBody', {
            count,
            spec,
            years: t('coupons.yearsN', { count: years }),
            total: usd(q.total_usd, lang),
          }),
      )}
    </Card>
  );
}

/** The adjustment's error in words; a compute-power mismatch with both totals. */
function adjustErrorText(e: ApiError, t: ReturnType<typeof useTranslation>['t']): string | null {
  if (e.code !== 'compute_power_mismatch') return null;
  const sources = e.source_compute_power;
  const targets = e.target_compute_power;
  if (typeof sources !== 'number' || typeof targets !== 'number') return null;
  return t('coupons.mismatch', { sources, targets });
}

/** Adjust coupons: the sources, the targets (spec + count), the dry run's values, then Confirm. */
function AdjustDialog({ sources, onClose }: { sources: Coupon[]; onClose: (done: boolean) => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const first = sources[0];
  const [targets, setTargets] = useState<Target[]>([
    { key: 0, spec: first?.spec ?? 's1.small', count: sources.reduce((n, c) => n + c.count, 0) },
  ]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const sourceIds = sources.map((c) => c.id);
  const settled = useDebounced(targets, 250);
  const valid = settled.every((x) => validCount(x.count, 100_000));
  const body = {
    sources: sourceIds,
    targets: settled.map((x) => ({ spec: x.spec, count: x.count ?? 0 })),
  };
  const dryRun = useQuery({
    queryKey: ['coupon-adjust', body],
    enabled: valid,
    queryFn: () => must(api.POST('/v1/reserved-instances/adjust', { body: { ...body, dry_run: true } })),
    retry: false,
    gcTime: 0,
  });
  const stale = JSON.stringify(settled) !== JSON.stringify(targets);

  async function confirm() {
    setBusy(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/reserved-instances/adjust', {
      body,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    if (!data) return setFailure(asApiError(error, response.status));
    message.success(t('coupons.adjusted', { ids: data.targets.map((x) => x.id).join(', ') }));
    onClose(true);
    await refresh(qc, [['coupons'], ['orders']]);
  }

  const setTarget = (key: number, patch: Partial<Target>) =>
    setTargets((xs) => xs.map((x) => (x.key === key ? { ...x, ...patch } : x)));
  const a: Adjustment | undefined = stale ? undefined : dryRun.data;
  const dryError = dryRun.error instanceof ApiFailure ? dryRun.error.apiError : null;
  const shownError = dryError ?? failure;
  const mismatch = shownError ? adjustErrorText(shownError, t) : null;
  return (
    <Modal
      open
      width={760}
      title={t('coupons.adjustTitle')}
      okText={t('coupons.confirm')}
      cancelText={t('coupons.cancel')}
      okButtonProps={{ disabled: !a || dryRun.isFetching }}
      confirmLoading={busy}
      onOk={confirm}
      onCancel={() => onClose(false)}
    >
      <Typography.Title level={5}>{t('coupons.sources')}</Typography.Title>
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={sources.map((c) => ({
          ...c,
          remaining: a?.sources.find((s) => s.id === c.id)?.remaining_value_usd,
        }))}
        columns={[
          { title: t('coupons.id'), dataIndex: 'id', key: 'id' },
          { title: t('coupons.spec'), key: 'spec', render: (c: Coupon) => `${c.spec} × ${c.count}` },
          {
            title: t('coupons.computePower'),
            dataIndex: 'compute_power',
            key: 'cp',
            align: 'right' as const,
          },
          {
            title: t('coupons.remainingValue'),
            key: 'remaining',
            align: 'right' as const,
            render: (c: { remaining?: number }) => (c.remaining === undefined ? '—' : usd(c.remaining, lang)),
          },
        ]}
      />
      <Typography.Text type="secondary">
        {t('coupons.sourcePower', { n: sources.reduce((n, c) => n + c.compute_power, 0) })}
      </Typography.Text>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('coupons.targets')}
      </Typography.Title>
      {targets.map((x, i) => {
        const shown = a?.targets[i];
        return (
          <Space key={x.key} wrap style={{ marginBottom: 8 }} data-testid="target">
            <Select<Spec>
              aria-label={t('coupons.spec')}
              value={x.spec}
              onChange={(spec) => setTarget(x.key, { spec })}
              options={SPECS.map((s) => ({ value: s, label: s }))}
              style={{ width: 130 }}
            />
            <InputNumber
              aria-label={t('coupons.count')}
              min={1}
              max={100_000}
              precision={0}
              value={x.count}
              onChange={(count) => setTarget(x.key, { count })}
            />
            <Typography.Text data-testid="target-value">
              {t('coupons.apportioned')}: <b>{shown ? usd(shown.value_usd, lang) : '—'}</b>
            </Typography.Text>
            {targets.length > 1 && (
              <Button size="small" onClick={() => setTargets((xs) => xs.filter((y) => y.key !== x.key))}>
                {t('coupons.remove')}
              </Button>
            )}
          </Space>
        );
      })}
      <div>
        <Button
          size="small"
          onClick={() =>
            setTargets((xs) => [
              ...xs,
              { key: Math.max(...xs.map((y) => y.key)) + 1, spec: 's1.small', count: 1 },
            ])
          }
        >
          {t('coupons.addTarget')}
        </Button>
      </div>
      {a && (
        <Alert
          type="info"
          style={{ marginTop: 12 }}
          title={t('coupons.totalValue', { amount: usd(a.total_value_usd, lang) })}
          description={t('coupons.targetPower', { n: a.compute_power })}
        />
      )}
      {mismatch ? (
        <Alert type="error" showIcon style={{ marginTop: 12 }} title={mismatch} />
      ) : (
        <ErrorAlert error={shownError} />
      )}
    </Modal>
  );
}
