/** Log in with email and password (SPEC §1, §10: Email / 邮箱, Password / 密码, Log in / 登录). */
import { Alert, Button, Form, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { api, asApiError } from '../api/client.ts';
import { errorText } from '../format.ts';
import { useSession, useSessionStarted } from '../session.tsx';
import { AuthPage } from './auth-page.tsx';
import { CredentialFields } from './credential-fields.tsx';

export default function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const session = useSession();
  const started = useSessionStarted();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session.data) return <Navigate to="/" replace />;
  const from = (location.state as { from?: string } | null)?.from ?? '/';

  async function submit(v: { email: string; password: string }) {
    setBusy(true);
    setError(null);
    const { data, error: e, response } = await api.POST('/v1/session', { body: v });
    setBusy(false);
    if (!data) return setError(errorText(t, asApiError(e, response.status)));
    started(data);
    navigate(from, { replace: true });
  }

  return (
    <AuthPage title={t('auth.login')}>
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <CredentialFields newPassword={false} />
        {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} showIcon />}
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('auth.login')}
        </Button>
      </Form>
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        {t('auth.noAccount')} <Link to="/signup">{t('auth.signUp')}</Link>
      </Typography.Paragraph>
    </AuthPage>
  );
}
