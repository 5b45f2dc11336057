/** The console's pages; each is its own chunk (React.lazy). A page is added here and in nav.ts. */
import { lazy } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { ConsoleLayout } from './layout/console-layout.tsx';

const LoginPage = lazy(() => import('./pages/login.tsx'));
const SignUpPage = lazy(() => import('./pages/sign-up.tsx'));
const DashboardPage = lazy(() => import('./pages/dashboard.tsx'));
const BuyTrafficPage = lazy(() => import('./pages/buy-traffic.tsx'));

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignUpPage /> },
  {
    path: '/',
    element: <ConsoleLayout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: ':product/buy', element: <BuyTrafficPage /> },
      { path: '*', element: <Navigate to="/" replace /> },
    ],
  },
]);
