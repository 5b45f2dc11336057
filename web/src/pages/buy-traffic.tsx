/**
 * Residential / Mobile → Buy traffic (the console seed, SPEC §10): plan cards with their unit
 * prices from the price book, a GB field, the unit and total price live from the quote endpoint,
 * Place order → a confirmation dialog → Confirm, then the order.
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
  Row,
  Space,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { type ApiError, api, asApiError, must } from '../api/client.ts';
import { errorText, unitPrice, usd } from '../format.ts';
import { useDebounced } from '../use-debounced.ts';
import { AutoTopUpCard } from './auto-top-up.tsx';
import { useAccount } from './dashboard.tsx';

type Product = 'residential' | 'mobile';
type Plan = 'payg' | 'starter' | 'pro' | 'business' | 'enterprise';

export function validGb(gb: number | null | undefined): gb is number {
  return typeof gb === 'number' && Number.isInteger(gb) && gb >= 1 && gb <= 100_000;
}

export default function BuyTrafficPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const product = (useParams().product === 'mobile' ? 'mobile' : 'residential') as Product;
  const qc = useQueryClient();
  const account = useAccount();
  const [plan, setPlan] = useState<Plan | 'auto'>('auto');
  const [gb, setGb] = useState<number | null>(50);
  const [confirming, setConfirming] = useState(false);
  const [placing, setPlacing] = useState(false);
  const [placed, setPlaced] = useState<{ id: string; total: number } | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  const plans = useQuery({
    queryKey: ['prices', product],
    queryFn: () => must(api.GET('/v1/prices', { params: { query: { product } } })),
  });
  const settledGb = useDebounced(gb, 250);
  const body = {
    product,
    gb: settledGb ?? 0,
    ...(plan !== 'auto' ? { plan } : {}),
  };
  const quote = useQuery({
    queryKey: ['quote', body],
    enabled: validGb(settledGb),
    queryFn: async () => {
      const { data, error, response } = await api.POST('/v1/orders/quote', { body });
      if (!data) throw asApiError(error, response.status);
      return data;
    },
    retry: false,
  });

  async function place() {
    if (!validGb(gb)) return;
    setPlacing(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/orders', {
      body: { product, gb, ...(plan !== 'auto' ? { plan } : {}) },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setPlacing(false);
    setConfirming(false);
    if (!data) return setFailure(asApiError(error, response.status));
    setPlaced({ id: data.id, total: data.total_usd });
    await qc.invalidateQueries({ queryKey: ['account'] });
    await qc.invalidateQueries({ queryKey: ['orders'] });
  }

  const q = quote.data;
  const line = q?.line_items[0];
  const kycBlocked = product === 'mobile' && account.data && account.data.kyc_status !== 'approved';
  const quoteError = quote.error as ApiError | null;
  return (
    <>
      <Typography.Title level={3}>{t('buy.title', { product: t(`products.${product}`) })}</Typography.Title>
      {kycBlocked && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('buy.kycNeeded')}
          action={<Link to="/kyc">{t('buy.kycLink')}</Link>}
        />
      )}
      <Typography.Paragraph type="secondary">{t('buy.sharedPool')}</Typography.Paragraph>
      <Form layout="vertical">
        <Form.Item label={t('buy.plan')}>
          <Radio.Group value={plan} onChange={(e) => setPlan(e.target.value)} style={{ width: '100%' }}>
            <Row gutter={[12, 12]}>
              {(plans.data?.data ?? []).map((p) => (
                <Col xs={12} md={8} lg={4} key={p.plan}>
                  <Card size="small" hoverable onClick={() => setPlan(p.plan)}>
                    <Radio value={p.plan}>
                      {p.plan === 'payg' ? t('buy.payg') : p.plan[0]!.toUpperCase() + p.plan.slice(1)}
                    </Radio>
                    <div>
                      <Typography.Text strong>
                        {t('buy.perGb', { price: unitPrice(p.unit_price_usd, lang) })}
                      </Typography.Text>
                    </div>
                    <Typography.Text type="secondary">{t('buy.minimum', { gb: p.min_gb })}</Typography.Text>
                  </Card>
                </Col>
              ))}
            </Row>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          label={t('buy.gb')}
          htmlFor="gb"
          validateStatus={gb !== null && !validGb(gb) ? 'error' : undefined}
          help={gb !== null && !validGb(gb) ? t('buy.gbRange') : undefined}
        >
          <InputNumber
            id="gb"
            min={1}
            max={100000}
            precision={0}
            value={gb}
            onChange={(v) => setGb(v)}
            style={{ width: 200 }}
          />
        </Form.Item>
      </Form>
      <Card style={{ maxWidth: 480 }}>
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('buy.unitPrice')}>
            {line ? unitPrice(line.unit_price_usd, lang) : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('buy.discount')}>
            {q ? usd(q.discount_usd, lang) : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('buy.total')}>
            <Typography.Text strong data-testid="total">
              {q ? usd(q.total_usd, lang) : '—'}
            </Typography.Text>
          </Descriptions.Item>
        </Descriptions>
        {quoteError && <Alert type="error" showIcon title={errorText(t, quoteError)} />}
        <Space style={{ marginTop: 12 }}>
          <Button
            type="primary"
            disabled={!q || !validGb(gb) || Boolean(kycBlocked)}
            onClick={() => setConfirming(true)}
          >
            {t('buy.placeOrder')}
          </Button>
        </Space>
      </Card>
      {failure && <Alert type="error" showIcon style={{ marginTop: 16 }} title={errorText(t, failure)} />}
      {placed && (
        <Alert
          type="success"
          showIcon
          style={{ marginTop: 16 }}
          title={t('buy.placed', { id: placed.id, total: usd(placed.total, lang) })}
        />
      )}
      <Modal
        open={confirming}
        title={t('buy.confirmTitle')}
        okText={t('buy.confirm')}
        cancelText={t('buy.cancel')}
        confirmLoading={placing}
        onOk={place}
        onCancel={() => setConfirming(false)}
      >
        {q && t('buy.confirmBody', { gb, product: t(`products.${product}`), total: usd(q.total_usd, lang) })}
      </Modal>
      <AutoTopUpCard product={product} />
    </>
  );
}
