/**
 * Pay and cancel an order (SPEC §4, §8): Pay → a dialog with the payable amount → Confirm (paid from
 * the balance, then the default card; a decline is shown in words); Cancel → the dry run first
 * (what would be refunded, and where to) → Confirm. Used by the Orders list and the order detail.
 */
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Modal, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, asApiError, type Schemas } from '../../api/client.ts';
import { errorText, usd } from '../../format.ts';

type Order = Schemas['Order'];
type Plan = Schemas['CancellationPlan'];

/** A sum of USD amounts added in cents, so 0.1 + 0.2 shows 0.30. */
const sumUsd = (xs: number[]) => xs.reduce((c, x) => c + Math.round(x * 100), 0) / 100;

/** Pay applies to pending orders; cancel also to a paid ISP order still waiting for stock. */
export const canPay = (o: Order) => o.payment_status === 'pending_payment';
export const canCancel = (o: Order) =>
  o.payment_status === 'pending_payment' || (o.status === 'waiting_inventory' && o.payment_status === 'paid');

export function OrderActions({ order, size }: { order: Order; size?: 'small' | 'middle' }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [paying, setPaying] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planLoading, setPlanLoading] = useState(false);

  async function refresh() {
    await qc.invalidateQueries({ queryKey: ['orders'] });
    await qc.invalidateQueries({ queryKey: ['order', order.id] });
    await qc.invalidateQueries({ queryKey: ['account'] });
  }

  async function pay() {
    setBusy(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/orders/{id}/pay', {
      params: { path: { id: order.id } },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    if (!data) return setFailure(asApiError(error, response.status));
    setPaying(false);
    message.success(t('orders.paid', { id: order.id }));
    await refresh();
  }

  async function openCancel() {
    setFailure(null);
    setPlanLoading(true);
    const { data, error, response } = await api.POST('/v1/orders/{id}/cancel', {
      params: { path: { id: order.id } },
      body: { dry_run: true },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setPlanLoading(false);
    if (data?.object !== 'cancellation_plan') {
      message.error(errorText(t, asApiError(error, response.status)));
      return;
    }
    setPlan(data);
  }

  async function cancel() {
    setBusy(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/orders/{id}/cancel', {
      params: { path: { id: order.id } },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    if (!data) return setFailure(asApiError(error, response.status));
    setPlan(null);
    message.success(t('orders.cancelled', { id: order.id }));
    await refresh();
  }

  const refund = plan?.refund ?? null;
  return (
    <>
      <Space size="small" wrap>
        {canPay(order) && (
          <Button
            type="primary"
            size={size}
            onClick={() => {
              setFailure(null);
              setPaying(true);
            }}
          >
            {t('orders.pay')}
          </Button>
        )}
        {canCancel(order) && (
          <Button danger size={size} loading={planLoading} onClick={openCancel}>
            {t('orders.cancel')}
          </Button>
        )}
      </Space>
      <Modal
        open={paying}
        title={t('orders.payTitle', { id: order.id })}
        okText={t('orders.payConfirm')}
        cancelText={t('billing.cancel')}
        confirmLoading={busy}
        onOk={pay}
        onCancel={() => setPaying(false)}
      >
        <Typography.Paragraph>
          {t('orders.payBody', { total: usd(order.total_usd, lang) })}
        </Typography.Paragraph>
        {failure && <Alert type="error" showIcon title={errorText(t, failure)} />}
      </Modal>
      <Modal
        open={plan !== null}
        title={t('orders.cancelTitle', { id: order.id })}
        okText={t('orders.cancelConfirm')}
        okButtonProps={{ danger: true }}
        cancelText={t('orders.keep')}
        confirmLoading={busy}
        onOk={cancel}
        onCancel={() => setPlan(null)}
      >
        {refund === null ? (
          <Typography.Paragraph>{t('orders.cancelNoRefund')}</Typography.Paragraph>
        ) : (
          <>
            <Typography.Paragraph>
              {t('orders.cancelRefund', { total: usd(refund.requested_usd, lang) })}
            </Typography.Paragraph>
            <ul>
              {refund.to_card_usd > 0 && (
                <li>
                  {usd(refund.to_card_usd, lang)} {t('orders.toCard')}
                </li>
              )}
              {refund.to_balance_usd > 0 && (
                <li>
                  {usd(refund.to_balance_usd, lang)} {t('orders.toBalance')}
                </li>
              )}
              {refund.to_vouchers.length > 0 && (
                <li>
                  {usd(sumUsd(refund.to_vouchers.map((v) => v.amount_usd)), lang)} {t('orders.toVouchers')}
                </li>
              )}
            </ul>
          </>
        )}
        {failure && <Alert type="error" showIcon title={errorText(t, failure)} />}
      </Modal>
    </>
  );
}
