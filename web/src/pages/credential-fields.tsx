/** The Email and Password fields of the log in and sign up forms (SPEC §10's words). */
import { Form, Input } from 'antd';
import { useTranslation } from 'react-i18next';

export function CredentialFields({ newPassword }: { newPassword: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      <Form.Item
        label={t('auth.email')}
        name="email"
        rules={[{ required: true, type: 'email', message: t('auth.emailInvalid') }]}
      >
        <Input autoComplete="email" />
      </Form.Item>
      <Form.Item
        label={t('auth.password')}
        name="password"
        rules={[{ required: true, min: 8, message: t('auth.passwordShort') }]}
      >
        <Input.Password autoComplete={newPassword ? 'new-password' : 'current-password'} />
      </Form.Item>
    </>
  );
}
