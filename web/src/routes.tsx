/** The console's pages; each is its own chunk (React.lazy). A page is added here and in nav.ts. */
import { lazy } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { ConsoleLayout } from './layout/console-layout.tsx';

const LoginPage = lazy(() => import('./pages/login.tsx'));
const SignUpPage = lazy(() => import('./pages/sign-up.tsx'));
const DashboardPage = lazy(() => import('./pages/dashboard.tsx'));
const BuyTrafficPage = lazy(() => import('./pages/buy-traffic.tsx'));
const IspOrderPage = lazy(() => import('./pages/isp-order.tsx'));
const IspBatchesPage = lazy(() => import('./pages/isp-batches.tsx'));
const IspBatchPage = lazy(() => import('./pages/isp-batch.tsx'));
const ServersPage = lazy(() => import('./pages/servers/servers.tsx'));
const BuyServerPage = lazy(() => import('./pages/servers/buy-server.tsx'));
const CouponsPage = lazy(() => import('./pages/servers/coupons.tsx'));
const OrdersPage = lazy(() => import('./pages/billing/orders.tsx'));
const OrderDetailPage = lazy(() => import('./pages/billing/order-detail.tsx'));
const PaymentMethodsPage = lazy(() => import('./pages/billing/payment-methods.tsx'));
const TransactionsPage = lazy(() => import('./pages/billing/transactions.tsx'));
const VouchersPage = lazy(() => import('./pages/billing/vouchers.tsx'));
const SubusersPage = lazy(() => import('./pages/subusers.tsx'));
const AlertsPage = lazy(() => import('./pages/settings/alerts.tsx'));
const ApiKeysPage = lazy(() => import('./pages/settings/api-keys.tsx'));
const KycPage = lazy(() => import('./pages/settings/kyc.tsx'));

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignUpPage /> },
  {
    path: '/',
    element: <ConsoleLayout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: ':product/buy', element: <BuyTrafficPage /> },
      { path: 'isp/order', element: <IspOrderPage /> },
      { path: 'isp/batches', element: <IspBatchesPage /> },
      { path: 'isp/batches/:id', element: <IspBatchPage /> },
      { path: 'servers', element: <ServersPage /> },
      { path: 'servers/buy', element: <BuyServerPage /> },
      { path: 'servers/coupons', element: <CouponsPage /> },
      { path: 'billing/orders', element: <OrdersPage /> },
      { path: 'billing/orders/:id', element: <OrderDetailPage /> },
      { path: 'billing/payment-methods', element: <PaymentMethodsPage /> },
      { path: 'billing/transactions', element: <TransactionsPage /> },
      { path: 'billing/vouchers', element: <VouchersPage /> },
      { path: 'subusers', element: <SubusersPage /> },
      { path: 'settings/alerts', element: <AlertsPage /> },
      { path: 'api-keys', element: <ApiKeysPage /> },
      { path: 'kyc', element: <KycPage /> },
      { path: '*', element: <Navigate to="/" replace /> },
    ],
  },
]);
