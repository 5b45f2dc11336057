/**
 * Servers (服务器; SPEC §7, §10): the account's servers with their spec, compute power, payment
 * mode, status and period, and per server change spec / renew / unsubscribe (each with its dry
 * run first). Buy a server is its own page.
 */
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Grid, List, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { ApiFailure, api, must } from '../../api/client.ts';
import { CursorPager, useCursorPages } from '../../cursor-pages.tsx';
import { dateTime, usd } from '../../format.ts';
import { hasActions, ServerActions } from './server-actions.tsx';
import { ErrorAlert, type Server, StateTag, shortDateTime } from './server-shared.tsx';

const PAGE = 20;

/** A prepaid server's term, start over end; a postpaid one's billing. */
function Period({ server: s }: { server: Server }) {
  const { t, i18n } = useTranslation();
  if (!s.current_period_start || !s.current_period_end) return <>{t('servers.postpaidPeriod')}</>;
  return (
    <span style={{ whiteSpace: 'nowrap' }}>
      {shortDateTime(s.current_period_start, i18n.language)} –<br />
      {shortDateTime(s.current_period_end, i18n.language)}
      <br />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('servers.paid')}: {usd(s.paid_usd, i18n.language)}
      </Typography.Text>
    </span>
  );
}

export default function ServersPage() {
  const { t } = useTranslation();
  const phone = !Grid.useBreakpoint().md;
  const navigate = useNavigate();
  const pages = useCursorPages();
  const query = { limit: PAGE, ...(pages.cursor ? { starting_after: pages.cursor } : {}) };
  const servers = useQuery({
    queryKey: ['servers', query],
    queryFn: () => must(api.GET('/v1/servers', { params: { query } })),
  });
  const mode = (s: Server) => t(`servers.modes.${s.payment_mode}`, { defaultValue: s.payment_mode });
  const columns = [
    {
      title: t('servers.id'),
      dataIndex: 'id',
      key: 'id',
      render: (id: string) => <span style={{ fontFamily: 'monospace' }}>{id}</span>,
    },
    {
      title: t('servers.spec'),
      key: 'spec',
      render: (s: Server) => (
        <>
          {s.spec}
          <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12, whiteSpace: 'nowrap' }}>
            {t('servers.cp', { n: s.compute_power })}
          </Typography.Text>
        </>
      ),
    },
    { title: t('servers.paymentMode'), key: 'mode', render: mode },
    {
      title: t('servers.status'),
      key: 'status',
      render: (s: Server) => (
        <Space orientation="vertical" size={2}>
          <StateTag scope="servers" status={s.status} />
          <TempUpgrade server={s} />
        </Space>
      ),
    },
    { title: t('servers.period'), key: 'period', render: (s: Server) => <Period server={s} /> },
    {
      title: t('servers.actions'),
      key: 'actions',
      width: 210,
      render: (s: Server) => <ServerActions server={s} />,
    },
  ];
  const error = servers.error instanceof ApiFailure ? servers.error.apiError : null;
  return (
    <>
      <Typography.Title level={3}>{t('servers.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('servers.intro')}</Typography.Paragraph>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => navigate('/servers/buy')}>
          {t('servers.buy')}
        </Button>
      </Space>
      <ErrorAlert error={error} />
      {phone ? (
        <List<Server>
          loading={servers.isPending}
          dataSource={servers.data?.data ?? []}
          locale={{ emptyText: t('servers.empty') }}
          renderItem={(s) => (
            <Card size="small" style={{ marginBottom: 12 }} data-testid="server-card">
              <div style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>{s.id}</div>
              <Space wrap size={4} style={{ margin: '4px 0' }}>
                <Typography.Text strong>{s.spec}</Typography.Text>
                <Typography.Text type="secondary">{t('servers.cp', { n: s.compute_power })}</Typography.Text>
                <StateTag scope="servers" status={s.status} />
              </Space>
              <div>{mode(s)}</div>
              <Typography.Text type="secondary" style={{ display: 'block' }}>
                <Period server={s} />
              </Typography.Text>
              <TempUpgrade server={s} />
              {hasActions(s) && (
                <div style={{ marginTop: 8 }}>
                  <ServerActions server={s} />
                </div>
              )}
            </Card>
          )}
        />
      ) : (
        <Table<Server>
          rowKey="id"
          size="small"
          loading={servers.isPending}
          columns={columns}
          dataSource={servers.data?.data ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('servers.empty') }}
        />
      )}
      <CursorPager pages={pages} page={servers.data} />
    </>
  );
}

/** A temporary upgrade running now: its spec, until when, and the spec it goes back to. */
function TempUpgrade({ server }: { server: Server }) {
  const { t, i18n } = useTranslation();
  const temp = server.temp_upgrade;
  if (!temp) return null;
  return (
    <Typography.Text type="warning" style={{ fontSize: 12 }}>
      {t('servers.tempUntil', {
        spec: server.spec,
        until: dateTime(temp.until, i18n.language),
        base: temp.base_spec,
      })}
    </Typography.Text>
  );
}
