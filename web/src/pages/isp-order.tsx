/**
 * ISP → Order new IPs (下单新 IP; the console seed, SPEC §6 and §10): country, city (T1 markets
 * only), ASN with its premium, quantity 5–5,000, monthly or yearly (−10 %), subuser; the live
 * stock of the country per city and ASN with its prices (GET /v1/isp/inventory); the total from
 * the quote endpoint; when the request exceeds the stock, the choice between wait and substitute
 * before confirming; Place order → confirmation → Confirm; then the provisioning state, polled
 * until the batch is ready.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  InputNumber,
  Modal,
  Radio,
  Result,
  Row,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type ApiError, api, asApiError, must, type Schemas } from '../api/client.ts';
import { errorText, unitPrice, usd } from '../format.ts';
import { useDebounced } from '../use-debounced.ts';
import {
  checkError,
  countryName,
  type Offer,
  placeLabel,
  QTY_MAX,
  QTY_MIN,
  StatusTag,
  subuserLabel,
  useSubusers,
  validQuantity,
} from './isp-shared.tsx';

type Shortage = 'wait' | 'substitute';
type Quote = Schemas['OrderQuote'];

interface StockRow {
  key: string;
  city: string;
  asn: number;
  premium: boolean;
  available: number;
  price: number;
}

function stockRows(offer: Offer | undefined): StockRow[] {
  if (!offer) return [];
  return offer.asns.flatMap((a) =>
    a.cities.map((c) => ({
      key: `${c.city}/${a.asn}`,
      city: c.city,
      asn: a.asn,
      premium: a.premium,
      available: c.available,
      price: a.price_per_ip_usd,
    })),
  );
}

export default function IspOrderPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const [country, setCountry] = useState<string | null>(null);
  const [city, setCity] = useState<string | null>(null);
  const [asn, setAsn] = useState<number | null>(null);
  const [quantity, setQuantity] = useState<number | null>(10);
  const [months, setMonths] = useState<1 | 12>(1);
  const [subuser, setSubuser] = useState<string | null>(null);
  const [autoRenew, setAutoRenew] = useState(false);
  const [onShortage, setOnShortage] = useState<Shortage | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [placing, setPlacing] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [placedId, setPlacedId] = useState<string | null>(null);

  const countries = useQuery({
    queryKey: ['isp-inventory', 'countries'],
    queryFn: async () => {
      const v = await must(api.GET('/v1/isp/inventory'));
      return 'data' in v ? v.data : [v];
    },
  });
  // the first country with stock until the buyer picks one (the United States when it has stock)
  const chosenCountry =
    country ??
    countries.data?.find((c) => c.country === 'us')?.country ??
    countries.data?.[0]?.country ??
    null;
  const offer = useQuery({
    queryKey: ['isp-inventory', chosenCountry],
    enabled: chosenCountry !== null,
    queryFn: async () => {
      const v = await must(api.GET('/v1/isp/inventory', { params: { query: { country: chosenCountry! } } }));
      return 'data' in v ? v.data[0] : v;
    },
    refetchInterval: 30_000,
  });
  const subusers = useSubusers();
  const mainSubuser = subusers.data?.data.find((s) => s.is_main)?.id ?? null;
  const chosenSubuser = subuser ?? mainSubuser;

  const o = offer.data;
  const selectable = o?.city_selectable ?? false;
  const asnChoices = (o?.asns ?? []).filter((a) => !city || a.cities.some((c) => c.city === city));

  const body = {
    product: 'isp' as const,
    country: chosenCountry ?? '',
    ...(selectable && city ? { city } : {}),
    ...(asn !== null ? { asn } : {}),
    quantity: quantity ?? 0,
    months,
    ...(chosenSubuser ? { subuser: chosenSubuser } : {}),
    on_shortage: onShortage ?? ('fail' as const),
    ...(autoRenew ? { auto_renew: true } : {}),
  };
  const settled = useDebounced(body, 250);
  const stale = JSON.stringify(settled) !== JSON.stringify(body);
  const quote = useQuery({
    queryKey: ['isp-quote', settled],
    enabled: settled.country !== '' && validQuantity(settled.quantity),
    queryFn: async (): Promise<Quote> => {
      const { data, error, response } = await api.POST('/v1/orders/quote', { body: settled });
      if (!data) throw asApiError(error, response.status);
      return data;
    },
    retry: false,
  });

  const placed = useQuery({
    queryKey: ['orders', placedId],
    enabled: placedId !== null,
    queryFn: () => must(api.GET('/v1/orders/{id}', { params: { path: { id: placedId! } } })),
    refetchInterval: (q) => {
      const s = q.state.data?.status;
      return s === 'provisioning' || s === 'waiting_inventory' || s === undefined ? 2000 : false;
    },
  });

  function pickPlace(next: { country?: string; city?: string | null; asn?: number | null }) {
    if (next.country !== undefined) {
      setCountry(next.country);
      setCity(null);
      setAsn(null);
    }
    if (next.city !== undefined) {
      setCity(next.city);
      const still = (o?.asns ?? []).some((a) => a.asn === asn && a.cities.some((c) => c.city === next.city));
      if (next.city && !still) setAsn(null);
    }
    if (next.asn !== undefined) setAsn(next.asn);
    setOnShortage(null);
  }

  async function place() {
    setPlacing(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/orders', {
      body: settled,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setPlacing(false);
    setConfirming(false);
    if (!data) return setFailure(asApiError(error, response.status));
    setPlacedId(data.id);
    qc.setQueryData(['orders', data.id], data);
    await qc.invalidateQueries({ queryKey: ['account'] });
    await qc.invalidateQueries({ queryKey: ['isp-batches'] });
    await qc.invalidateQueries({ queryKey: ['isp-inventory'] });
  }

  if (placedId) {
    return (
      <>
        <Typography.Title level={3}>{t('isp.order.title')}</Typography.Title>
        <PlacedOrder
          order={placed.data}
          onMore={() => {
            setPlacedId(null);
            setOnShortage(null);
          }}
        />
      </>
    );
  }

  const q = quote.data;
  const line = q?.line_items[0];
  const quoteError = quote.error as ApiError | null;
  const stock = q?.stock;
  const short = Boolean(stock && q && stock.available < settled.quantity);
  const blocked = stock?.outcome === 'insufficient' && onShortage !== null;
  const otherChecks = (q?.checks ?? []).filter((c) => c.code !== 'insufficient_inventory');
  const qtyInvalid = quantity !== null && !validQuantity(quantity);
  const canPlace =
    validQuantity(quantity) &&
    !stale &&
    !quote.isFetching &&
    Boolean(q) &&
    !quoteError &&
    (!short || onShortage !== null) &&
    !blocked &&
    otherChecks.length === 0;
  const sub = stock?.substitution;
  const rows = stockRows(o);

  return (
    <>
      <Typography.Title level={3}>{t('isp.order.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('isp.order.intro')}</Typography.Paragraph>
      <Row gutter={[24, 16]}>
        <Col xs={24} lg={12}>
          <Form layout="vertical">
            <Form.Item label={t('isp.order.country')} htmlFor="isp-country">
              <Select
                id="isp-country"
                showSearch={{ optionFilterProp: 'label' }}
                loading={countries.isPending}
                value={chosenCountry ?? undefined}
                onChange={(v: string) => pickPlace({ country: v })}
                options={(countries.data ?? []).map((c) => ({
                  value: c.country,
                  label: `${countryName(c.country, lang)} (${c.country})`,
                }))}
              />
            </Form.Item>
            <Form.Item
              label={t('isp.order.city')}
              htmlFor="isp-city"
              help={o && !selectable ? t('isp.order.cityT1Only') : undefined}
            >
              <Select
                id="isp-city"
                disabled={!selectable}
                value={selectable ? (city ?? '') : ''}
                onChange={(v: string) => pickPlace({ city: v || null })}
                options={[
                  { value: '', label: t('isp.order.anyCity') },
                  ...(o?.cities ?? []).map((c) => ({ value: c.city, label: `${c.city} (${c.available})` })),
                ]}
              />
            </Form.Item>
            <Form.Item label={t('isp.order.asn')} htmlFor="isp-asn">
              <Select
                id="isp-asn"
                value={asn ?? 0}
                onChange={(v: number) => pickPlace({ asn: v || null })}
                options={[
                  { value: 0, label: t('isp.order.anyAsn') },
                  ...asnChoices.map((a) => ({
                    value: a.asn,
                    label: (
                      <Space size={4}>
                        {t('isp.order.asnOption', { asn: a.asn, price: unitPrice(a.price_per_ip_usd, lang) })}
                        {a.premium && <Tag color="purple">{t('isp.order.premium')}</Tag>}
                      </Space>
                    ),
                  })),
                ]}
              />
            </Form.Item>
            <Form.Item
              label={t('isp.order.quantity')}
              htmlFor="isp-quantity"
              validateStatus={qtyInvalid ? 'error' : undefined}
              help={qtyInvalid ? t('isp.order.quantityRange') : undefined}
            >
              <InputNumber
                id="isp-quantity"
                min={1}
                max={100_000}
                precision={0}
                value={quantity}
                onChange={(v) => setQuantity(v)}
                style={{ width: 200, maxWidth: '100%' }}
                placeholder={`${QTY_MIN}–${QTY_MAX}`}
              />
            </Form.Item>
            <Form.Item label={t('isp.order.cycle')}>
              <Radio.Group
                value={months}
                onChange={(e) => setMonths(e.target.value)}
                optionType="button"
                options={[
                  { value: 1, label: t('isp.order.monthly') },
                  { value: 12, label: t('isp.order.yearly') },
                ]}
              />
            </Form.Item>
            <Form.Item label={t('isp.order.subuser')} htmlFor="isp-subuser">
              <Select
                id="isp-subuser"
                loading={subusers.isPending}
                value={chosenSubuser ?? undefined}
                onChange={(v: string) => setSubuser(v)}
                options={(subusers.data?.data ?? [])
                  .filter((s) => s.status === 'active')
                  .map((s) => ({ value: s.id, label: subuserLabel(s, t) }))}
              />
            </Form.Item>
            <Form.Item label={t('isp.order.autoRenew')} help={t('isp.order.autoRenewHelp')}>
              <Switch checked={autoRenew} onChange={setAutoRenew} aria-label={t('isp.order.autoRenew')} />
            </Form.Item>
          </Form>
        </Col>
        <Col xs={24} lg={12}>
          <Card
            size="small"
            title={t('isp.order.stockTitle', {
              country: chosenCountry ? countryName(chosenCountry, lang) : '',
            })}
          >
            <Table<StockRow>
              size="small"
              data-testid="stock-table"
              loading={offer.isPending && chosenCountry !== null}
              pagination={false}
              rowKey="key"
              dataSource={rows}
              locale={{ emptyText: t('isp.order.stockEmpty') }}
              onRow={(r) => ({
                onClick: () => pickPlace({ ...(selectable ? { city: r.city } : {}), asn: r.asn }),
                style: {
                  cursor: 'pointer',
                  opacity: (!city || r.city === city) && (asn === null || r.asn === asn) ? 1 : 0.45,
                },
              })}
              columns={[
                { title: t('isp.order.stockCity'), dataIndex: 'city' },
                {
                  title: t('isp.order.stockAsn'),
                  dataIndex: 'asn',
                  render: (_, r) => (
                    <Space size={4} wrap>
                      {`AS${r.asn}`}
                      {r.premium && <Tag color="purple">{t('isp.order.premium')}</Tag>}
                    </Space>
                  ),
                },
                { title: t('isp.order.stockAvailable'), dataIndex: 'available', align: 'right' },
                {
                  title: t('isp.order.stockPrice'),
                  dataIndex: 'price',
                  align: 'right',
                  render: (p: number) => unitPrice(p, lang),
                },
              ]}
            />
          </Card>
          {short && stock && (
            <Alert
              type="warning"
              showIcon
              style={{ marginTop: 16 }}
              data-testid="shortage"
              title={t('isp.order.shortageTitle', { available: stock.available, quantity: settled.quantity })}
              description={
                <>
                  <Typography.Paragraph style={{ marginBottom: 8 }}>
                    {t('isp.order.shortageChoose')}
                  </Typography.Paragraph>
                  <Radio.Group
                    aria-label={t('isp.order.shortagePolicy')}
                    value={onShortage}
                    onChange={(e) => setOnShortage(e.target.value)}
                  >
                    <Space orientation="vertical">
                      <Radio value="wait">
                        <Typography.Text strong>{t('isp.order.wait')}</Typography.Text> —{' '}
                        {t('isp.order.waitHelp')}
                      </Radio>
                      <Radio value="substitute">
                        <Typography.Text strong>{t('isp.order.substitute')}</Typography.Text> —{' '}
                        {t('isp.order.substituteHelp')}
                      </Radio>
                    </Space>
                  </Radio.Group>
                  {onShortage === 'substitute' && sub && !stale && (
                    <Typography.Paragraph style={{ marginTop: 8, marginBottom: 0 }} strong>
                      {t('isp.order.substituteTo', {
                        city: sub.delivered.city,
                        asn: sub.delivered.asn,
                        distance:
                          sub.distance_km !== null && sub.distance_km > 0
                            ? t('isp.order.distance', { km: Math.round(sub.distance_km) })
                            : '',
                      })}
                    </Typography.Paragraph>
                  )}
                  {blocked && !stale && (
                    <Typography.Paragraph type="danger" style={{ marginTop: 8, marginBottom: 0 }}>
                      {t('isp.order.noSubstitute')}
                    </Typography.Paragraph>
                  )}
                </>
              }
            />
          )}

          <Card style={{ marginTop: 16 }}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('isp.order.unitPrice')}>
                {line ? t('isp.order.perIpMonth', { price: unitPrice(line.unit_price_usd, lang) }) : '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.order.original')}>
                {q ? usd(q.original_usd, lang) : '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.order.discount')}>
                {q ? usd(q.discount_usd, lang) : '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.order.total')}>
                <Typography.Text strong data-testid="total">
                  {q && !stale ? usd(q.total_usd, lang) : '—'}
                </Typography.Text>
              </Descriptions.Item>
            </Descriptions>
            {quoteError && <Alert type="error" showIcon title={errorText(t, quoteError)} />}
            {otherChecks.length > 0 && (
              <Alert
                type="error"
                showIcon
                title={t('isp.order.checks')}
                description={otherChecks.map((c) => <div key={c.code}>{errorText(t, checkError(c))}</div>)}
              />
            )}
            <Space style={{ marginTop: 12 }}>
              <Button type="primary" disabled={!canPlace} onClick={() => setConfirming(true)}>
                {t('isp.order.placeOrder')}
              </Button>
            </Space>
          </Card>
          {failure && <Alert type="error" showIcon style={{ marginTop: 16 }} title={errorText(t, failure)} />}
        </Col>
      </Row>
      <Modal
        open={confirming}
        title={t('isp.order.confirmTitle')}
        okText={t('isp.order.confirm')}
        cancelText={t('isp.order.cancel')}
        confirmLoading={placing}
        onOk={place}
        onCancel={() => setConfirming(false)}
      >
        {q && (
          <>
            <Typography.Paragraph>
              {t('isp.order.confirmBody', {
                quantity: settled.quantity,
                place: placeLabel(lang, {
                  country: settled.country,
                  city: settled.city ?? null,
                  asn: settled.asn ?? null,
                }),
                months: settled.months,
                total: usd(q.total_usd, lang),
              })}
            </Typography.Paragraph>
            {short && onShortage === 'wait' && (
              <Typography.Paragraph>{t('isp.order.waitHelp')}</Typography.Paragraph>
            )}
            {short && onShortage === 'substitute' && sub && (
              <Typography.Paragraph>
                {t('isp.order.substituteTo', {
                  city: sub.delivered.city,
                  asn: sub.delivered.asn,
                  distance: '',
                })}
              </Typography.Paragraph>
            )}
            <Typography.Text type="secondary">{t('isp.order.confirmPaid')}</Typography.Text>
          </>
        )}
      </Modal>
    </>
  );
}

/** After Confirm: the order's provisioning state, polled until the batch is ready. */
function PlacedOrder({ order, onMore }: { order: Schemas['Order'] | undefined; onMore: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  if (!order) return <Spin />;
  const batchId = typeof order.details.batch_id === 'string' ? order.details.batch_id : null;
  const subst = order.details.substitution as { delivered?: { city: string; asn: number } } | undefined;
  const placedLine = (
    <Typography.Paragraph data-testid="placed">
      {t('isp.order.placed', { id: order.id, total: usd(order.total_usd, lang) })}{' '}
      <StatusTag status={order.status} />
    </Typography.Paragraph>
  );
  const actions = [
    batchId && (
      <Link key="batch" to={`/isp/batches/${batchId}`}>
        <Button type={order.status === 'completed' ? 'primary' : 'default'}>
          {t('isp.order.viewBatch')}
        </Button>
      </Link>
    ),
    <Button key="more" onClick={onMore}>
      {t('isp.order.orderMore')}
    </Button>,
  ];
  const substituted = subst?.delivered && (
    <Typography.Paragraph>
      {t('isp.order.substituted', { city: subst.delivered.city, asn: subst.delivered.asn })}
    </Typography.Paragraph>
  );
  if (order.status === 'provisioning') {
    return (
      <Result
        icon={<Spin size="large" />}
        title={t('isp.order.provisioningTitle')}
        subTitle={t('isp.order.provisioningBody')}
        extra={actions}
      >
        {placedLine}
        {substituted}
      </Result>
    );
  }
  if (order.status === 'waiting_inventory') {
    return (
      <Result
        status="info"
        title={t('isp.order.waitingTitle')}
        subTitle={t('isp.order.waitingBody')}
        extra={actions}
      >
        {placedLine}
      </Result>
    );
  }
  if (order.status === 'completed') {
    return (
      <Result
        status="success"
        title={t('isp.order.readyTitle')}
        subTitle={t('isp.order.readyBody', { id: batchId ?? '' })}
        extra={actions}
      >
        {placedLine}
        {substituted}
      </Result>
    );
  }
  return (
    <Result
      status="warning"
      title={t('isp.order.failedTitle', { status: t(`isp.status.${order.status}`) })}
      extra={actions}
    >
      {placedLine}
    </Result>
  );
}
