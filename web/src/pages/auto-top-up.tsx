/**
 * Auto top-up (SPEC §2) beside Buy traffic: the rule of this product (when the pool falls below
 * N GB buy M GB, at most so much a month), its state (on, off, or stopped and why) and this
 * month's auto spend against the cap; Save replaces the rule (PUT /v1/auto-top-ups/{product}).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Descriptions, Form, InputNumber, Row, Switch, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, asApiError, must, type Schemas } from '../api/client.ts';
import { errorText, usd } from '../format.ts';

type Rule = Schemas['AutoTopUp'];
interface Draft {
  below: number | null;
  buy: number | null;
  cap: number | null;
  enabled: boolean;
}

const BUY_MAX = 100_000;
const validBelow = (n: number | null) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
const validBuy = (n: number | null) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= BUY_MAX;
/** more than 0, at most two decimals (the cap is sent as USD, checked in cents) */
const validCap = (n: number | null) =>
  typeof n === 'number' && n > 0 && Math.abs(Math.round(n * 100) - n * 100) < 1e-6;

const fromRule = (r: Rule | undefined): Draft =>
  r
    ? { below: r.below_gb, buy: r.buy_gb, cap: r.monthly_cap_usd, enabled: r.enabled }
    : { below: 10, buy: 50, cap: 500, enabled: true };

export function AutoTopUpCard({ product }: { product: 'residential' | 'mobile' }) {
  const { t } = useTranslation();
  const rules = useQuery({
    queryKey: ['auto-top-ups'],
    queryFn: () => must(api.GET('/v1/auto-top-ups')),
  });
  const rule = rules.data?.data.find((r) => r.product === product);
  return (
    <Card title={t('autoTopUp.title')} style={{ marginTop: 24, maxWidth: 720 }} loading={rules.isPending}>
      <Typography.Paragraph type="secondary">{t('autoTopUp.intro')}</Typography.Paragraph>
      <RuleState rule={rule} />
      {/* the form starts from the saved rule: a new one once it loads, is saved, or the product changes */}
      <RuleForm key={`${product}:${rule?.updated_at ?? 'none'}`} product={product} rule={rule} />
    </Card>
  );
}

function RuleState({ rule }: { rule: Rule | undefined }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const reason = rule?.disabled_reason;
  const reasonText = reason
    ? t(`autoTopUp.reasons.${reason}`, { defaultValue: '' }) ||
      t(`declines.${reason}`, { defaultValue: '' }) ||
      reason
    : '';
  const state = !rule ? (
    <Typography.Text type="secondary">{t('autoTopUp.none')}</Typography.Text>
  ) : reason ? (
    <Tag color="red">{t('autoTopUp.stopped', { reason: reasonText })}</Tag>
  ) : (
    <Tag color={rule.enabled ? 'green' : 'default'}>
      {rule.enabled ? t('autoTopUp.on') : t('autoTopUp.off')}
    </Tag>
  );
  return (
    <Descriptions column={1} size="small" style={{ marginBottom: 12 }}>
      <Descriptions.Item label={t('autoTopUp.state')}>
        <span data-testid="auto-top-up-state">{state}</span>
      </Descriptions.Item>
      {rule && (
        <Descriptions.Item label={t('autoTopUp.spent')}>
          <span data-testid="auto-top-up-spent">
            {t('autoTopUp.spentOfCap', {
              spent: usd(rule.month_spent_usd, lang),
              cap: usd(rule.monthly_cap_usd, lang),
            })}
          </span>
        </Descriptions.Item>
      )}
    </Descriptions>
  );
}

function RuleForm({ product, rule }: { product: 'residential' | 'mobile'; rule: Rule | undefined }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [draft, setDraft] = useState<Draft>(fromRule(rule));
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);

  async function save() {
    if (!validBelow(draft.below) || !validBuy(draft.buy) || !validCap(draft.cap)) return;
    setSaving(true);
    setFailure(null);
    const { data, error, response } = await api.PUT('/v1/auto-top-ups/{product}', {
      params: { path: { product } },
      body: {
        below_gb: draft.below as number,
        buy_gb: draft.buy as number,
        monthly_cap_usd: draft.cap as number,
        enabled: draft.enabled,
      },
    });
    setSaving(false);
    if (!data) return setFailure(asApiError(error, response.status));
    message.success(t('autoTopUp.saved'));
    await qc.invalidateQueries({ queryKey: ['auto-top-ups'] });
  }

  const bad = (ok: boolean, v: number | null, help: string) =>
    v !== null && !ok ? { validateStatus: 'error' as const, help } : {};
  return (
    <>
      <Form layout="vertical">
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item
              label={t('autoTopUp.belowGb')}
              htmlFor="auto-below"
              {...bad(validBelow(draft.below), draft.below, t('autoTopUp.belowInvalid'))}
            >
              <InputNumber
                id="auto-below"
                suffix="GB"
                min={0}
                precision={0}
                value={draft.below}
                onChange={(below) => setDraft((d) => ({ ...d, below }))}
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item
              label={t('autoTopUp.buyGb')}
              htmlFor="auto-buy"
              {...bad(validBuy(draft.buy), draft.buy, t('autoTopUp.buyInvalid'))}
            >
              <InputNumber
                id="auto-buy"
                suffix="GB"
                min={1}
                max={BUY_MAX}
                precision={0}
                value={draft.buy}
                onChange={(buy) => setDraft((d) => ({ ...d, buy }))}
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item
              label={t('autoTopUp.cap')}
              htmlFor="auto-cap"
              {...bad(validCap(draft.cap), draft.cap, t('autoTopUp.capInvalid'))}
            >
              <InputNumber
                id="auto-cap"
                min={0.01}
                step={10}
                precision={2}
                value={draft.cap}
                onChange={(cap) => setDraft((d) => ({ ...d, cap }))}
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item label={t('autoTopUp.enabled')} htmlFor="auto-enabled">
          <Switch
            id="auto-enabled"
            checked={draft.enabled}
            onChange={(enabled) => setDraft((d) => ({ ...d, enabled }))}
          />
        </Form.Item>
        <Button
          type="primary"
          loading={saving}
          disabled={!validBelow(draft.below) || !validBuy(draft.buy) || !validCap(draft.cap)}
          onClick={save}
        >
          {t('autoTopUp.save')}
        </Button>
      </Form>
      {failure && (
        <Typography.Paragraph type="danger" style={{ marginTop: 12 }}>
          {errorText(t, failure)}
        </Typography.Paragraph>
      )}
    </>
  );
}
