/** The console's entry: languages, Ant Design's locale, the query cache, the router. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { RouterProvider } from 'react-router';
import { setupI18n } from './i18n/index.ts';
import { router } from './routes.tsx';

setupI18n();
const queryClient = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false } } });

function Root() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider
      locale={i18n.language === 'zh-CN' ? zhCN : enUS}
      theme={{ token: { colorPrimary: '#1664ff' } }}
      // a dialog's title may hold an order id (26 characters, no spaces): it wraps, clear of the ✕
      modal={{ styles: { title: { paddingInlineEnd: 32, overflowWrap: 'anywhere' } } }}
    >
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <Suspense fallback={<Spin fullscreen />}>
            <RouterProvider router={router} />
          </Suspense>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
