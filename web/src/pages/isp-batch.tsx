/**
 * ISP → Batches → one batch (SPEC §6, §10; the console seed): status, place, credentials and the
 * replacement allowance; the IPs with a replace action each; download the list as plain, csv or
 * json; refresh; renew; rotate password; rebind to another subuser; release; auto-renew. Every
 * money move (renew, a charged replacement) shows its dry run before it is confirmed; the moves
 * that change credentials or end the batch say so before they are confirmed.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Input,
  Modal,
  Radio,
  Result,
  Row,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Typography,
} from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { type ApiError, ApiFailure, api, asApiError, must, type Schemas } from '../api/client.ts';
import { dateTime, errorText, unitPrice, usd } from '../format.ts';
import {
  type Batch,
  checkError,
  placeLabel,
  StatusTag,
  saveText,
  subuserLabel,
  useSubusers,
} from './isp-shared.tsx';

type IpLine = {
  id?: string;
  ip: string;
  port: number;
  username: string;
  password: string;
  country: string;
  city: string;
  asn: number;
};
type Dialog =
  | { kind: 'refresh' | 'renew' | 'rotate' | 'rebind' | 'release' }
  | { kind: 'replace'; ip: IpLine }
  | null;

const FORMATS = {
  plain: { ext: 'txt', type: 'text/plain' },
  csv: { ext: 'csv', type: 'text/csv' },
  json: { ext: 'json', type: 'application/json' },
} as const;
type Format = keyof typeof FORMATS;

export default function IspBatchPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const id = useParams().id ?? '';
  const qc = useQueryClient();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  const batch = useQuery({
    queryKey: ['isp-batches', 'one', id],
    queryFn: () => must(api.GET('/v1/isp/batches/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => {
      const s = q.state.data?.status;
      return s === 'provisioning' || s === 'waiting_inventory' ? 3000 : false;
    },
  });
  const b = batch.data;
  const ready = b?.status === 'ready';
  const ips = useQuery({
    queryKey: ['isp-batches', 'ips', id, b?.updated_at],
    enabled: ready,
    queryFn: async () =>
      (await must(
        api.GET('/v1/isp/batches/{id}/ips', { params: { path: { id }, query: { format: 'json' } } }),
      )) as IpLine[],
  });
  const subusers = useSubusers();

  async function done(text: string, next?: Batch) {
    setDialog(null);
    setFailure(null);
    setNotice(text);
    if (next) qc.setQueryData(['isp-batches', 'one', id], next);
    await qc.invalidateQueries({ queryKey: ['isp-batches'] });
    await qc.invalidateQueries({ queryKey: ['account'] });
  }

  async function download(format: Format) {
    setFailure(null);
    const { data, error, response } = await api.GET('/v1/isp/batches/{id}/ips', {
      params: { path: { id }, query: { format } },
      parseAs: 'text',
    });
    if (data === undefined) return setFailure(asApiError(error, response.status));
    saveText(`${id}.${FORMATS[format].ext}`, data as string, FORMATS[format].type);
  }

  async function setAutoRenew(on: boolean) {
    setFailure(null);
    const { data, error, response } = await api.PATCH('/v1/isp/batches/{id}', {
      params: { path: { id } },
      body: { auto_renew: on },
    });
    if (!data) return setFailure(asApiError(error, response.status));
    await done(on ? t('isp.batch.autoRenewOn') : t('isp.batch.autoRenewOff'), data);
  }

  if (batch.error) {
    const e = batch.error instanceof ApiFailure ? batch.error.apiError : asApiError(batch.error);
    return (
      <Result
        status="warning"
        title={errorText(t, e)}
        extra={
          <Link to="/isp/batches">
            <Button>{t('isp.batch.back')}</Button>
          </Link>
        }
      />
    );
  }
  if (!b) return <Spin />;

  const subuser = subusers.data?.data.find((s) => s.id === b.subuser);
  const live = b.status !== 'released';
  const a = b.allowances;
  const sub = b.substitution;

  return (
    <>
      <Typography.Title level={3} style={{ wordBreak: 'break-all' }}>
        {t('isp.batch.title', { id: b.id })}
      </Typography.Title>
      <Space align="center" wrap style={{ marginBottom: 16 }}>
        <StatusTag status={b.status} />
        <Link to="/isp/batches">← {t('isp.batch.back')}</Link>
      </Space>
      {notice && (
        <Alert
          type="success"
          showIcon
          closable={{ onClose: () => setNotice(null) }}
          title={notice}
          style={{ marginBottom: 16 }}
          data-testid="notice"
        />
      )}
      {failure && (
        <Alert
          type="error"
          showIcon
          closable={{ onClose: () => setFailure(null) }}
          title={errorText(t, failure)}
          style={{ marginBottom: 16 }}
        />
      )}
      <Space wrap style={{ marginBottom: 16 }}>
        <Button disabled={!ready} onClick={() => setDialog({ kind: 'refresh' })}>
          {t('isp.batch.refresh')}
        </Button>
        <Button disabled={!(ready || b.status === 'expired')} onClick={() => setDialog({ kind: 'renew' })}>
          {t('isp.batch.renew')}
        </Button>
        <Button disabled={!live} onClick={() => setDialog({ kind: 'rotate' })}>
          {t('isp.batch.rotate')}
        </Button>
        <Button disabled={!live} onClick={() => setDialog({ kind: 'rebind' })}>
          {t('isp.batch.rebind')}
        </Button>
        <Button danger disabled={!live} onClick={() => setDialog({ kind: 'release' })}>
          {t('isp.batch.release')}
        </Button>
      </Space>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={14}>
          <Card title={t('isp.batch.overview')} size="small">
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('isp.batch.place')}>{placeLabel(lang, b)}</Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.quantity')}>{b.quantity}</Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.cycle')}>
                {t('isp.batch.months', { count: b.months })}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.subuser')}>
                {subuser ? subuserLabel(subuser, t) : b.subuser}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.username')}>
                <Typography.Text copyable code data-testid="username">
                  {b.username}
                </Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.password')}>
                <Space orientation="vertical" size={0}>
                  <Typography.Text copyable code data-testid="password">
                    {b.password}
                  </Typography.Text>
                  <Typography.Text type="secondary">
                    {b.password_source === 'batch'
                      ? t('isp.batch.passwordBatch')
                      : t('isp.batch.passwordSubuser')}
                  </Typography.Text>
                </Space>
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.order')}>{b.order_id}</Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.readyAt')}>
                {dateTime(b.ready_at, lang)}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.periodStarted')}>
                {dateTime(b.period_started_at, lang)}
              </Descriptions.Item>
              <Descriptions.Item label={t('isp.batch.expires')}>
                {dateTime(b.expires_at, lang)}
              </Descriptions.Item>
              {b.status === 'expired' && (
                <Descriptions.Item label={t('isp.batch.graceUntil')}>
                  {dateTime(b.grace_until, lang)}
                </Descriptions.Item>
              )}
              <Descriptions.Item label={t('isp.batch.autoRenew')}>
                <Switch
                  checked={b.auto_renew}
                  disabled={!live}
                  onChange={setAutoRenew}
                  aria-label={t('isp.batch.autoRenew')}
                />
              </Descriptions.Item>
              {sub && (
                <Descriptions.Item label={t('isp.batch.substitution')}>
                  {t('isp.batch.substitutionText', {
                    requested: placeLabel(lang, { country: b.country, ...sub.requested }),
                    delivered: placeLabel(lang, { country: b.country, ...sub.delivered }),
                  })}
                </Descriptions.Item>
              )}
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card title={t('isp.batch.allowances')} size="small" data-testid="allowances">
            {a ? (
              <Descriptions column={1} size="small">
                <Descriptions.Item label={t('isp.batch.replacementsUsed')}>
                  {a.replacements_used}
                </Descriptions.Item>
                <Descriptions.Item label={t('isp.batch.replacementsLeft')}>
                  {a.replacements_left === null
                    ? t('isp.batch.unlimitedUntil', { date: dateTime(a.unlimited_until, lang) })
                    : a.replacements_left}
                </Descriptions.Item>
                <Descriptions.Item label={t('isp.batch.quota')}>{a.replacements_quota}</Descriptions.Item>
                <Descriptions.Item label={t('isp.batch.refreshUsed')}>
                  {a.refresh_used ? t('isp.batch.refreshUsedYes') : t('isp.batch.refreshUsedNo')}
                </Descriptions.Item>
                <Descriptions.Item label={t('isp.batch.resetsAt')}>
                  {dateTime(a.resets_at, lang)}
                </Descriptions.Item>
              </Descriptions>
            ) : (
              <Typography.Text type="secondary">{t('isp.batch.noAllowances')}</Typography.Text>
            )}
          </Card>
          <Card title={t('isp.batch.download')} size="small" style={{ marginTop: 16 }}>
            <Space wrap>
              {(Object.keys(FORMATS) as Format[]).map((f) => (
                <Button key={f} disabled={!ready} onClick={() => download(f)} data-testid={`download-${f}`}>
                  {t(`isp.batch.download${f[0]!.toUpperCase()}${f.slice(1)}`)}
                </Button>
              ))}
            </Space>
          </Card>
        </Col>
      </Row>
      <Card title={t('isp.batch.ips')} size="small" style={{ marginTop: 16 }}>
        {ready ? (
          <Table<IpLine>
            size="small"
            rowKey={(r) => r.id ?? r.ip}
            loading={ips.isPending}
            dataSource={ips.data ?? []}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('isp.batch.ip'), dataIndex: 'ip' },
              { title: t('isp.batch.port'), dataIndex: 'port' },
              { title: t('isp.batch.city'), dataIndex: 'city' },
              { title: t('isp.batch.asn'), dataIndex: 'asn', render: (v: number) => `AS${v}` },
              {
                title: t('isp.batch.actions'),
                key: 'actions',
                render: (_, r) => (
                  <Button size="small" disabled={!r.id} onClick={() => setDialog({ kind: 'replace', ip: r })}>
                    {t('isp.batch.replace')}
                  </Button>
                ),
              },
            ]}
          />
        ) : (
          <Typography.Text type="secondary">{t('isp.batch.notReady')}</Typography.Text>
        )}
      </Card>

      {dialog?.kind === 'replace' && (
        <ReplaceDialog ip={dialog.ip} onClose={() => setDialog(null)} onDone={(text) => done(text)} />
      )}
      {dialog?.kind === 'renew' && (
        <RenewDialog batch={b} onClose={() => setDialog(null)} onDone={(text) => done(text)} />
      )}
      {dialog?.kind === 'rebind' && (
        <RebindDialog batch={b} onClose={() => setDialog(null)} onDone={(text, next) => done(text, next)} />
      )}
      {dialog?.kind === 'refresh' && (
        <ActionDialog
          title={t('isp.batch.refreshTitle')}
          body={t('isp.batch.refreshBody')}
          okText={t('isp.batch.refresh')}
          onClose={() => setDialog(null)}
          run={() => api.POST('/v1/isp/batches/{id}/refresh', { params: { path: { id } }, body: {} })}
          onDone={(next) => done(t('isp.batch.refreshed'), next)}
        />
      )}
      {dialog?.kind === 'rotate' && (
        <ActionDialog
          title={t('isp.batch.rotateTitle')}
          body={t('isp.batch.rotateBody')}
          okText={t('isp.batch.rotate')}
          onClose={() => setDialog(null)}
          run={() => api.POST('/v1/isp/batches/{id}/rotate-password', { params: { path: { id } }, body: {} })}
          onDone={(next) => done(t('isp.batch.rotated'), next)}
        />
      )}
      {dialog?.kind === 'release' && (
        <ActionDialog
          title={t('isp.batch.releaseTitle')}
          body={<Alert type="warning" showIcon title={t('isp.batch.releaseWarning')} />}
          okText={t('isp.batch.releaseConfirm')}
          danger
          onClose={() => setDialog(null)}
          run={() => api.DELETE('/v1/isp/batches/{id}', { params: { path: { id } } })}
          onDone={(next) =>
            done(
              t('isp.batch.released', {
                id: (next as Batch & { unsubscribe_order_id: string }).unsubscribe_order_id,
              }),
              next,
            )
          }
        />
      )}
    </>
  );
}

/** A confirmation that runs one call and reports its error in words inside the dialog. */
function ActionDialog({
  title,
  body,
  okText,
  danger,
  run,
  onClose,
  onDone,
}: {
  title: string;
  body: ReactNode;
  okText: string;
  danger?: boolean;
  run: () => Promise<{ data?: Batch; error?: unknown; response: Response }>;
  onClose: () => void;
  onDone: (next: Batch) => void;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  return (
    <Modal
      open
      title={title}
      okText={okText}
      okButtonProps={{ danger: Boolean(danger) }}
      cancelText={t('isp.batch.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={async () => {
        setBusy(true);
        const { data, error, response } = await run();
        setBusy(false);
        if (!data) return setFailure(asApiError(error, response.status));
        onDone(data);
      }}
    >
      {typeof body === 'string' ? <Typography.Paragraph>{body}</Typography.Paragraph> : body}
      {failure && <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(t, failure)} />}
    </Modal>
  );
}

/** Replace one IP: the dry run says free or the fee; a fee is paid only when confirmed. */
function ReplaceDialog({
  ip,
  onClose,
  onDone,
}: {
  ip: IpLine;
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const ipId = ip.id ?? '';
  const dry = useQuery({
    queryKey: ['isp-replace-dry-run', ipId],
    queryFn: async () => {
      // accept_charge on the dry run: beyond the free quota it prices the fee instead of refusing
      const { data, error, response } = await api.POST('/v1/isp/ips/{ip_id}/replace', {
        params: { path: { ip_id: ipId } },
        body: { reason: 'dry run', accept_charge: true, dry_run: true },
      });
      if (!data) throw asApiError(error, response.status);
      return data;
    },
    retry: false,
    gcTime: 0,
  });
  const d = dry.data;
  const dryError = dry.error as ApiError | null;
  const charged = d ? !d.free && d.charge_usd > 0 : false;
  return (
    <Modal
      open
      title={t('isp.batch.replaceTitle', { ip: `${ip.ip}:${ip.port}` })}
      okText={
        charged && d
          ? t('isp.batch.replacePay', { charge: usd(d.charge_usd, lang) })
          : t('isp.batch.replaceConfirm')
      }
      cancelText={t('isp.batch.cancel')}
      okButtonProps={{ disabled: !d || reason.trim() === '' }}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={async () => {
        setBusy(true);
        const { data, error, response } = await api.POST('/v1/isp/ips/{ip_id}/replace', {
          params: { path: { ip_id: ipId } },
          body: { reason: reason.trim(), accept_charge: charged },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        });
        setBusy(false);
        if (!data) return setFailure(asApiError(error, response.status));
        onDone(t('isp.batch.replaced', { old: data.old_ip.ip, new: data.new_ip?.ip ?? '—' }));
      }}
    >
      {dry.isPending && <Spin />}
      {dryError && <Alert type="error" showIcon title={errorText(t, dryError)} />}
      {d && (
        <Alert
          type={charged ? 'warning' : 'info'}
          showIcon
          data-testid="replace-dry-run"
          title={
            charged
              ? t('isp.batch.replaceCharge', { charge: usd(d.charge_usd, lang) })
              : t('isp.batch.replaceFree')
          }
          style={{ marginBottom: 12 }}
        />
      )}
      <Typography.Text>{t('isp.batch.reason')}</Typography.Text>
      <Input.TextArea
        aria-label={t('isp.batch.reason')}
        value={reason}
        maxLength={500}
        rows={2}
        placeholder={t('isp.batch.reasonPlaceholder')}
        onChange={(e) => setReason(e.target.value)}
      />
      {failure && <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(t, failure)} />}
    </Modal>
  );
}

/** Renew: the dry run (formula, prices, payment split) first, then pay. */
function RenewDialog({
  batch,
  onClose,
  onDone,
}: {
  batch: Batch;
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [months, setMonths] = useState<1 | 12>(batch.months === 12 ? 12 : 1);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const dry = useQuery({
    queryKey: ['isp-renew-dry-run', batch.id, months],
    queryFn: async () => {
      const { data, error, response } = await api.POST('/v1/isp/batches/{id}/renew', {
        params: { path: { id: batch.id } },
        body: { months, dry_run: true },
      });
      if (!data) throw asApiError(error, response.status);
      return data as Schemas['RenewalQuote'];
    },
    retry: false,
    gcTime: 0,
  });
  const d = dry.data && 'pricing' in dry.data ? dry.data : undefined;
  const dryError = dry.error as ApiError | null;
  const checks = d?.checks ?? [];
  return (
    <Modal
      open
      title={t('isp.batch.renewTitle')}
      okText={d ? t('isp.batch.renewPay', { total: usd(d.total_usd, lang) }) : t('isp.batch.renew')}
      cancelText={t('isp.batch.cancel')}
      okButtonProps={{ disabled: !d || dry.isFetching || checks.length > 0 }}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={async () => {
        setBusy(true);
        const { data, error, response } = await api.POST('/v1/isp/batches/{id}/renew', {
          params: { path: { id: batch.id } },
          body: { months },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        });
        setBusy(false);
        if (!data) return setFailure(asApiError(error, response.status));
        onDone(t('isp.batch.renewed', { id: data.id, total: usd(data.total_usd, lang) }));
      }}
    >
      <Space style={{ marginBottom: 12 }} wrap>
        <Typography.Text>{t('isp.batch.renewMonths')}</Typography.Text>
        <Radio.Group
          value={months}
          optionType="button"
          onChange={(e) => setMonths(e.target.value)}
          options={[
            { value: 1, label: t('isp.order.monthly') },
            { value: 12, label: t('isp.order.yearly') },
          ]}
        />
      </Space>
      {dry.isPending && <Spin />}
      {dryError && <Alert type="error" showIcon title={errorText(t, dryError)} />}
      {d && (
        <Descriptions column={1} size="small" bordered data-testid="renew-dry-run">
          <Descriptions.Item label={t('isp.batch.formula')}>{t('isp.batch.formulaText')}</Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.basePrice')}>
            {unitPrice(d.pricing.base_price_usd, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.surcharge')}>
            {unitPrice(d.pricing.asn_surcharge_usd, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.unitPrice')}>
            {unitPrice(d.pricing.unit_price_usd, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.quantity')}>{d.pricing.quantity}</Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.cycle')}>
            {t('isp.batch.months', { count: d.pricing.months })}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.original')}>
            {usd(d.pricing.original_usd, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.discount')}>
            {usd(d.pricing.discount_usd, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.payable')}>
            <Typography.Text strong>{usd(d.pricing.payable_usd, lang)}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.fromBalance')}>
            {usd(d.payment.from_balance_usd, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('isp.batch.fromCard')}>
            {usd(d.payment.from_card_usd, lang)}
          </Descriptions.Item>
        </Descriptions>
      )}
      {checks.map((c) => (
        <Alert
          key={c.code}
          type="error"
          showIcon
          style={{ marginTop: 12 }}
          title={errorText(t, checkError(c))}
        />
      ))}
      {failure && <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(t, failure)} />}
    </Modal>
  );
}

/** Rebind: the seed's warning that the credentials change and lists must be downloaded again. */
function RebindDialog({
  batch,
  onClose,
  onDone,
}: {
  batch: Batch;
  onClose: () => void;
  onDone: (text: string, next: Batch) => void;
}) {
  const { t } = useTranslation();
  const subusers = useSubusers();
  const [target, setTarget] = useState<string>(batch.subuser);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const options = (subusers.data?.data ?? [])
    .filter((s) => s.status === 'active')
    .map((s) => ({ value: s.id, label: subuserLabel(s, t) }));
  return (
    <Modal
      open
      title={t('isp.batch.rebindTitle')}
      okText={t('isp.batch.rebind')}
      cancelText={t('isp.batch.cancel')}
      okButtonProps={{ disabled: target === batch.subuser }}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={async () => {
        setBusy(true);
        const { data, error, response } = await api.PATCH('/v1/isp/batches/{id}', {
          params: { path: { id: batch.id } },
          body: { subuser: target },
        });
        setBusy(false);
        if (!data) return setFailure(asApiError(error, response.status));
        const label = options.find((o) => o.value === target)?.label ?? target;
        onDone(t('isp.batch.rebound', { subuser: label }), data);
      }}
    >
      <Alert type="warning" showIcon title={t('isp.batch.rebindWarning')} style={{ marginBottom: 12 }} />
      <Select
        aria-label={t('isp.batch.subuser')}
        style={{ width: '100%' }}
        loading={subusers.isPending}
        value={target}
        onChange={setTarget}
        options={options}
      />
      {failure && <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(t, failure)} />}
    </Modal>
  );
}
