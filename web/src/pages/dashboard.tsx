/** Dashboard (SPEC §10): balance, traffic pools, orders waiting for payment with their deadline. */
import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, List, Row, Statistic, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiFailure, api, must } from '../api/client.ts';
import { dateTime, errorText, usd } from '../format.ts';

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
  if (account.error) {
    const e =
      account.error instanceof ApiFailure ? account.error.apiError : { code: 'network_error', message: '' };
    return <Alert type="error" title={errorText(t, e)} />;
  }
  const a = account.data;
  return (
    <>
      <Typography.Title level={3}>{t('nav.dashboard')}</Typography.Title>
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
    </>
  );
}
