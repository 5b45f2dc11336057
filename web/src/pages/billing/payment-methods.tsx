/**
 * Billing → Payment methods (付款方式; SPEC §5, the console seed): the balance (and arrears), a
 * top-up charged to the default card (Top up → Confirm; a decline is shown in words), and the
 * cards on file: add a sandbox card, make one the default, remove one. Only brand, last 4 and
 * expiry are stored.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  InputNumber,
  List,
  Modal,
  Popconfirm,
  Row,
  Space,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, asApiError, must } from '../../api/client.ts';
import { errorText, usd } from '../../format.ts';
import { useAccount } from '../dashboard.tsx';
import { TopUpForm } from './top-up-form.tsx';

interface CardForm {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc: string;
  default: boolean;
}

export default function PaymentMethodsPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const account = useAccount();
  const methods = useQuery({
    queryKey: ['payment-methods'],
    queryFn: () => must(api.GET('/v1/payment-methods', { params: { query: { limit: 100 } } })),
  });
  const [topUp, setTopUp] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [cardFailure, setCardFailure] = useState<ApiError | null>(null);
  const [form] = Form.useForm<CardForm>();

  async function refresh() {
    await qc.invalidateQueries({ queryKey: ['payment-methods'] });
    await qc.invalidateQueries({ queryKey: ['account'] });
    await qc.invalidateQueries({ queryKey: ['transactions'] });
  }

  async function confirmTopUp() {
    if (topUp === null) return;
    setBusy(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/billing/top-ups', {
      body: { amount_usd: topUp },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    setTopUp(null);
    if (!data) return setFailure(asApiError(error, response.status));
    if (data.status !== 'succeeded') {
      const code = data.failure_code ?? 'card_declined';
      const reason = t(`declines.${code}`, { defaultValue: '' }) || t('declines.other', { code });
      setFailure({ code: 'top_up_failed', message: t('billing.topUpFailed', { reason }) });
    } else {
      message.success(t('billing.topUpDone', { amount: usd(data.amount_usd, lang) }));
    }
    await refresh();
  }

  async function addCard(v: CardForm) {
    setCardFailure(null);
    const { data, error, response } = await api.POST('/v1/payment-methods', {
      body: {
        card: { number: v.number, exp_month: v.exp_month, exp_year: v.exp_year, cvc: v.cvc },
        ...(v.default ? { default: true } : {}),
      },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (!data) return setCardFailure(asApiError(error, response.status));
    message.success(t('billing.added', { last4: data.last4 }));
    form.resetFields();
    await refresh();
  }

  async function setDefault(id: string) {
    const { error, response } = await api.POST('/v1/payment-methods/{id}/default', {
      params: { path: { id } },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (!response.ok) message.error(errorText(t, asApiError(error, response.status)));
    await refresh();
  }

  async function remove(id: string) {
    const { error, response } = await api.DELETE('/v1/payment-methods/{id}', {
      params: { path: { id } },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (!response.ok) message.error(errorText(t, asApiError(error, response.status)));
    await refresh();
  }

  const a = account.data;
  const failureText = failure
    ? failure.code === 'top_up_failed'
      ? failure.message
      : errorText(t, failure)
    : null;
  return (
    <>
      <Typography.Title level={3}>{t('billing.title')}</Typography.Title>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card title={t('billing.balance')} loading={!a}>
            <Statistic value={a ? usd(a.balance_usd, lang) : ''} />
            {a && a.arrears_usd > 0 && (
              <Typography.Text type="danger">
                {t('billing.arrears')}: {usd(a.arrears_usd, lang)}
              </Typography.Text>
            )}
            <div style={{ marginTop: 16 }}>
              <TopUpForm
                busy={busy}
                onSubmit={(amount) => {
                  setFailure(null);
                  setTopUp(amount);
                }}
              />
            </div>
            {failureText && <Alert type="error" showIcon title={failureText} />}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card title={t('billing.cards')} loading={methods.isPending}>
            <List
              dataSource={methods.data?.data ?? []}
              locale={{ emptyText: t('billing.noCards') }}
              renderItem={(m) => (
                <List.Item
                  actions={[
                    ...(m.default
                      ? []
                      : [
                          <Button key="default" size="small" onClick={() => setDefault(m.id)}>
                            {t('billing.setDefault')}
                          </Button>,
                        ]),
                    <Popconfirm
                      key="remove"
                      title={t('billing.removeConfirm', { last4: m.last4 })}
                      okText={t('billing.confirm')}
                      cancelText={t('billing.cancel')}
                      onConfirm={() => remove(m.id)}
                    >
                      <Button size="small" danger>
                        {t('billing.remove')}
                      </Button>
                    </Popconfirm>,
                  ]}
                >
                  <List.Item.Meta
                    title={
                      <Space wrap size={4}>
                        <span>
                          {m.brand.toUpperCase()} •••• {m.last4}
                        </span>
                        {m.default && <Tag color="blue">{t('billing.default')}</Tag>}
                      </Space>
                    }
                    description={t('billing.expires', {
                      month: String(m.exp_month).padStart(2, '0'),
                      year: m.exp_year,
                    })}
                  />
                </List.Item>
              )}
            />
          </Card>
          <Card title={t('billing.addCard')} style={{ marginTop: 16 }}>
            <Typography.Paragraph type="secondary">{t('billing.sandboxHint')}</Typography.Paragraph>
            <Form<CardForm>
              form={form}
              layout="vertical"
              initialValues={{ exp_month: 12, exp_year: new Date().getFullYear() + 3, default: true }}
              onFinish={addCard}
            >
              <Form.Item
                name="number"
                label={t('billing.cardNumber')}
                rules={[
                  {
                    required: true,
                    pattern: /^[\d\s-]{12,23}$/,
                    message: t('billing.cardNumberInvalid'),
                  },
                ]}
              >
                <Input inputMode="numeric" autoComplete="cc-number" placeholder="4242 4242 4242 4242" />
              </Form.Item>
              <Row gutter={12}>
                <Col xs={8}>
                  <Form.Item
                    name="exp_month"
                    label={t('billing.expMonth')}
                    rules={[{ required: true, message: t('billing.required') }]}
                  >
                    <InputNumber min={1} max={12} precision={0} style={{ width: '100%' }} />
                  </Form.Item>
                </Col>
                <Col xs={8}>
                  <Form.Item
                    name="exp_year"
                    label={t('billing.expYear')}
                    rules={[{ required: true, message: t('billing.required') }]}
                  >
                    <InputNumber min={2000} max={9999} precision={0} style={{ width: '100%' }} />
                  </Form.Item>
                </Col>
                <Col xs={8}>
                  <Form.Item
                    name="cvc"
                    label={t('billing.cvc')}
                    rules={[{ required: true, message: t('billing.required') }]}
                  >
                    <Input maxLength={8} autoComplete="cc-csc" />
                  </Form.Item>
                </Col>
              </Row>
              <Form.Item name="default" valuePropName="checked">
                <Checkbox>{t('billing.makeDefault')}</Checkbox>
              </Form.Item>
              {cardFailure && (
                <Alert type="error" showIcon title={errorText(t, cardFailure)} style={{ marginBottom: 12 }} />
              )}
              <Button type="primary" htmlType="submit">
                {t('billing.add')}
              </Button>
            </Form>
          </Card>
        </Col>
      </Row>
      <Modal
        open={topUp !== null}
        title={t('billing.topUpTitle', { amount: usd(topUp ?? 0, lang) })}
        okText={t('billing.confirm')}
        cancelText={t('billing.cancel')}
        confirmLoading={busy}
        onOk={confirmTopUp}
        onCancel={() => setTopUp(null)}
      >
        {t('billing.topUpBody', { amount: usd(topUp ?? 0, lang) })}
      </Modal>
    </>
  );
}
