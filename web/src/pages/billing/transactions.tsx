/**
 * Billing → Transactions (SPEC §5): the cash balance's ledger, newest first, each entry signed with
 * the balance after it and its cause; pages of 20 by cursor (starting_after).
 */
import { useQuery } from '@tanstack/react-query';
import { Alert, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiFailure, api, must, type Schemas } from '../../api/client.ts';
import { CursorPager, useCursorPages } from '../../cursor-pages.tsx';
import { dateTime, errorText, usd } from '../../format.ts';

type Entry = Schemas['Transaction'];
const PAGE = 20;

export default function TransactionsPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const query = { limit: PAGE, ...(cursor ? { starting_after: cursor } : {}) };
  const list = useQuery({
    queryKey: ['transactions', query],
    queryFn: () => must(api.GET('/v1/billing/transactions', { params: { query } })),
  });
  const error = list.error instanceof ApiFailure ? list.error.apiError : null;
  const data = list.data;
  return (
    <>
      <Typography.Title level={3}>{t('transactions.title')}</Typography.Title>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Table<Entry>
        rowKey="id"
        size="middle"
        loading={list.isPending}
        dataSource={data?.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('transactions.empty') }}
        columns={[
          { title: t('transactions.time'), key: 'time', render: (e: Entry) => dateTime(e.created_at, lang) },
          {
            title: t('transactions.cause'),
            key: 'cause',
            render: (e: Entry) => t(`transactions.causes.${e.cause}`, { defaultValue: e.cause }),
          },
          {
            title: t('transactions.amount'),
            key: 'amount',
            align: 'right',
            render: (e: Entry) => (
              <Typography.Text type={e.amount_usd < 0 ? 'danger' : 'success'}>
                {e.amount_usd > 0 ? '+' : ''}
                {usd(e.amount_usd, lang)}
              </Typography.Text>
            ),
          },
          {
            title: t('transactions.balanceAfter'),
            key: 'after',
            align: 'right',
            render: (e: Entry) => usd(e.balance_after_usd, lang),
          },
          {
            title: t('transactions.order'),
            key: 'order',
            render: (e: Entry) =>
              e.order_id ? (
                <Link to={`/billing/orders/${e.order_id}`} style={{ fontFamily: 'monospace' }}>
                  {e.order_id}
                </Link>
              ) : (
                '—'
              ),
          },
          { title: t('transactions.memo'), key: 'memo', render: (e: Entry) => e.memo ?? '—' },
        ]}
      />
      <CursorPager pages={pages} page={data} />
    </>
  );
}
