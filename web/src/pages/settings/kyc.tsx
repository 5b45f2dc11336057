/**
 * KYC (SPEC §2): the review's status and the latest submission; submit legal name, country and a
 * document reference (status becomes pending). Mobile, ISP and servers need it approved.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Form, Input, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, ApiFailure, api, asApiError, must } from '../../api/client.ts';
import { dateTime, errorText } from '../../format.ts';

const COLORS: Record<string, string> = {
  not_submitted: 'default',
  pending: 'orange',
  approved: 'green',
  rejected: 'red',
};
interface KycForm {
  legal_name: string;
  country: string;
  document_reference: string;
}

export default function KycPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const kyc = useQuery({ queryKey: ['kyc'], queryFn: () => must(api.GET('/v1/kyc')) });

  async function submit(v: KycForm) {
    setBusy(true);
    setFailure(null);
    const { data, error, response } = await api.POST('/v1/kyc', {
      body: {
        legal_name: v.legal_name.trim(),
        country: v.country.trim(),
        document_reference: v.document_reference.trim(),
      },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    if (!data) return setFailure(asApiError(error, response.status));
    message.success(t('kyc.submitted'));
    await qc.invalidateQueries({ queryKey: ['kyc'] });
    await qc.invalidateQueries({ queryKey: ['account'] });
  }

  const error = kyc.error instanceof ApiFailure ? kyc.error.apiError : null;
  const k = kyc.data;
  const s = k?.submission;
  const canSubmit = k && (k.status === 'not_submitted' || k.status === 'rejected');
  const required = { required: true, whitespace: true, message: t('kyc.required') };
  return (
    <>
      <Typography.Title level={3}>{t('kyc.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('kyc.intro')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Card loading={kyc.isPending} style={{ marginBottom: 16, maxWidth: 720 }}>
        {k && (
          <Descriptions
            column={1}
            size="small"
            items={[
              {
                key: 'status',
                label: t('kyc.status'),
                children: <Tag color={COLORS[k.status]}>{t(`kycStatus.${k.status}`)}</Tag>,
              },
              ...(s
                ? [
                    { key: 'name', label: t('kyc.legalName'), children: s.legal_name },
                    { key: 'country', label: t('kyc.country'), children: s.country.toUpperCase() },
                    { key: 'doc', label: t('kyc.document'), children: s.document_reference },
                    { key: 'at', label: t('kyc.submittedAt'), children: dateTime(s.submitted_at, lang) },
                    ...(s.decided_at
                      ? [
                          {
                            key: 'decided',
                            label: t('kyc.decidedAt'),
                            children: dateTime(s.decided_at, lang),
                          },
                        ]
                      : []),
                    ...(s.reason ? [{ key: 'reason', label: t('kyc.reason'), children: s.reason }] : []),
                  ]
                : []),
            ]}
          />
        )}
        {k?.status === 'approved' && <Alert type="success" showIcon title={t('kyc.approvedNote')} />}
        {k?.status === 'pending' && <Alert type="info" showIcon title={t('kyc.pendingNote')} />}
      </Card>
      {canSubmit && (
        <Card style={{ maxWidth: 720 }}>
          <Form<KycForm> layout="vertical" onFinish={submit}>
            <Form.Item name="legal_name" label={t('kyc.legalName')} rules={[required]}>
              <Input maxLength={200} />
            </Form.Item>
            <Form.Item
              name="country"
              label={t('kyc.country')}
              extra={t('kyc.countryHint')}
              rules={[{ required: true, pattern: /^\s*[A-Za-z]{2}\s*$/, message: t('kyc.countryInvalid') }]}
            >
              <Input maxLength={2} style={{ maxWidth: 120 }} />
            </Form.Item>
            <Form.Item
              name="document_reference"
              label={t('kyc.document')}
              extra={t('kyc.documentHint')}
              rules={[required]}
            >
              <Input maxLength={200} />
            </Form.Item>
            {failure && (
              <Alert type="error" showIcon title={errorText(t, failure)} style={{ marginBottom: 12 }} />
            )}
            <Button type="primary" htmlType="submit" loading={busy}>
              {k?.status === 'rejected' ? t('kyc.resubmit') : t('kyc.submit')}
            </Button>
          </Form>
        </Card>
      )}
    </>
  );
}
