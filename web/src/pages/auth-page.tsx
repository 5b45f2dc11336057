/** The frame of the log in and sign up pages: centred card, language switch. */
import { Card, Flex } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../layout/console-layout.tsx';

export function AuthPage({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Flex vertical align="center" justify="center" style={{ minHeight: '100vh', padding: 16 }}>
      <Card
        title={`${t('app.name')} · ${title}`}
        extra={<LanguageSwitch />}
        style={{ width: '100%', maxWidth: 400 }}
      >
        {children}
      </Card>
    </Flex>
  );
}
