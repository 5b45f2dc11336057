/**
 * The console's frame: the left navigation with the words of SPEC §10, the header with the
 * language switch and log out. On a phone the navigation collapses into a drawer-like sider.
 */
import { Button, Grid, Layout, Menu, Segmented, Spin, Typography } from 'antd';
import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { type Language, setLanguage } from '../i18n/index.ts';
import { NAV } from '../nav.ts';
import { useLogOut, useSession } from '../session.tsx';

export function LanguageSwitch() {
  const { i18n, t } = useTranslation();
  return (
    <Segmented
      aria-label={t('app.language')}
      size="small"
      value={i18n.language}
      onChange={(v) => setLanguage(v as Language)}
      options={[
        { label: 'EN', value: 'en' },
        { label: '中文', value: 'zh-CN' },
      ]}
    />
  );
}

/** The menu entry of a page: its own path, or the longest entry path it lies under (a detail page). */
function selectedNavPath(pathname: string): string {
  const paths = NAV.flatMap((g) => [g.path, ...(g.children ?? []).map((c) => c.path)]).filter(
    (p): p is string => p !== undefined,
  );
  if (paths.includes(pathname)) return pathname;
  return (
    paths.filter((p) => p !== '/' && pathname.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0] ??
    pathname
  );
}

export function ConsoleLayout() {
  const { t } = useTranslation();
  const session = useSession();
  const logOut = useLogOut();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const [collapsed, setCollapsed] = useState(false);

  if (session.isPending) return <Spin fullscreen tip={t('app.loading')} />;
  if (!session.data) return <Navigate to="/login" replace state={{ from: location.pathname }} />;

  const items = NAV.map((g) => ({
    key: g.path ?? g.key,
    label: t(g.label),
    ...(g.children ? { children: g.children.map((c) => ({ key: c.path, label: t(c.label) })) } : {}),
  }));
  const phone = !screens.md;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        breakpoint="md"
        collapsedWidth={0}
        collapsed={phone ? collapsed : false}
        onCollapse={setCollapsed}
        width={208}
        theme="light"
        // on a phone the menu's tab sits in the header row, not over the page's title
        zeroWidthTriggerStyle={{ top: 12 }}
        style={phone ? { position: 'fixed', height: '100vh', zIndex: 20 } : undefined}
      >
        <Typography.Title level={4} style={{ padding: '16px 24px', margin: 0 }}>
          {t('app.name')}
        </Typography.Title>
        <nav aria-label="console">
          <Menu
            mode="inline"
            selectedKeys={[selectedNavPath(location.pathname)]}
            defaultOpenKeys={NAV.filter((g) => g.children).map((g) => g.key)}
            items={items}
            onClick={(e) => {
              navigate(e.key);
              if (phone) setCollapsed(true);
            }}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: 'transparent',
            display: 'flex',
            justifyContent: 'flex-end',
            alignItems: 'center',
            // on a phone the menu's tab (40 px, at the left edge) keeps the header's row clear
            padding: phone ? '0 12px 0 52px' : '0 16px',
            // the row is centred by flex; the header's 64 px line height would push the e-mail's
            // ellipsis box (inline-block) off the middle
            lineHeight: 'normal',
          }}
        >
          {/* the e-mail gives way (an ellipsis, the whole address on hover) when the row is short */}
          <div style={{ display: 'flex', alignItems: 'center', gap: 8, minWidth: 0 }}>
            <Typography.Text
              type="secondary"
              ellipsis={{ tooltip: session.data.account.email }}
              style={{ minWidth: 0, maxWidth: 360 }}
            >
              {session.data.account.email}
            </Typography.Text>
            <div style={{ flex: 'none' }}>
              <LanguageSwitch />
            </div>
            <Button
              style={{ flex: 'none' }}
              onClick={async () => {
                await logOut();
                navigate('/login');
              }}
            >
              {t('app.logout')}
            </Button>
          </div>
        </Layout.Header>
        <Layout.Content style={{ padding: phone ? 12 : 24, maxWidth: 1200, width: '100%' }}>
          <Suspense fallback={<Spin />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
