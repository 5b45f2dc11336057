/** Sign up: email, password, name (SPEC §10); the new account is logged in at once. */
import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate } from 'react-router';
import { api, asApiError } from '../api/client.ts';
import { errorText } from '../format.ts';
import { useSession, useSessionStarted } from '../session.tsx';
import { AuthPage } from './auth-page.tsx';
import { CredentialFields } from './credential-fields.tsx';

export default function SignUpPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const session = useSession();
  const started = useSessionStarted();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session.data) return <Navigate to="/" replace />;

  async function submit(v: { email: string; password: string; name: string }) {
    setBusy(true);
    setError(null);
    const { data, error: e, response } = await api.POST('/v1/signup', { body: v });
    setBusy(false);
    if (!data) return setError(errorText(t, asApiError(e, response.status)));
    started(data);
    navigate('/', { replace: true });
  }

  return (
    <AuthPage title={t('auth.signUp')}>
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <CredentialFields newPassword={true} />
        <Form.Item
          label={t('auth.name')}
          name="name"
          rules={[{ required: true, whitespace: true, message: t('auth.nameRequired') }]}
        >
          <Input autoComplete="organization" />
        </Form.Item>
        {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} showIcon />}
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('auth.createAccount')}
        </Button>
      </Form>
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        {t('auth.haveAccount')} <Link to="/login">{t('auth.login')}</Link>
      </Typography.Paragraph>
    </AuthPage>
  );
}
