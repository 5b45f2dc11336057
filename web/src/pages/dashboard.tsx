/** Dashboard (SPEC §10): balance, traffic pools, orders waiting for payment with their deadline. */
import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, List, Row, Statistic, Tag, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiFailure, api, must } from '../api/client.ts';
import { dateTime, errorText, usd } from '../format.ts';

const DashboardCharts = lazy(() => import('./dashboard-charts.tsx'));

export function useAccount() {
  return useQuery({ queryKey: ['account'], queryFn: () => must(api.GET('/v1/account')) });
}

export default function DashboardPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const account = useAccount();
  const pending = useQuery({
    queryKey: ['orders', 'pending'],
    queryFn: () =>
      must(api.GET('/v1/orders', { params: { query: { payment_status: 'pending_payment', limit: 10 } } })),
  });
  const batches = useQuery({
    queryKey: ['isp-batches', 'dashboard'],
    queryFn: () => must(api.GET('/v1/isp/batches', { params: { query: { limit: 100 } } })),
  });
  // ready batches that expire within 7 days (the reminder window, SPEC §6)
  const soon = (batches.data?.data ?? []).filter(
    (b) =>
      b.status === 'ready' && b.expires_at && new Date(b.expires_at).getTime() - Date.now() < 7 * 86_400_000,
  );
  if (account.error) {
    const e =
      account.error instanceof ApiFailure ? account.error.apiError : { code: 'network_error', message: '' };
    return <Alert type="error" title={errorText(t, e)} />;
  }
  const a = account.data;
  return (
    <>
      <Typography.Title level={3}>{t('nav.dashboard')}</Typography.Title>
      {a && a.arrears_usd > 0 && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          style={{ marginBottom: 16 }}
          title={t('arrears.title', { amount: usd(a.arrears_usd, lang) })}
          description={t('arrears.body')}
          action={<Link to="/billing/payment-methods">{t('arrears.topUp')}</Link>}
        />
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={!a}>
            <Statistic title={t('dashboard.balance')} value={a ? usd(a.balance_usd, lang) : ''} />
            {a && a.arrears_usd > 0 && (
              <Typography.Text type="danger">
                {t('dashboard.arrears')}: {usd(a.arrears_usd, lang)}
              </Typography.Text>
            )}
          </Card>
        </Col>
        {(['residential', 'mobile'] as const).map((p) => (
          <Col xs={24} sm={12} lg={6} key={p}>
            <Card loading={!a}>
              <Statistic
                title={t('dashboard.pool', { product: t(`products.${p}`) })}
                value={a ? `${new Intl.NumberFormat(lang).format(a.pools[p]?.remaining_gb ?? 0)} GB` : ''}
              />
              <Link to={`/${p}/buy`}>{t('nav.buyTraffic')}</Link>
            </Card>
          </Col>
        ))}
        <Col xs={24} sm={12} lg={6}>
          <Card loading={!a}>
            <Statistic title={t('dashboard.kycStatus')} value={a ? t(`kycStatus.${a.kyc_status}`) : ''} />
          </Card>
        </Col>
      </Row>
      <Card title={t('dashboard.pendingOrders')} style={{ marginTop: 16 }} loading={pending.isPending}>
        <List
          dataSource={pending.data?.data ?? []}
          locale={{ emptyText: t('dashboard.none') }}
          renderItem={(o) => (
            <List.Item>
              <List.Item.Meta
                title={o.id}
                description={`${t(`products.${o.product}`)} · ${usd(o.total_usd, lang)}`}
              />
              {o.cancel_at && (
                <Tag color="orange">
                  {t('dashboard.cancelAt')}: {dateTime(o.cancel_at, lang)}
                </Tag>
              )}
            </List.Item>
          )}
        />
      </Card>
      <Card title={t('dashboard.expiringSoon')} style={{ marginTop: 16 }} loading={batches.isPending}>
        <List
          dataSource={soon}
          locale={{ emptyText: t('dashboard.none') }}
          renderItem={(b) => (
            <List.Item>
              <List.Item.Meta
                title={<Link to={`/isp/batches/${b.id}`}>{b.id}</Link>}
                description={`${b.quantity} × ${[b.country, b.city, b.asn].filter((x) => x !== null).join(' / ')}`}
              />
              <Tag color="red">{dateTime(b.expires_at, lang)}</Tag>
            </List.Item>
          )}
        />
      </Card>
      <Suspense fallback={null}>
        <DashboardCharts />
      </Suspense>
    </>
  );
}
