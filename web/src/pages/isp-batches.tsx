/** ISP → Batches (SPEC §6, §10): the account's batches, newest first, with status and expiry. */
import { useInfiniteQuery } from '@tanstack/react-query';
import { Alert, Button, Grid, Select, Space, Table, type TableColumnsType, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiFailure, api, must } from '../api/client.ts';
import { dateTime, errorText } from '../format.ts';
import { type Batch, placeLabel, StatusTag } from './isp-shared.tsx';

const STATUSES = ['waiting_inventory', 'provisioning', 'ready', 'expired', 'released'] as const;
type Status = (typeof STATUSES)[number];

export default function IspBatchesPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [status, setStatus] = useState<Status | ''>('');
  const batches = useInfiniteQuery({
    queryKey: ['isp-batches', status],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      must(
        api.GET('/v1/isp/batches', {
          params: {
            query: {
              limit: 50,
              ...(pageParam ? { starting_after: pageParam } : {}),
              ...(status ? { status } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => (last.has_more ? last.data.at(-1)?.id : undefined),
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) =>
        p.data.some((b) => b.status === 'provisioning' || b.status === 'waiting_inventory'),
      )
        ? 5000
        : false,
  });
  const rows = batches.data?.pages.flatMap((p) => p.data) ?? [];
  const phone = !Grid.useBreakpoint().md;
  // on a phone one stacked column: a table row of six would scroll sideways
  const phoneColumns: TableColumnsType<Batch> = [
    {
      title: t('isp.batches.id'),
      key: 'batch',
      render: (_, b) => (
        <Space orientation="vertical" size={2}>
          <Link to={`/isp/batches/${b.id}`} style={{ wordBreak: 'break-all' }}>
            {b.id}
          </Link>
          <Typography.Text>
            {placeLabel(lang, b)} · {b.quantity} IP
          </Typography.Text>
          <Space size={4} wrap>
            <StatusTag status={b.status} />
            <Typography.Text type="secondary">
              {t('isp.batches.expires')}: {dateTime(b.expires_at, lang)}
            </Typography.Text>
          </Space>
        </Space>
      ),
    },
  ];
  const failure = batches.error instanceof ApiFailure ? batches.error.apiError : null;

  return (
    <>
      <Typography.Title level={3}>{t('isp.batches.title')}</Typography.Title>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Select
          aria-label={t('isp.batches.status')}
          style={{ minWidth: 160 }}
          value={status}
          onChange={(v: Status | '') => setStatus(v)}
          options={[
            { value: '', label: t('isp.batches.allStatuses') },
            ...STATUSES.map((s) => ({ value: s, label: t(`isp.status.${s}`) })),
          ]}
        />
        <Link to="/isp/order">
          <Button type="primary">{t('isp.batches.orderNew')}</Button>
        </Link>
      </Space>
      {failure && <Alert type="error" showIcon title={errorText(t, failure)} style={{ marginBottom: 16 }} />}
      <Table<Batch>
        rowKey="id"
        size="middle"
        loading={batches.isPending}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('isp.batches.empty') }}
        columns={
          phone
            ? phoneColumns
            : [
                {
                  title: t('isp.batches.id'),
                  dataIndex: 'id',
                  render: (id: string) => <Link to={`/isp/batches/${id}`}>{id}</Link>,
                },
                {
                  title: t('isp.batches.place'),
                  key: 'place',
                  render: (_, b) => placeLabel(lang, b),
                },
                { title: t('isp.batches.quantity'), dataIndex: 'quantity', align: 'right' },
                {
                  title: t('isp.batches.status'),
                  dataIndex: 'status',
                  render: (s: string) => <StatusTag status={s} />,
                },
                {
                  title: t('isp.batches.expires'),
                  dataIndex: 'expires_at',
                  render: (v: string | null) => dateTime(v, lang),
                },
                {
                  title: t('isp.batches.autoRenew'),
                  dataIndex: 'auto_renew',
                  render: (v: boolean) => (v ? t('isp.batches.yes') : t('isp.batches.no')),
                },
              ]
        }
      />
      {batches.hasNextPage && (
        <Button
          style={{ marginTop: 12 }}
          loading={batches.isFetchingNextPage}
          onClick={() => batches.fetchNextPage()}
        >
          {t('isp.batches.loadMore')}
        </Button>
      )}
    </>
  );
}
