/**
 * Servers → Buy a server (SPEC §7, §10): spec cards with their monthly and hourly prices (from the
 * quote endpoint, never written in the page), prepaid for 1 or 12 months or postpaid hourly, the
 * order's quote with the checks that would refuse it (KYC, arrears, the balance threshold) in
 * words, then Place order → Confirm.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { Alert, App, Breadcrumb, Button, Card, Col, Descriptions, Form, Radio, Row, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiFailure, api, must } from '../../api/client.ts';
import { unitPrice, usd } from '../../format.ts';
import { useAccount } from '../dashboard.tsx';
import { ErrorAlert, QuoteChecks, SPECS, type Spec, usePlaceOrder } from './server-shared.tsx';

type Mode = 'prepaid' | 'postpaid';

function serverBody(spec: Spec, mode: Mode, months: 1 | 12) {
  return mode === 'prepaid'
    ? { product: 'server' as const, spec, payment_mode: mode, months }
    : { product: 'server' as const, spec, payment_mode: mode };
}

const quoteOf = (body: ReturnType<typeof serverBody>) => must(api.POST('/v1/orders/quote', { body }));

export default function BuyServerPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const navigate = useNavigate();
  const { message } = App.useApp();
  const account = useAccount();
  const [spec, setSpec] = useState<Spec>('s1.small');
  const [mode, setMode] = useState<Mode>('prepaid');
  const [months, setMonths] = useState<1 | 12>(1);
  const order = usePlaceOrder([['servers'], ['account'], ['orders']], (o) => {
    message.success(t('servers.placed', { id: o.id, server: String(o.details.server_id ?? '') }));
    navigate('/servers');
  });

  // the list prices of every spec: a month prepaid and an hour postpaid
  const prices = useQueries({
    queries: SPECS.flatMap((s) =>
      (['prepaid', 'postpaid'] as const).map((m) => ({
        queryKey: ['server-price', s, m],
        queryFn: () => quoteOf(serverBody(s, m, 1)),
        staleTime: 60_000,
      })),
    ),
  });
  const priceOf = (s: Spec, m: Mode) => prices[SPECS.indexOf(s) * 2 + (m === 'prepaid' ? 0 : 1)]?.data;

  const body = serverBody(spec, mode, months);
  const quote = useQuery({
    queryKey: ['quote', body],
    queryFn: () => quoteOf(body),
    retry: false,
  });

  const q = quote.data;
  const line = q?.line_items[0];
  const kycBlocked = account.data && account.data.kyc_status !== 'approved';
  const quoteError = quote.error instanceof ApiFailure ? quote.error.apiError : null;
  const canPlace = Boolean(q) && !quote.isFetching && q?.checks.length === 0 && !kycBlocked;
  return (
    <>
      <Breadcrumb
        style={{ marginBottom: 8 }}
        items={[{ title: <Link to="/servers">{t('servers.back')}</Link> }, { title: t('servers.buyTitle') }]}
      />
      <Typography.Title level={3}>{t('servers.buyTitle')}</Typography.Title>
      {kycBlocked && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('servers.kycNeeded')}
          action={<Link to="/kyc">{t('servers.kycLink')}</Link>}
        />
      )}
      <Form layout="vertical">
        <Form.Item label={t('servers.spec')}>
          <Radio.Group value={spec} onChange={(e) => setSpec(e.target.value)} style={{ width: '100%' }}>
            <Row gutter={[12, 12]}>
              {SPECS.map((s) => {
                const monthly = priceOf(s, 'prepaid')?.line_items[0]?.unit_price_usd;
                const hourly = priceOf(s, 'postpaid')?.line_items[0]?.unit_price_usd;
                return (
                  <Col xs={12} md={6} key={s}>
                    <Card size="small" hoverable onClick={() => setSpec(s)} data-testid={`spec-${s}`}>
                      <Radio value={s}>{s}</Radio>
                      <div>
                        <Typography.Text strong>
                          {monthly === undefined ? '…' : t('servers.perMonth', { price: usd(monthly, lang) })}
                        </Typography.Text>
                      </div>
                      <Typography.Text type="secondary">
                        {hourly === undefined
                          ? '…'
                          : t('servers.perHour', { price: unitPrice(hourly, lang) })}
                      </Typography.Text>
                    </Card>
                  </Col>
                );
              })}
            </Row>
          </Radio.Group>
        </Form.Item>
        <Form.Item label={t('servers.mode')}>
          <Radio.Group
            value={mode}
            onChange={(e) => setMode(e.target.value)}
            optionType="button"
            options={[
              { value: 'prepaid', label: t('servers.modes.prepaid') },
              { value: 'postpaid', label: t('servers.modes.postpaid') },
            ]}
          />
        </Form.Item>
        {mode === 'prepaid' ? (
          <Form.Item label={t('servers.months')}>
            <Radio.Group
              value={months}
              onChange={(e) => setMonths(e.target.value)}
              optionType="button"
              options={[
                { value: 1, label: t('servers.month1') },
                { value: 12, label: t('servers.month12') },
              ]}
            />
          </Form.Item>
        ) : (
          <Typography.Paragraph type="secondary">{t('servers.hourlyNote')}</Typography.Paragraph>
        )}
      </Form>
      <Card style={{ maxWidth: 480 }}>
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('servers.unitPrice')}>
            {line
              ? mode === 'prepaid'
                ? t('servers.perMonth', { price: usd(line.unit_price_usd, lang) })
                : t('servers.perHour', { price: unitPrice(line.unit_price_usd, lang) })
              : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('servers.discount')}>
            {q ? usd(q.discount_usd, lang) : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('servers.total')}>
            <Typography.Text strong data-testid="total">
              {q ? usd(q.total_usd, lang) : '—'}
            </Typography.Text>
          </Descriptions.Item>
          {q && q.total_usd > 0 && (
            <Descriptions.Item label={t('servers.fromBalance')}>
              {usd(q.payment.from_balance_usd, lang)}
            </Descriptions.Item>
          )}
          {q && q.payment.from_card_usd > 0 && (
            <Descriptions.Item label={t('servers.fromCard')}>
              {usd(q.payment.from_card_usd, lang)}
            </Descriptions.Item>
          )}
        </Descriptions>
        {q && q.payment.arrears_covered_usd > 0 && (
          <Typography.Paragraph type="warning" style={{ marginTop: 8 }}>
            {t('servers.arrearsCovered', { amount: usd(q.payment.arrears_covered_usd, lang) })}
          </Typography.Paragraph>
        )}
        <QuoteChecks checks={q?.checks ?? []} />
        <ErrorAlert error={quoteError} />
        <Button type="primary" style={{ marginTop: 12 }} disabled={!canPlace} onClick={order.open}>
          {t('servers.placeOrder')}
        </Button>
      </Card>
      <ErrorAlert error={order.failure} />
      {order.dialog(
        body,
        q &&
          (mode === 'prepaid'
            ? t('servers.confirmPrepaid', {
                spec,
                term: t(months === 1 ? 'servers.month1' : 'servers.month12'),
                total: usd(q.total_usd, lang),
              })
            : t('servers.confirmPostpaid', {
                spec,
                price: unitPrice(line?.unit_price_usd ?? 0, lang),
              })),
      )}
    </>
  );
}
