/**
 * A server's actions (SPEC §7): change spec, temporary upgrade, renew and unsubscribe. Each opens a
 * dialog that shows the order's dry run first (a change's or a temporary upgrade's old and new
 * configuration as two lines; an unsubscribe's refund), and only then Confirm places it.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Form, InputNumber, Modal, Radio, Select, Space, Spin } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, ApiFailure, api, asApiError, type Schemas } from '../../api/client.ts';
import { usd } from '../../format.ts';
import { useDebounced } from '../../use-debounced.ts';
import { ErrorAlert, OrderPreview, refresh, type Server, SPECS, type Spec } from './server-shared.tsx';

type Kind = 'change' | 'tempUpgrade' | 'renew' | 'unsubscribe';
interface Params {
  spec: Spec | null;
  months: 1 | 12;
  hours: number | null;
}

/** POST /v1/servers/{id}/temp-upgrade: 1 to 720 hours. */
const HOURS_MAX = 720;
const validHours = (h: number | null): h is number =>
  typeof h === 'number' && Number.isInteger(h) && h >= 1 && h <= HOURS_MAX;

/** The action's request; with dryRun the order it would create, nothing changed. */
async function run(kind: Kind, id: string, p: Params, dryRun: boolean): Promise<Schemas['Order']> {
  const path = { params: { path: { id } }, headers: { 'Idempotency-Key': crypto.randomUUID() } };
  const dry = dryRun ? { dry_run: true } : {};
  const answer =
    kind === 'change'
      ? await api.POST('/v1/servers/{id}/change', { ...path, body: { spec: p.spec as Spec, ...dry } })
      : kind === 'tempUpgrade'
        ? await api.POST('/v1/servers/{id}/temp-upgrade', {
            ...path,
            body: { spec: p.spec as Spec, hours: p.hours as number, ...dry },
          })
        : kind === 'renew'
          ? await api.POST('/v1/servers/{id}/renew', { ...path, body: { months: p.months, ...dry } })
          : await api.POST('/v1/servers/{id}/unsubscribe', { ...path, body: dry });
  if (!answer.data) throw new ApiFailure(asApiError(answer.error, answer.response.status));
  return answer.data;
}

/** The specs a temporary upgrade can go to: above the base spec (the running one again extends it). */
function upgradeSpecs(s: Server): Spec[] {
  const base = s.temp_upgrade?.base_spec ?? s.spec;
  return SPECS.filter((x) => SPECS.indexOf(x) > SPECS.indexOf(base));
}

/** Which actions a server has: change, renew and unsubscribe a prepaid one; upgrade any running one. */
function actionsOf(s: Server): Kind[] {
  const prepaid = s.payment_mode === 'prepaid' && s.status !== 'stopped';
  const running = s.status === 'running' && s.payment_mode !== 'trial';
  return [
    ...(prepaid && s.status === 'running' && !s.temp_upgrade ? (['change'] as const) : []),
    ...(running && upgradeSpecs(s).length > 0 ? (['tempUpgrade'] as const) : []),
    ...(prepaid ? (['renew', 'unsubscribe'] as const) : []),
  ];
}

export const hasActions = (s: Server) => actionsOf(s).length > 0;

export function ServerActions({ server }: { server: Server }) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<Kind | null>(null);
  const kinds = actionsOf(server);
  if (kinds.length === 0) return <>—</>;
  return (
    <>
      <Space size="small" wrap>
        {kinds.map((k) => (
          <Button key={k} size="small" danger={k === 'unsubscribe'} onClick={() => setKind(k)}>
            {t(`servers.${k}`)}
          </Button>
        ))}
      </Space>
      {kind && <ActionDialog server={server} kind={kind} onClose={() => setKind(null)} />}
    </>
  );
}

function ActionDialog({ server, kind, onClose }: { server: Server; kind: Kind; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const upgrades = upgradeSpecs(server);
  const [params, setParams] = useState<Params>({
    spec:
      kind === 'tempUpgrade'
        ? (upgrades.find((s) => s !== server.spec) ?? upgrades[0] ?? null)
        : (SPECS.find((s) => s !== server.spec) ?? null),
    months: 1,
    hours: 24,
  });
  const settled = useDebounced(params, 250);
  const ready =
    kind === 'change'
      ? settled.spec !== null && settled.spec !== server.spec
      : kind === 'tempUpgrade'
        ? settled.spec !== null && validHours(settled.hours)
        : true;
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const dryRun = useQuery({
    queryKey: ['server-dry-run', kind, server.id, settled],
    enabled: ready,
    queryFn: () => run(kind, server.id, settled, true),
    retry: false,
    gcTime: 0,
  });

  async function confirm() {
    setBusy(true);
    setFailure(null);
    try {
      const order = await run(kind, server.id, settled, false);
      const parts = (['card', 'balance', 'vouchers'] as const).flatMap((to) => {
        const amount = order.details[`refund_to_${to}_usd`];
        return typeof amount === 'number' && amount > 0
          ? [`${usd(amount, i18n.language)} ${t(`orders.to${to[0]?.toUpperCase()}${to.slice(1)}`)}`]
          : [];
      });
      message.success(
        [
          t('servers.done', { id: order.id }),
          ...(parts.length ? [t('servers.refundedTo', { parts: parts.join(', ') })] : []),
        ].join(' '),
      );
      onClose();
      await refresh(qc, [['servers'], ['account'], ['orders']]);
    } catch (e) {
      setFailure(e instanceof ApiFailure ? e.apiError : asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  const dryError = dryRun.error instanceof ApiFailure ? dryRun.error.apiError : null;
  return (
    <Modal
      open
      width={720}
      title={t(`servers.${kind}Title`, { id: server.id })}
      okText={t('servers.confirm')}
      cancelText={t('servers.cancel')}
      okButtonProps={{
        danger: kind === 'unsubscribe',
        disabled:
          !ready || !dryRun.data || dryRun.isFetching || JSON.stringify(settled) !== JSON.stringify(params),
      }}
      confirmLoading={busy}
      onOk={confirm}
      onCancel={onClose}
    >
      {kind === 'change' && (
        <Form layout="vertical">
          <Form.Item label={t('servers.newSpec')} htmlFor="new-spec">
            <Select<Spec>
              id="new-spec"
              value={params.spec ?? undefined}
              onChange={(spec) => setParams((p) => ({ ...p, spec }))}
              options={SPECS.filter((s) => s !== server.spec).map((s) => ({ value: s, label: s }))}
              style={{ width: 200 }}
            />
          </Form.Item>
        </Form>
      )}
      {kind === 'tempUpgrade' && (
        <Form layout="vertical">
          <Space wrap>
            <Form.Item label={t('servers.newSpec')} htmlFor="upgrade-spec">
              <Select<Spec>
                id="upgrade-spec"
                value={params.spec ?? undefined}
                onChange={(spec) => setParams((p) => ({ ...p, spec }))}
                options={upgrades.map((s) => ({ value: s, label: s }))}
                style={{ width: 200 }}
              />
            </Form.Item>
            <Form.Item
              label={t('servers.hours')}
              htmlFor="upgrade-hours"
              {...(params.hours !== null && !validHours(params.hours)
                ? { validateStatus: 'error' as const, help: t('servers.hoursInvalid') }
                : {})}
            >
              <InputNumber
                id="upgrade-hours"
                min={1}
                max={HOURS_MAX}
                precision={0}
                value={params.hours}
                onChange={(hours) => setParams((p) => ({ ...p, hours }))}
              />
            </Form.Item>
          </Space>
        </Form>
      )}
      {kind === 'renew' && (
        <Form layout="vertical">
          <Form.Item label={t('servers.months')}>
            <Radio.Group
              value={params.months}
              onChange={(e) => setParams((p) => ({ ...p, months: e.target.value }))}
              options={[
                { value: 1, label: t('servers.month1') },
                { value: 12, label: t('servers.month12') },
              ]}
            />
          </Form.Item>
        </Form>
      )}
      {dryRun.isFetching && (
        <Space>
          <Spin size="small" />
          {t('servers.calculating')}
        </Space>
      )}
      {dryRun.data && !dryRun.isFetching && <OrderPreview order={dryRun.data} />}
      <ErrorAlert error={dryError ?? failure} />
    </Modal>
  );
}
