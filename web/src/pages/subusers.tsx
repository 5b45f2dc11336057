/**
 * Subusers (子账号; SPEC §2): each team's proxy username and password, its caps per bandwidth
 * product and what it has used; create one, edit its name, caps and status.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, ApiFailure, api, asApiError, must, type Schemas } from '../api/client.ts';
import { errorText } from '../format.ts';

type Subuser = Schemas['Subuser'];
const BANDWIDTH = ['residential', 'mobile'] as const;

interface SubuserForm {
  name?: string;
  username?: string;
  password?: string;
  status?: 'active' | 'disabled';
  residential?: number | null;
  mobile?: number | null;
}

/** A cap in GB: empty (no cap) or 0–1,000,000 with at most three decimals. */
export function validCap(v: number | null | undefined): boolean {
  if (v === null || v === undefined) return true;
  return v >= 0 && v <= 1_000_000 && Math.round(v * 1000) === v * 1000;
}

export default function SubusersPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<Subuser | 'new' | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [form] = Form.useForm<SubuserForm>();
  const list = useQuery({
    queryKey: ['subusers'],
    queryFn: () => must(api.GET('/v1/subusers', { params: { query: { limit: 100 } } })),
  });
  const gb = (n: number) => `${new Intl.NumberFormat(lang, { maximumFractionDigits: 3 }).format(n)} GB`;

  function open(s: Subuser | 'new') {
    setFailure(null);
    form.resetFields();
    if (s !== 'new') {
      form.setFieldsValue({
        name: s.name ?? '',
        status: s.status,
        residential: s.usage.residential.cap_gb,
        mobile: s.usage.mobile.cap_gb,
      });
    }
    setEditing(s);
  }

  async function save(v: SubuserForm) {
    setBusy(true);
    setFailure(null);
    const caps = { residential: v.residential ?? null, mobile: v.mobile ?? null };
    const result =
      editing === 'new'
        ? await api.POST('/v1/subusers', {
            body: {
              ...(v.name?.trim() ? { name: v.name.trim() } : {}),
              ...(v.username?.trim() ? { username: v.username.trim() } : {}),
              ...(v.password ? { password: v.password } : {}),
              caps,
            },
            headers: { 'Idempotency-Key': crypto.randomUUID() },
          })
        : await api.PATCH('/v1/subusers/{id}', {
            params: { path: { id: (editing as Subuser).id } },
            body: {
              name: v.name?.trim() ? v.name.trim() : null,
              caps,
              ...(v.status && !(editing as Subuser).is_main ? { status: v.status } : {}),
            },
          });
    setBusy(false);
    if (!result.data) return setFailure(asApiError(result.error, result.response.status));
    message.success(
      editing === 'new' ? t('subusers.created', { username: result.data.username }) : t('subusers.saved'),
    );
    setEditing(null);
    await qc.invalidateQueries({ queryKey: ['subusers'] });
  }

  const error = list.error instanceof ApiFailure ? list.error.apiError : null;
  const capRule = {
    validator: (_: unknown, v: number | null | undefined) =>
      validCap(v) ? Promise.resolve() : Promise.reject(new Error(t('subusers.capInvalid'))),
  };
  return (
    <>
      <Typography.Title level={3}>{t('subusers.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('subusers.intro')}</Typography.Paragraph>
      <Button type="primary" style={{ marginBottom: 16 }} onClick={() => open('new')}>
        {t('subusers.create')}
      </Button>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Table<Subuser>
        rowKey="id"
        loading={list.isPending}
        dataSource={list.data?.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          {
            title: t('subusers.name'),
            key: 'name',
            render: (s: Subuser) => (
              <Space wrap size={4}>
                <span>{s.name ?? '—'}</span>
                {s.is_main && <Tag color="blue">{t('subusers.main')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('subusers.username'),
            key: 'username',
            render: (s: Subuser) => <Typography.Text code>{s.username}</Typography.Text>,
          },
          {
            title: t('subusers.password'),
            key: 'password',
            render: (s: Subuser) => (
              <Typography.Text copyable={{ text: s.password }} code>
                ••••••••
              </Typography.Text>
            ),
          },
          {
            title: t('subusers.status'),
            key: 'status',
            render: (s: Subuser) => (
              <Space wrap size={4}>
                <Tag color={s.status === 'active' ? 'green' : 'default'}>
                  {t(`subusers.statuses.${s.status}`)}
                </Tag>
                {s.limited && <Tag color="red">{t('subusers.limited')}</Tag>}
              </Space>
            ),
          },
          ...BANDWIDTH.map((p) => ({
            title: t('subusers.usage', { product: t(`products.${p}`) }),
            key: p,
            render: (s: Subuser) => {
              const u = s.usage[p];
              return (
                <Typography.Text type={u.limited ? 'danger' : undefined}>
                  {gb(u.used_gb)} / {u.cap_gb === null ? t('subusers.noCap') : gb(u.cap_gb)}
                </Typography.Text>
              );
            },
          })),
          {
            title: '',
            key: 'actions',
            render: (s: Subuser) => (
              <Button size="small" onClick={() => open(s)}>
                {t('subusers.edit')}
              </Button>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={
          editing === 'new'
            ? t('subusers.createTitle')
            : t('subusers.editTitle', { username: editing?.username ?? '' })
        }
        okText={t('subusers.save')}
        cancelText={t('subusers.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setEditing(null)}
        forceRender
      >
        <Form<SubuserForm> form={form} layout="vertical" onFinish={save}>
          <Form.Item name="name" label={t('subusers.name')}>
            <Input maxLength={200} />
          </Form.Item>
          {editing === 'new' && (
            <>
              <Form.Item
                name="username"
                label={t('subusers.username')}
                extra={t('subusers.usernameHint')}
                rules={[{ pattern: /^(?!sub_)[a-z0-9_-]{3,32}$/, message: t('subusers.usernameInvalid') }]}
              >
                <Input autoComplete="off" />
              </Form.Item>
              <Form.Item
                name="password"
                label={t('subusers.password')}
                extra={t('subusers.passwordHint')}
                rules={[{ pattern: /^[A-Za-z0-9._~-]{8,64}$/, message: t('subusers.passwordInvalid') }]}
              >
                <Input autoComplete="new-password" />
              </Form.Item>
            </>
          )}
          {BANDWIDTH.map((p) => (
            <Form.Item
              key={p}
              name={p}
              label={t('subusers.capGb', { product: t(`products.${p}`) })}
              extra={t('subusers.capHint')}
              rules={[capRule]}
            >
              <InputNumber min={0} max={1_000_000} style={{ width: '100%' }} />
            </Form.Item>
          ))}
          {editing !== 'new' && editing !== null && !editing.is_main && (
            <Form.Item name="status" label={t('subusers.status')}>
              <Radio.Group
                options={(['active', 'disabled'] as const).map((s) => ({
                  value: s,
                  label: t(`subusers.statuses.${s}`),
                }))}
              />
            </Form.Item>
          )}
        </Form>
        {failure && <Alert type="error" showIcon title={errorText(t, failure)} />}
      </Modal>
    </>
  );
}
