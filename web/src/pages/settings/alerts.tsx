/**
 * Settings → Alerts (告警; SPEC §6, the console seed): stock alerts that mail when at least a minimum
 * of ISP IPs is available at a place (country, optional city and ASN); list, create, delete.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, ApiFailure, api, asApiError, must, type Schemas } from '../../api/client.ts';
import { dateTime, errorText } from '../../format.ts';

type StockAlert = Schemas['StockAlert'];
interface AlertForm {
  country: string;
  city?: string;
  asn?: number | null;
  minimum: number;
}

export default function AlertsPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm<AlertForm>();
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const list = useQuery({
    queryKey: ['alerts'],
    queryFn: () => must(api.GET('/v1/alerts', { params: { query: { limit: 100 } } })),
  });

  async function create(v: AlertForm) {
    setBusy(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/alerts', {
      body: {
        country: v.country.trim().toLowerCase(),
        ...(v.city?.trim() ? { city: v.city.trim().toLowerCase() } : {}),
        ...(v.asn ? { asn: v.asn } : {}),
        minimum: v.minimum,
      },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    if (!data) return setFailure(asApiError(error, response.status));
    message.success(t('alerts.created'));
    form.resetFields();
    await qc.invalidateQueries({ queryKey: ['alerts'] });
  }

  async function remove(id: string) {
    const { error, response } = await api.DELETE('/v1/alerts/{id}', {
      params: { path: { id } },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (!response.ok) message.error(errorText(t, asApiError(error, response.status)));
    else message.success(t('alerts.deleted'));
    await qc.invalidateQueries({ queryKey: ['alerts'] });
  }

  const error = list.error instanceof ApiFailure ? list.error.apiError : null;
  return (
    <>
      <Typography.Title level={3}>{t('alerts.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('alerts.intro')}</Typography.Paragraph>
      <Card style={{ marginBottom: 16 }}>
        <Form<AlertForm> form={form} layout="vertical" onFinish={create}>
          <Row gutter={12}>
            <Col xs={12} md={6}>
              <Form.Item
                name="country"
                label={t('alerts.country')}
                extra={t('alerts.countryHint')}
                rules={[
                  { required: true, pattern: /^\s*[A-Za-z]{2}\s*$/, message: t('alerts.countryInvalid') },
                ]}
              >
                <Input maxLength={2} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="city" label={t('alerts.city')} extra={t('alerts.cityHint')}>
                <Input maxLength={64} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="asn" label={t('alerts.asn')} extra={t('alerts.asnHint')}>
                <InputNumber min={1} max={4294967295} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item
                name="minimum"
                label={t('alerts.minimum')}
                rules={[
                  {
                    required: true,
                    type: 'integer',
                    min: 1,
                    max: 1_000_000,
                    message: t('alerts.minimumInvalid'),
                  },
                ]}
              >
                <InputNumber min={1} max={1_000_000} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          {failure && (
            <Alert type="error" showIcon title={errorText(t, failure)} style={{ marginBottom: 12 }} />
          )}
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('alerts.create')}
          </Button>
        </Form>
      </Card>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Table<StockAlert>
        rowKey="id"
        loading={list.isPending}
        dataSource={list.data?.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('alerts.empty') }}
        columns={[
          { title: t('alerts.country'), key: 'country', render: (a: StockAlert) => a.country.toUpperCase() },
          { title: t('alerts.city'), key: 'city', render: (a: StockAlert) => a.city ?? t('alerts.any') },
          {
            title: t('alerts.asn'),
            key: 'asn',
            render: (a: StockAlert) => (a.asn ? `AS${a.asn}` : t('alerts.any')),
          },
          {
            title: t('alerts.minimum'),
            key: 'minimum',
            align: 'right',
            render: (a: StockAlert) => a.minimum,
          },
          {
            title: t('alerts.available'),
            key: 'available',
            align: 'right',
            render: (a: StockAlert) => a.available,
          },
          {
            title: t('alerts.armed'),
            key: 'armed',
            render: (a: StockAlert) =>
              a.armed ? (
                <Tag color="blue">{t('alerts.armedYes')}</Tag>
              ) : (
                <Tag color="green">{t('alerts.armedNo')}</Tag>
              ),
          },
          {
            title: t('alerts.lastFired'),
            key: 'fired',
            render: (a: StockAlert) => dateTime(a.last_fired_at, lang),
          },
          {
            title: '',
            key: 'actions',
            render: (a: StockAlert) => (
              <Popconfirm
                title={t('alerts.deleteConfirm')}
                okText={t('alerts.delete')}
                okButtonProps={{ danger: true }}
                cancelText={t('billing.cancel')}
                onConfirm={() => remove(a.id)}
              >
                <Button size="small" danger>
                  {t('alerts.delete')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
    </>
  );
}
