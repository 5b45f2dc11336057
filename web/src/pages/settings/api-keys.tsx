/**
 * API keys (SPEC §1, §10): create one (the key is shown this once, with a copy button), list them
 * by prefix (revoked ones too), revoke one.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Form,
  Input,
  Modal,
  Popconfirm,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, ApiFailure, api, asApiError, must, type Schemas } from '../../api/client.ts';
import { dateTime, errorText } from '../../format.ts';

type ApiKey = Schemas['ApiKey'];

export default function ApiKeysPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [name, setName] = useState('');
  const [creating, setCreating] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<Schemas['CreatedApiKey'] | null>(null);
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => must(api.GET('/v1/api-keys')) });

  async function create() {
    setCreating(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/api-keys', {
      body: name.trim() ? { name: name.trim() } : {},
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setCreating(false);
    if (!data) return setFailure(asApiError(error, response.status));
    setCreated(data);
    setName('');
    await qc.invalidateQueries({ queryKey: ['api-keys'] });
  }

  async function revoke(id: string) {
    const { error, response } = await api.DELETE('/v1/api-keys/{id}', {
      params: { path: { id } },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (!response.ok) message.error(errorText(t, asApiError(error, response.status)));
    else message.success(t('apiKeys.revokedDone'));
    await qc.invalidateQueries({ queryKey: ['api-keys'] });
  }

  const error = keys.error instanceof ApiFailure ? keys.error.apiError : null;
  return (
    <>
      <Typography.Title level={3}>{t('apiKeys.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('apiKeys.intro')}</Typography.Paragraph>
      <Card style={{ marginBottom: 16 }}>
        <Form layout="vertical" onFinish={create}>
          <Form.Item label={t('apiKeys.name')} htmlFor="api-key-name" style={{ marginBottom: 0 }}>
            <Space.Compact style={{ width: '100%', maxWidth: 480 }}>
              <Input
                id="api-key-name"
                maxLength={200}
                value={name}
                placeholder={t('apiKeys.namePlaceholder')}
                onChange={(e) => setName(e.target.value)}
              />
              <Button type="primary" htmlType="submit" loading={creating}>
                {t('apiKeys.create')}
              </Button>
            </Space.Compact>
          </Form.Item>
        </Form>
        {failure && <Alert type="error" showIcon title={errorText(t, failure)} style={{ marginTop: 12 }} />}
      </Card>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Table<ApiKey>
        rowKey="id"
        loading={keys.isPending}
        dataSource={keys.data?.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('apiKeys.empty') }}
        columns={[
          {
            title: t('apiKeys.name'),
            key: 'name',
            render: (k: ApiKey) =>
              k.name ?? <Typography.Text type="secondary">{t('apiKeys.unnamed')}</Typography.Text>,
          },
          {
            title: t('apiKeys.prefix'),
            key: 'prefix',
            render: (k: ApiKey) => <Typography.Text code>{k.key_prefix}…</Typography.Text>,
          },
          {
            title: t('apiKeys.created'),
            key: 'created',
            render: (k: ApiKey) => dateTime(k.created_at, lang),
          },
          {
            title: t('apiKeys.status'),
            key: 'status',
            render: (k: ApiKey) =>
              k.revoked_at ? (
                <Tag>{t('apiKeys.revoked', { at: dateTime(k.revoked_at, lang) })}</Tag>
              ) : (
                <Tag color="green">{t('apiKeys.active')}</Tag>
              ),
          },
          {
            title: '',
            key: 'actions',
            render: (k: ApiKey) =>
              !k.revoked_at && (
                <Popconfirm
                  title={t('apiKeys.revokeConfirm')}
                  okText={t('apiKeys.revoke')}
                  okButtonProps={{ danger: true }}
                  cancelText={t('billing.cancel')}
                  onConfirm={() => revoke(k.id)}
                >
                  <Button size="small" danger>
                    {t('apiKeys.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Modal
        open={created !== null}
        title={t('apiKeys.newTitle')}
        closable={false}
        destroyOnHidden
        mask={{ closable: false }}
        footer={
          <Button type="primary" onClick={() => setCreated(null)}>
            {t('apiKeys.done')}
          </Button>
        }
      >
        <Alert type="warning" showIcon title={t('apiKeys.newWarning')} style={{ marginBottom: 12 }} />
        {created && (
          <Typography.Paragraph
            copyable={{ text: created.key }}
            code
            data-testid="new-api-key"
            style={{ wordBreak: 'break-all' }}
          >
            {created.key}
          </Typography.Paragraph>
        )}
      </Modal>
    </>
  );
}
