/** Billing → Vouchers (SPEC §5): amount, what is left, the products each may pay for, status, expiry. */
import { useQuery } from '@tanstack/react-query';
import { Alert, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiFailure, api, must, type Schemas } from '../../api/client.ts';
import { CursorPager, useCursorPages } from '../../cursor-pages.tsx';
import { dateTime, errorText, usd } from '../../format.ts';

type Voucher = Schemas['Voucher'];
const COLORS: Record<string, string> = { active: 'green', expired: 'default', used_up: 'default' };

export default function VouchersPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const query = { limit: 20, ...(cursor ? { starting_after: cursor } : {}) };
  const list = useQuery({
    queryKey: ['vouchers', query],
    queryFn: () => must(api.GET('/v1/vouchers', { params: { query } })),
  });
  const error = list.error instanceof ApiFailure ? list.error.apiError : null;
  const data = list.data;
  return (
    <>
      <Typography.Title level={3}>{t('vouchers.title')}</Typography.Title>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Table<Voucher>
        rowKey="id"
        loading={list.isPending}
        dataSource={data?.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('vouchers.empty') }}
        columns={[
          {
            title: t('vouchers.id'),
            key: 'id',
            render: (v: Voucher) => <Typography.Text code>{v.id}</Typography.Text>,
          },
          {
            title: t('vouchers.amount'),
            key: 'amount',
            align: 'right',
            render: (v: Voucher) => usd(v.amount_usd, lang),
          },
          {
            title: t('vouchers.remaining'),
            key: 'remaining',
            align: 'right',
            render: (v: Voucher) => usd(v.remaining_usd, lang),
          },
          {
            title: t('vouchers.products'),
            key: 'products',
            render: (v: Voucher) =>
              v.products ? v.products.map((p) => t(`products.${p}`)).join(', ') : t('vouchers.anyProduct'),
          },
          {
            title: t('vouchers.status'),
            key: 'status',
            render: (v: Voucher) => <Tag color={COLORS[v.status]}>{t(`vouchers.statuses.${v.status}`)}</Tag>,
          },
          {
            title: t('vouchers.expires'),
            key: 'expires',
            render: (v: Voucher) => dateTime(v.expires_at, lang),
          },
        ]}
      />
      {(!pages.atStart || data?.has_more) && <CursorPager pages={pages} page={data} />}
    </>
  );
}
